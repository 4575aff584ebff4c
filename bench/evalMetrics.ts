/**
 * How long the evaluation takes.
 *   node --require ./bench/register.js bench/evalMetrics.ts [frames] [objectsPerFrame]
 * 1. The devkit's TestAlgo.test_nd_score fixture (900 GT, 7500 predictions, 10 classes × 4
 *    thresholds) from ../shared/data/peer-vectors, when present.
 * 2. A synthetic run: `frames` ticks (default 6000 = 10 min at 10 Hz) with `objectsPerFrame` GT
 *    objects (default 30) and as many predictions plus 20 % false positives, all six classes.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  accumulate,
  noPredictions,
  calcAp,
  calcTp,
  combineMetrics,
  evaluateScenes,
  evaluateSiren,
  NUSCENES_DETECTION_CONFIG,
  TP_METRICS,
  type EvalBox,
  type TpMetric,
} from "../src/eval";
import type { GroundTruthFrame, ObjectClass } from "../src/types";
import type { SceneObject, SceneState } from "../src/types/scene";

function ms(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function devkitFixture(): void {
  const file = path.resolve(__dirname, "../../shared/data/peer-vectors/nuscenes_detection.json");
  if (!fs.existsSync(file)) {
    console.log(`devkit fixture: skipped (${file} not found)`);
    return;
  }
  type J = {
    sample: string;
    translation: [number, number, number];
    size: [number, number, number];
    rotation: [number, number, number, number];
    velocity: [number, number];
    class: string;
    attribute: string;
    score?: number;
  };
  const c = JSON.parse(fs.readFileSync(file, "utf8")).cases.find((x: { kind: string }) => x.kind === "nd_score_end_to_end");
  const box = (b: J): EvalBox => ({
    sample: b.sample,
    translation: b.translation,
    size: b.size,
    rotation: b.rotation,
    velocity: b.velocity,
    detectionName: b.class,
    attribute: b.attribute,
    score: b.score ?? -1,
  });
  const gt = (c.gt as J[]).map(box);
  const pred = (c.pred as J[]).map(box);
  const cfg = NUSCENES_DETECTION_CONFIG;
  const runs = 5;
  let nds = 0;
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < runs; r++) {
    const aps: Record<string, Record<string, number>> = {};
    const tps: Record<string, Record<TpMetric, number>> = {};
    for (const cls of cfg.classNames) {
      aps[cls] = {};
      const period = cfg.halfPeriodClasses.includes(cls) ? Math.PI : 2 * Math.PI;
      // Four accumulate calls per class, like evaluate.py (the test uses 2 m for all four).
      let md = noPredictions();
      for (const th of cfg.distThs) {
        md = accumulate(gt, pred, cls, 2, { orientPeriod: period });
        aps[cls][String(th)] = calcAp(md, cfg.minRecall, cfg.minPrecision);
      }
      const nan = cfg.nanTpMetrics[cls] ?? [];
      tps[cls] = {} as Record<TpMetric, number>;
      for (const m of TP_METRICS) tps[cls][m] = nan.includes(m) ? NaN : calcTp(md, cfg.minRecall, m);
    }
    nds = combineMetrics(aps, tps, cfg).ndScore;
  }
  console.log(
    `devkit fixture (900 GT, 7500 pred, 10 classes x 4 thresholds): ${(ms(t0) / runs).toFixed(1)} ms per evaluation, NDS ${nds} (devkit 0.08606662159639042)`,
  );
}

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function synthetic(frames: number, perFrame: number): void {
  const rand = rng(7);
  const classes: ObjectClass[] = ["car", "truck", "pedestrian", "cyclist", "motorcycle", "emergency_vehicle"];
  const gt: GroundTruthFrame[] = [];
  const scenes: SceneState[] = [];
  for (let f = 0; f < frames; f++) {
    const stamp = BigInt(f) * 100_000_000n;
    const objects = Array.from({ length: perFrame }, (_, i) => ({
      id: i,
      classification: classes[i % classes.length]!,
      position: { x: (rand() - 0.3) * 80, y: (rand() - 0.5) * 40, z: 0.8 },
      size: { x: 4.5, y: 1.8, z: 1.5 },
      yawRad: rand() * 6,
      velocity: { x: rand() * 10, y: 0, z: 0 },
      sirenOn: false,
      visibility: {},
    }));
    gt.push({
      kind: "groundTruth",
      topic: "/ground_truth",
      stamp,
      frameId: "base_link",
      objects,
      visibilityM: Infinity,
      sirenActive: f % 50 < 10,
      sirenBearingRad: 0.3,
      egoSpeedMps: 10,
    });
    const preds: SceneObject[] = objects.map((o) => ({
      id: o.id,
      classification: o.classification,
      classProbabilities: { [o.classification]: 0.8 },
      position: { x: o.position.x + (rand() - 0.5) * 2, y: o.position.y + (rand() - 0.5) * 2, z: 0.8 },
      velocity: { x: o.velocity.x + rand() - 0.5, y: 0, z: 0 },
      size: { x: 4.2, y: 1.9, z: 1.5 },
      yawRad: o.yawRad + (rand() - 0.5) * 0.2,
      positionCovariance: [1, 0, 0, 0, 1, 0, 0, 0, 1],
      existence: 0.3 + 0.7 * rand(),
      sensors: [],
      firstSeen: 0n,
    }));
    for (let k = 0; k < Math.round(perFrame * 0.2); k++) {
      preds.push({ ...preds[k]!, id: 1000 + k, position: { x: (rand() - 0.3) * 80, y: (rand() - 0.5) * 40, z: 0.8 }, existence: rand() });
    }
    const hazards: SceneState["hazards"] =
      f % 50 < 11
        ? [
            {
              kind: "siren",
              probability: 0.8,
              bearingRad: 0.35,
              mirroredBearingRad: Math.PI - 0.35,
              bearingConfidence: 1,
              firstHeard: stamp,
              lastHeard: stamp,
            },
          ]
        : [];
    scenes.push({
      stamp: stamp + 10_000_000n,
      tick: f,
      frameId: "base_link",
      objects: preds,
      hazards,
      health: { sensors: [], degradation: "NOMINAL", recommendedFallback: "none", degradationReason: "", visibilityM: null, syncSkewMs: 0 },
      latencyMs: {},
    });
  }
  const t0 = process.hrtime.bigint();
  const m = evaluateScenes(gt, scenes, { emergencyVehicle: "own" });
  const tDet = ms(t0);
  const t1 = process.hrtime.bigint();
  const s = evaluateSiren(gt, scenes);
  const tSiren = ms(t1);
  const nPred = Object.values(m.boxes).reduce((a, b) => a + b.pred, 0);
  const nGt = Object.values(m.boxes).reduce((a, b) => a + b.gt, 0);
  console.log(
    `synthetic: ${frames} frames x ${perFrame} objects (+20% FP); in range: ${nGt} GT, ${nPred} pred; ` +
      `evaluateScenes ${tDet.toFixed(0)} ms (mAP ${m.mAP.toFixed(3)}, NDS ${m.nds.toFixed(3)}, ATE ${m.ate.toFixed(3)} m); evaluateSiren ${tSiren.toFixed(1)} ms (recall ${s.recall.toFixed(3)})`,
  );
}

const frames = Number(process.argv[2] ?? 6000);
const perFrame = Number(process.argv[3] ?? 30);
console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? "unknown cpu"} x${os.cpus().length}`);
devkitFixture();
synthetic(frames, perFrame);
