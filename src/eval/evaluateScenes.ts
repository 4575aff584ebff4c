/**
 * Our types → the devkit's boxes, and detection metrics of a run of scene states against the
 * recording's ground truth. Each ground-truth frame is one devkit "sample" (token = its stamp in
 * ns); it is paired with the scene state nearest in stamp, within a tolerance.
 */
import type { GroundTruthFrame, GroundTruthObject, Nanos, ObjectClass } from "../types";
import type { SceneObject, SceneState } from "../types/scene";
import { yawToQuaternion } from "./boxErrors";
import { BadInputError } from "../types/errors";
import { evaluateDetections, type DetectionEvaluation } from "./evaluateDetections";
import type { DetectionConfig, DetectionMetrics, EvalBox, TpMetric } from "./types";

/** Classes we evaluate. `cyclist` is nuScenes' `bicycle`. */
export type EvalClass = "car" | "truck" | "pedestrian" | "cyclist" | "motorcycle" | "emergency_vehicle";
export const EVAL_CLASSES: readonly EvalClass[] = ["car", "truck", "pedestrian", "cyclist", "motorcycle", "emergency_vehicle"];

/** nuScenes' detection ranges (detection_cvpr_2019): vehicles 50 m, pedestrians and two-wheelers 40 m. */
export const DEFAULT_CLASS_RANGE_M: Readonly<Record<EvalClass, number>> = {
  car: 50,
  truck: 50,
  emergency_vehicle: 50,
  pedestrian: 40,
  cyclist: 40,
  motorcycle: 40,
};

export type SceneEvalOptions = {
  /**
   * `car` (default): emergency vehicles are scored as cars (nuScenes has no such class; an
   * ambulance or police car is car-shaped). `own`: a separate `emergency_vehicle` class, where a
   * car prediction on an ambulance is a miss.
   */
  emergencyVehicle?: "car" | "own";
  /** Boxes at or beyond this xy distance from the ego are dropped, per class (m). */
  classRangeM?: Partial<Record<EvalClass, number>>;
  /** Largest |GT stamp − scene stamp| for a pair (ms). Default 50 (half a 10 Hz tick). */
  maxStampDeltaMs?: number;
  /**
   * A ground-truth frame with no scene state within the tolerance: `empty` (default) scores it
   * against no predictions (its objects are misses); `skip` leaves it out.
   */
  unmatchedFrames?: "empty" | "skip";
  /** Prediction confidence: `existence` (default) or existence × the probability of the predicted class. */
  score?: "existence" | "existenceTimesClass";
  /**
   * Classes that enter mAP / NDS: `withGroundTruth` (default) = those with at least one GT box in
   * range over the whole run (a class absent from a recording would otherwise score AP 0);
   * `all` = every evaluation class.
   */
  classes?: "withGroundTruth" | "all" | readonly EvalClass[];
  /** Matching thresholds (m). Default nuScenes' [0.5, 1, 2, 4]. */
  distThs?: readonly number[];
  /** Threshold for the TP errors (m). Default 2. */
  distThTp?: number;
  minRecall?: number;
  minPrecision?: number;
  /** TP metrics in NDS. Default trans, scale, orient, vel: our ground truth has no attributes. */
  tpMetrics?: readonly TpMetric[];
};

export type SceneDetectionMetrics = {
  /** Classes that entered mAP, in EVAL_CLASSES order. */
  classes: EvalClass[];
  mAP: number;
  /** NDS over `tpMetrics`. */
  nds: number;
  /** AP per class, mean over thresholds. */
  apByClass: Partial<Record<EvalClass, number>>;
  /** AP per class per threshold (keys "0.5", "1", "2", "4"). */
  apByClassAndThreshold: Partial<Record<EvalClass, Record<string, number>>>;
  /**
   * Mean over classes of the TP errors: translation (m), scale (1 − IoU), orientation (rad),
   * velocity (m/s). As in the devkit, a class without any match contributes 1; NaN when no class is evaluated.
   */
  ate: number;
  ase: number;
  aoe: number;
  ave: number;
  tpErrorsByClass: Partial<Record<EvalClass, Record<TpMetric, number>>>;
  /** GT and predicted boxes per class after the range filter, and TPs at the TP threshold. */
  boxes: Partial<Record<EvalClass, { gt: number; pred: number; matched: number }>>;
  frames: {
    groundTruth: number;
    /** Paired with a scene state. */
    matched: number;
    withoutScene: number;
    /** GT frames dropped because an earlier one had the same stamp. */
    duplicateStamps: number;
    /** Objects skipped for a non-finite position, velocity or score (GT and scene together). */
    invalidObjects: number;
  };
  /** The devkit-shaped metrics (per class / threshold / metric). */
  detail: DetectionMetrics;
};

/** The evaluation class of an object class; null = not evaluated (unknown, static clutter). */
export function evalClassOf(c: ObjectClass, emergencyVehicle: "car" | "own" = "car"): EvalClass | null {
  switch (c) {
    case "car":
    case "truck":
    case "pedestrian":
    case "cyclist":
    case "motorcycle":
      return c;
    case "emergency_vehicle":
      return emergencyVehicle === "own" ? "emergency_vehicle" : "car";
    case "unknown":
    case "static_clutter":
      return null;
  }
}

/** Devkit size order [width, length, height]; null unless all three are finite and > 0. */
function devkitSize(size: { x: number; y: number; z: number } | null): [number, number, number] | null {
  if (!size) return null;
  const s: [number, number, number] = [size.y, size.x, size.z];
  return s.every((v) => Number.isFinite(v) && v > 0) ? s : null;
}

/** A ground-truth object as a devkit box (no attribute); null when its class is not evaluated. */
export function groundTruthBox(o: GroundTruthObject, sample: string, emergencyVehicle: "car" | "own" = "car"): EvalBox | null {
  const cls = evalClassOf(o.classification, emergencyVehicle);
  if (!cls) return null;
  return {
    sample,
    translation: [o.position.x, o.position.y, o.position.z],
    size: devkitSize(o.size),
    rotation: Number.isFinite(o.yawRad) ? yawToQuaternion(o.yawRad) : null,
    velocity: [o.velocity.x, o.velocity.y],
    detectionName: cls,
    attribute: "",
    score: -1,
  };
}

/** A scene object as a devkit prediction; null when its class is not evaluated. */
/** What of a scene object (or of any track shaped like one) a prediction box needs. */
export type BoxedObject = Pick<
  SceneObject,
  "classification" | "classProbabilities" | "existence" | "position" | "size" | "yawRad" | "velocity"
>;

export function sceneObjectBox(
  o: BoxedObject,
  sample: string,
  options: Pick<SceneEvalOptions, "emergencyVehicle" | "score"> = {},
): EvalBox | null {
  const cls = evalClassOf(o.classification, options.emergencyVehicle);
  if (!cls) return null;
  const classP = o.classProbabilities[o.classification];
  const score = options.score === "existenceTimesClass" ? o.existence * (classP ?? 1) : o.existence;
  return {
    sample,
    translation: [o.position.x, o.position.y, o.position.z],
    size: devkitSize(o.size),
    rotation: o.yawRad === null || !Number.isFinite(o.yawRad) ? null : yawToQuaternion(o.yawRad),
    velocity: [o.velocity.x, o.velocity.y],
    detectionName: cls,
    attribute: "",
    score,
  };
}

/**
 * For each stamp in `targets`, the index in `candidates` of the nearest stamp within `maxDelta`
 * (ties to the earlier one), or -1. `candidates` need not be sorted.
 */
export function nearestByStamp(targets: readonly Nanos[], candidates: readonly Nanos[], maxDelta: Nanos): number[] {
  const order = candidates
    .map((_, i) => i)
    .sort((a, b) => (candidates[a]! < candidates[b]! ? -1 : candidates[a]! > candidates[b]! ? 1 : a - b));
  const sorted = order.map((i) => candidates[i]!);
  return targets.map((t) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    // sorted[lo] is the first >= t; sorted[lo - 1] the last < t.
    let best = -1;
    let bestDelta = 0n;
    for (const k of [lo - 1, lo]) {
      if (k < 0 || k >= sorted.length) continue;
      const d = sorted[k]! > t ? sorted[k]! - t : t - sorted[k]!;
      if (d <= maxDelta && (best === -1 || d < bestDelta)) {
        best = k;
        bestDelta = d;
      }
    }
    return best === -1 ? -1 : order[best]!;
  });
}

/** Pairs GT frames with scene states. Frames with a repeated stamp are dropped (counted). */
export function pairFrames(
  groundTruth: readonly GroundTruthFrame[],
  scenes: readonly SceneState[],
  maxStampDeltaMs: number,
): { pairs: { gt: GroundTruthFrame; scene: SceneState | null }[]; duplicateStamps: number } {
  if (!(maxStampDeltaMs >= 0))
    throw new BadInputError({ where: `maxStampDeltaMs ${maxStampDeltaMs}`, what: "", expected: "a number of milliseconds >= 0" });
  const seen = new Set<Nanos>();
  const frames: GroundTruthFrame[] = [];
  let duplicateStamps = 0;
  for (const f of groundTruth) {
    if (seen.has(f.stamp)) {
      duplicateStamps++;
      continue;
    }
    seen.add(f.stamp);
    frames.push(f);
  }
  const maxDelta = BigInt(Math.round(maxStampDeltaMs * 1e6));
  const idx = nearestByStamp(
    frames.map((f) => f.stamp),
    scenes.map((s) => s.stamp),
    maxDelta,
  );
  return { pairs: frames.map((gt, i) => ({ gt, scene: idx[i]! >= 0 ? scenes[idx[i]!]! : null })), duplicateStamps };
}

/** The devkit config our options describe, for the given classes. */
export function sceneDetectionConfig(classes: readonly EvalClass[], options: SceneEvalOptions = {}): DetectionConfig {
  const classRange: Record<string, number> = {};
  for (const c of classes) classRange[c] = options.classRangeM?.[c] ?? DEFAULT_CLASS_RANGE_M[c];
  return {
    classNames: classes,
    classRange,
    distThs: options.distThs ?? [0.5, 1, 2, 4],
    distThTp: options.distThTp ?? 2,
    minRecall: options.minRecall ?? 0.1,
    minPrecision: options.minPrecision ?? 0.1,
    meanApWeight: 5,
    tpMetrics: options.tpMetrics ?? ["trans_err", "scale_err", "orient_err", "vel_err"],
    nanTpMetrics: {},
    halfPeriodClasses: [],
  };
}

/** Boxes of one run: GT and predictions per paired frame. */
export function sceneBoxes(
  groundTruth: readonly GroundTruthFrame[],
  scenes: readonly SceneState[],
  options: SceneEvalOptions = {},
): { gt: EvalBox[]; pred: EvalBox[]; frames: SceneDetectionMetrics["frames"] } {
  const { pairs, duplicateStamps } = pairFrames(groundTruth, scenes, options.maxStampDeltaMs ?? 50);
  const gt: EvalBox[] = [];
  const pred: EvalBox[] = [];
  let matched = 0;
  let withoutScene = 0;
  let invalidObjects = 0;
  const usable = (b: EvalBox | null): b is EvalBox => {
    if (!b) return false;
    if ([...b.translation, ...b.velocity, b.score].every(Number.isFinite)) return true;
    invalidObjects++;
    return false;
  };
  for (const { gt: frame, scene } of pairs) {
    if (scene) matched++;
    else withoutScene++;
    if (!scene && options.unmatchedFrames === "skip") continue;
    const sample = String(frame.stamp);
    for (const o of frame.objects) {
      const b = groundTruthBox(o, sample, options.emergencyVehicle);
      if (usable(b)) gt.push(b);
    }
    for (const o of scene?.objects ?? []) {
      const b = sceneObjectBox(o, sample, options);
      if (usable(b)) pred.push(b);
    }
  }
  return { gt, pred, frames: { groundTruth: pairs.length + duplicateStamps, matched, withoutScene, duplicateStamps, invalidObjects } };
}

/**
 * nuScenes-style detection metrics of `scenes` against `groundTruth` (both in the ego frame).
 * Pure: no IO, deterministic.
 */
export function evaluateScenes(
  groundTruth: readonly GroundTruthFrame[],
  scenes: readonly SceneState[],
  options: SceneEvalOptions = {},
): SceneDetectionMetrics {
  const { gt, pred, frames } = sceneBoxes(groundTruth, scenes, options);
  return evaluateBoxes(gt, pred, frames, options);
}

/**
 * The metrics of boxes already paired into samples (`sceneBoxes`, or another stage's boxes such
 * as raw detections in the loss budget): class selection, config and the devkit evaluation.
 */
export function evaluateBoxes(
  gt: readonly EvalBox[],
  pred: readonly EvalBox[],
  frames: SceneDetectionMetrics["frames"],
  options: SceneEvalOptions = {},
): SceneDetectionMetrics {
  const candidates = EVAL_CLASSES.filter((c) => c !== "emergency_vehicle" || options.emergencyVehicle === "own");
  let classes: EvalClass[];
  const sel = options.classes ?? "withGroundTruth";
  if (sel === "all") classes = candidates;
  else if (sel === "withGroundTruth") {
    const range = sceneDetectionConfig(candidates, options).classRange;
    classes = candidates.filter((c) => gt.some((b) => b.detectionName === c && Math.hypot(b.translation[0], b.translation[1]) < range[c]!));
  } else {
    for (const c of sel)
      if (!candidates.includes(c))
        throw new BadInputError({
          where: "classes",
          what: `"${c}" is not evaluated with these options`,
          expected: `some of ${candidates.join(", ")}`,
        });
    classes = EVAL_CLASSES.filter((c) => sel.includes(c));
  }
  const config = sceneDetectionConfig(classes, options);
  const evaluation: DetectionEvaluation = evaluateDetections(gt, pred, config);
  const m = evaluation.metrics;
  const apByClass: SceneDetectionMetrics["apByClass"] = {};
  const apByClassAndThreshold: SceneDetectionMetrics["apByClassAndThreshold"] = {};
  const tpErrorsByClass: SceneDetectionMetrics["tpErrorsByClass"] = {};
  const boxes: SceneDetectionMetrics["boxes"] = {};
  for (const c of classes) {
    apByClass[c] = m.meanDistAps[c]!;
    apByClassAndThreshold[c] = m.labelAps[c]!;
    tpErrorsByClass[c] = m.labelTpErrors[c]!;
    const n = evaluation.counts[c]!;
    boxes[c] = { gt: n.gt, pred: n.pred, matched: n.matchedAtTpThreshold };
  }
  // With no class to evaluate the devkit's means are NaN; say so rather than report 0.
  return {
    classes,
    mAP: classes.length ? m.meanAp : NaN,
    nds: classes.length ? m.ndScore : NaN,
    apByClass,
    apByClassAndThreshold,
    ate: m.tpErrors.trans_err,
    ase: m.tpErrors.scale_err,
    aoe: m.tpErrors.orient_err,
    ave: m.tpErrors.vel_err,
    tpErrorsByClass,
    boxes,
    frames,
    detail: m,
  };
}
