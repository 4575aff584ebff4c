/*
 * Figures of the shipped fusion head (models/fusion) on the validation drives of `train --fusion`
 * (seeds 29000–29011, cached in tmp/fusion-data, generated when missing) or on other drives of the
 * fusion seed range: scene-level AP@2m / confirmed precision & recall / false confirmed tracks per
 * tick for the tracker alone, the naive head and the learned head, in three conditions; and the
 * head's refine() time per tick.
 *
 *   node --require ./bench/register.js bench/fusionTrain.ts [--seeds 29000-29011] [--duration 15] [--variant random|fog|faults] [--models models] [--data tmp/fusion-data]
 *
 * Drive seed s is variant random / fog / faults for s mod 3 = 0 / 1 / 2 (as in training); --variant keeps one.
 */
import * as os from "os";
import { isModelFileError } from "../src/runtime/modelFiles";
import { createNaiveFusionHead } from "../src/fusion/head/naiveHead";
import { loadFusionHead } from "../src/fusion/head/model";
import {
  decodeDrive,
  driveFileName,
  encodeDrive,
  generateDrive,
  type DriveSpec,
  type DriveVariant,
  type FusionDrive,
} from "../src/train/fusion/drives";
import { closedLoop } from "../src/train/fusion/metrics";
import type { Augmentation } from "../src/train/fusion/dataset";
import { replayDrive } from "../src/train/fusion/dataset";
import { nodeModelFiles } from "../src/runtime/nodeModelFiles";
import { selectBackend } from "../src/runtime/selectBackend";

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}

async function main(): Promise<void> {
  const [from, to] = arg("--seeds", "29000-29011").split("-").map(Number) as [number, number];
  const durationS = Number(arg("--duration", "15"));
  const modelsDir = arg("--models", "models");
  const cache = nodeModelFiles(arg("--data", "tmp/fusion-data"));
  await selectBackend({ backend: "auto", log: (l) => console.error(l) });
  const variants: DriveVariant[] = ["random", "fog", "faults"];
  const drives: FusionDrive[] = [];
  const only = arg("--variant", "");
  for (let seed = from; seed <= (to ?? from); seed++) {
    const spec: DriveSpec = { seed, variant: variants[seed % 3]!, durationS };
    if (only !== "" && spec.variant !== only) continue;
    try {
      drives.push(decodeDrive(await cache.read(driveFileName(spec)), driveFileName(spec)));
    } catch (err) {
      if (!isModelFileError(err)) throw err;
      const d = await generateDrive(spec, { files: nodeModelFiles(), dir: modelsDir });
      await cache.write(driveFileName(spec), encodeDrive(d));
      drives.push(d);
    }
  }
  const learned = await loadFusionHead(nodeModelFiles(), modelsDir);
  const heads = { "tracker alone": undefined, naive: createNaiveFusionHead(), learned };
  const conditions: [string, Augmentation, ("camera" | "lidar" | "radar")[]][] = [
    ["all sensors", { kind: "none" }, ["camera", "lidar", "radar"]],
    ["camera + LiDAR removed", { kind: "radarOnly" }, ["radar"]],
    ["fog 50 m (augmented)", { kind: "fog", seed: 1, visibilityM: 50 }, ["camera", "lidar", "radar"]],
  ];
  console.log(
    `drives: seeds ${from}–${to}${only ? ` (${only} only)` : ""}, ${durationS} s each (${drives.length}); model ${learned.metadata.modelVersion} (${String(learned.metadata.date)})`,
  );
  console.log(
    "| condition | fusion | AP@2m confirmed tracks | AP@2m all tracks | confirmed precision | confirmed recall | false confirmed / tick | position RMS (m) |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  for (const [name, aug, vis] of conditions) {
    for (const [h, head] of Object.entries(heads)) {
      const m = closedLoop(drives, aug, head, vis);
      console.log(
        `| ${name} | ${h} | ${m.apConfirmed.toFixed(3)} | ${m.ap.toFixed(3)} | ${m.confirmedPrecision.toFixed(3)} | ${m.confirmedRecall.toFixed(3)} | ${m.falseConfirmedPerTick.toFixed(3)} | ${m.positionRms.toFixed(2)} |`,
      );
    }
  }
  // refine() time per tick, over the recorded candidates of every tick.
  const ticks = drives.flatMap((d) => replayDrive(d, { kind: "none" })).filter((t) => t.candidates.length > 0);
  const times: number[] = [];
  let n = 0;
  for (let rep = 0; rep < 3; rep++) {
    for (const t of ticks) {
      const s = performance.now();
      learned.refine(t.stamp, t.candidates);
      times.push(performance.now() - s);
      n += t.candidates.length;
    }
  }
  times.sort((a, b) => a - b);
  const q = (p: number): number => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  console.log(
    `refine(): ${times.length} ticks, ${(n / times.length).toFixed(1)} candidates/tick: mean ${(times.reduce((a, b) => a + b, 0) / times.length).toFixed(3)} ms, p50 ${q(0.5).toFixed(3)} ms, p99 ${q(0.99).toFixed(3)} ms; load average ${os
      .loadavg()
      .map((v) => v.toFixed(1))
      .join(" ")}`,
  );
  learned.dispose();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
