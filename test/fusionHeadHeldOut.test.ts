import * as fs from "fs";
import * as path from "path";
import { loadFusionHead, type LearnedFusionHead } from "../src/fusion/head/model";
import { concatExamples, examplesFrom, replayDrive } from "../src/train/fusion/dataset";
import { generateDrive, type FusionDrive } from "../src/train/fusion/drives";
import { closedLoop, existenceMetrics } from "../src/train/fusion/metrics";
import { nodeModelFiles } from "../src/runtime/nodeModelFiles";
import { selectBackend } from "../src/runtime/selectBackend";

/*
 * The shipped head on drives it never saw (seeds 29900–29901: inside the fusion range 20000–29999,
 * outside its training 20000… and validation 29000–29011 seeds), with the camera and LiDAR
 * removed: radar alone. Measured against the tracker's own Bayesian existence on the same
 * evidence.
 */
const MODELS = path.resolve(__dirname, "..", "models");
const shipped = fs.existsSync(path.join(MODELS, "fusion", "model.json"));
const maybe = shipped ? describe : describe.skip;
if (!shipped) console.log(`skipped: no shipped fusion head at ${MODELS}/fusion (run avfusion train --fusion)`);

maybe("shipped fusion head on held-out drives, camera and LiDAR removed", () => {
  let head: LearnedFusionHead;
  const drives: FusionDrive[] = [];
  beforeAll(async () => {
    await selectBackend({ backend: "wasm", log: () => undefined });
    head = await loadFusionHead(nodeModelFiles(), MODELS);
    for (const seed of [29_900, 29_901])
      drives.push(await generateDrive({ seed, variant: "random", durationS: 10 }, { files: nodeModelFiles(), dir: MODELS }));
  }, 600_000);
  afterAll(() => head?.dispose());

  it("tells radar-seen real objects from radar clutter better than the tracker, per tick", () => {
    const ex = concatExamples(drives.map((d) => examplesFrom(replayDrive(d, { kind: "radarOnly" }))));
    const q = head.predict(
      drives.flatMap((d) =>
        replayDrive(d, { kind: "radarOnly" })
          .filter((t) => t.gt !== null)
          .flatMap((t) => t.candidates),
      ),
    );
    expect(q).toHaveLength(ex.count);
    const learned = existenceMetrics(
      q.map((p) => p.existence),
      ex.exist,
      ex.radarOnly,
    );
    const tracker = existenceMetrics(ex.modelExistence, ex.exist, ex.radarOnly);
    console.log(
      `held-out radar only, per tick: learned AP ${learned.ap.toFixed(3)} BCE ${learned.bce.toFixed(3)}; tracker AP ${tracker.ap.toFixed(3)} BCE ${tracker.bce.toFixed(3)} (${learned.count} candidates, ${learned.positives} real)`,
    );
    expect(learned.count).toBeGreaterThan(200);
    expect(learned.positives).toBeGreaterThan(50);
    expect(learned.count - learned.positives).toBeGreaterThan(50);
    expect(learned.ap).toBeGreaterThan(tracker.ap);
    expect(learned.bce).toBeLessThan(tracker.bce);
  });

  it("in the loop with radar alone: keeps the tracker's recall at a small cost in false tracks", () => {
    const tracker = closedLoop(drives, { kind: "radarOnly" }, undefined, ["radar"]);
    const learned = closedLoop(drives, { kind: "radarOnly" }, head, ["radar"]);
    console.log(`held-out radar only, in the loop: tracker ${JSON.stringify(tracker)}\nlearned ${JSON.stringify(learned)}`);
    expect(learned.ticks).toBe(tracker.ticks);
    expect(learned.objects).toBeGreaterThan(50);
    // With the uncalibrated tracker fusion-head-mlp-2 was trained with, the head raised
    // confirmed-track AP (0.717 vs 0.640). The calibrated radar covariances (trackerConfig) made the
    // radar-only tracker itself far better (0.870), and the head, not retrained for it, now costs
    // AP there (0.746); a head retrained on the calibrated tracker gets 0.860 (docs/fusion.md).
    expect(learned.apConfirmed).toBeGreaterThan(0.7);
    expect(learned.confirmedRecall).toBeGreaterThanOrEqual(tracker.confirmedRecall);
    expect(learned.falseConfirmedPerTick).toBeLessThan(1.5 * tracker.falseConfirmedPerTick);
  });
});
