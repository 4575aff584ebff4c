import * as fs from "fs";
import * as path from "path";
import { loadFusionHead } from "../fusion";
import { planPipeline } from "../pipeline";
import { nodeModelFiles } from "../runtime/nodeModelFiles";
import { selectBackend } from "../runtime/selectBackend";
import { FileReadable } from "../sources/mcap/FileReadable";
import { inspectRecording } from "../sources/mcap/inspectRecording";
import { VENDOR_CLASSIFY } from "../decode/vendorDecoders";
import type { Detection, GroundTruthFrame, GroundTruthObject } from "../types";
import { captureEncodedTicks, fuseCached, type CachedTick, type CapturedRun } from "./cachedFusion";
import { evaluateScenes } from "./evaluateScenes";
import { detectionBox, detectionClass, lossBudget, movedObject, type LossBudget } from "./lossBudget";
import { formatLossBudgetMarkdown, largestDrop } from "./lossBudgetReport";

const gtObject = (over: Partial<GroundTruthObject> = {}): GroundTruthObject => ({
  id: 1,
  classification: "car",
  position: { x: 20, y: 2, z: 0.8 },
  size: { x: 4.5, y: 1.9, z: 1.6 },
  yawRad: 0,
  velocity: { x: 10, y: -1, z: 0 },
  sirenOn: false,
  visibility: {},
  ...over,
});

describe("loss budget pieces", () => {
  it("moves a ground-truth object by its velocity less the ego's straight-line motion", () => {
    // 0.05 s later, ego at 15 m/s: relative velocity (10 − 15, −1) → (−0.25, −0.05) m.
    const moved = movedObject(gtObject(), 0.05, 15);
    expect(moved.position.x).toBeCloseTo(19.75, 12);
    expect(moved.position.y).toBeCloseTo(1.95, 12);
    expect(moved.position.z).toBe(0.8);
    expect(movedObject(gtObject(), -0.1, 0).position.x).toBeCloseTo(19, 12);
  });

  it("a detection's class is its most probable one, unknown without an opinion; its box keeps score and size", () => {
    const d: Detection = {
      position: { x: 5, y: 1, z: 0 },
      positionCovariance: [1, 0, 0, 1],
      classProbabilities: { car: 0.2, pedestrian: 0.7 },
      score: 0.9,
      size: { x: 0.6, y: 0.6, z: 1.7 },
    };
    expect(detectionClass(d)).toBe("pedestrian");
    expect(detectionClass({ classProbabilities: {} })).toBe("unknown");
    const box = detectionBox(d, "s")!;
    expect(box).toMatchObject({ sample: "s", translation: [5, 1, 0], size: [0.6, 0.6, 1.7], detectionName: "pedestrian", score: 0.9 });
    expect(box.rotation).toBeNull();
    expect(detectionBox({ ...d, classProbabilities: { emergency_vehicle: 0.8 } }, "s")!.detectionName).toBe("car");
    expect(detectionBox({ ...d, classProbabilities: { static_clutter: 0.8 } }, "s")).toBeNull();
  });
});

const FILE = path.resolve(__dirname, "../../recordings/default.mcap");
const MODELS = path.resolve(__dirname, "../../models");
const present = fs.existsSync(FILE) && fs.existsSync(path.join(MODELS, "fusion", "model.json"));
if (!present) console.warn(`skipping the loss budget on a recording: ${FILE} or ${MODELS}/fusion is absent`);
const describeIf = present ? describe : describe.skip;

describeIf("loss budget of recordings/default.mcap", () => {
  let captured: CapturedRun;
  let plan: ReturnType<typeof planPipeline>;
  let head: Awaited<ReturnType<typeof loadFusionHead>>;
  let budgets: LossBudget[];
  beforeAll(async () => {
    await selectBackend({ backend: "wasm", log: () => undefined });
    const source = await FileReadable.open(FILE);
    try {
      plan = planPipeline(await inspectRecording(source, { classify: VENDOR_CLASSIFY }));
      captured = await captureEncodedTicks(source, plan, { models: { files: nodeModelFiles(), dir: MODELS } });
    } finally {
      await source.close();
    }
    head = await loadFusionHead(nodeModelFiles(), MODELS);
    budgets = lossBudget(plan, captured.ticks, captured.groundTruth, { recording: FILE, condition: "default", head });
  });
  afterAll(() => head?.dispose());

  it("one budget per pipeline, stages in order; the head stage only where a head runs", () => {
    expect(budgets.map((b) => b.pipeline)).toEqual(["fused", "camera", "lidar", "radar"]);
    expect(budgets[0]!.stages.map((s) => s.stage)).toEqual([
      "detections@capture",
      "detections@tick",
      "tracks",
      "confirmed",
      "head",
      "scene",
    ]);
    for (const b of budgets.slice(1)) expect(b.stages.map((s) => s.stage)).not.toContain("head");
  });

  it("the scene stage is exactly what eval scores; the detection stages count every detection of the pipeline's sensors", () => {
    const expected = new Map([
      ["fused", evaluateScenes(captured.groundTruth, fuseCached(plan, captured.ticks, { fusionHead: head }))],
      ...(["camera", "lidar", "radar"] as const).map(
        (k) => [k, evaluateScenes(captured.groundTruth, fuseCached(plan, captured.ticks, { only: k }))] as const,
      ),
    ]);
    for (const b of budgets) {
      const scene = b.stages.find((s) => s.stage === "scene")!;
      const want = expected.get(b.pipeline)!;
      expect({ pipeline: b.pipeline, mAP: scene.mAP, classes: b.classes }).toEqual({
        pipeline: b.pipeline,
        mAP: want.mAP,
        classes: want.classes,
      });
      for (const c of b.classes) expect(scene.apByClass[c]).toBe(want.apByClass[c]);
    }
    const lidar = budgets.find((b) => b.pipeline === "lidar")!;
    // Detections inside the 50 m vehicle range; the count is of boxes in range, as the devkit filters them.
    const detections = captured.ticks.flatMap((t) =>
      t.encoded.evidence.evidence.filter((e) => e.kind === "lidar").flatMap((e) => e.detections),
    );
    expect(lidar.stages[0]!.predictions).toBeGreaterThan(0);
    expect(lidar.stages[0]!.predictions).toBeLessThanOrEqual(detections.length);
    expect(lidar.stages[0]!.predictions).toBe(lidar.stages[1]!.predictions);
  });

  it("perfect LiDAR detections at their capture time score AP 1 there, and less against the tick's ground truth", () => {
    // Every LiDAR detection replaced by the ground truth moved to the sweep's stamp.
    const gtAt = new Map<bigint, GroundTruthFrame>(captured.groundTruth.map((g) => [g.stamp, g]));
    const nearest = (stamp: bigint): GroundTruthFrame => {
      let best: GroundTruthFrame | undefined;
      for (const g of gtAt.values()) if (!best || abs(g.stamp - stamp) < abs(best.stamp - stamp)) best = g;
      return best!;
    };
    const ticks: CachedTick[] = captured.ticks.map((t) => {
      const g = nearest(t.encoded.evidence.stamp);
      const evidence = t.encoded.evidence.evidence.map((e) =>
        e.kind !== "lidar"
          ? e
          : {
              ...e,
              detections: g.objects.map((o): Detection => {
                const m = movedObject(o, Number(e.stamp - g.stamp) / 1e9, g.egoSpeedMps);
                return {
                  position: m.position,
                  positionCovariance: [0.1, 0, 0, 0.1],
                  classProbabilities: { [o.classification]: 1 },
                  score: 1,
                  size: o.size,
                  yawRad: o.yawRad,
                };
              }),
            },
      );
      return { ...t, encoded: { ...t.encoded, evidence: { ...t.encoded.evidence, evidence } } };
    });
    const [b] = lossBudget(plan, ticks, captured.groundTruth, { recording: FILE, condition: "perfect", pipelines: ["lidar"] });
    const [capture, atTick] = b!.stages;
    expect(capture!.mAP).toBeCloseTo(1, 6);
    expect(capture!.anyClassAP).toBeCloseTo(1, 6);
    // The sweeps are not at the tick stamps and the ego moves: at 0.5 m the skew costs matches.
    expect(atTick!.mAP).toBeLessThan(capture!.mAP - 0.01);
  });

  it("the markdown has a table per pipeline and names the largest drop", () => {
    const md = formatLossBudgetMarkdown(budgets);
    expect(md.match(/^### default — /gm)).toHaveLength(4);
    expect(md).toContain("| mAP |");
    const drop = largestDrop(budgets[0]!);
    if (drop) expect(md).toContain(`Largest drop: ${drop.metric}`);
  });
});

const abs = (x: bigint): bigint => (x < 0n ? -x : x);
