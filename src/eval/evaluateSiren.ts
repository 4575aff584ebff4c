/**
 * Siren detection metrics per tick: ground truth (`sirenActive`, `sirenBearingRad`) against the
 * scene's `siren` hazards (probability, bearing). A tick raises an alarm when its most probable
 * siren hazard reaches the probability threshold.
 */
import type { GroundTruthFrame } from "../types";
import type { SceneHazard, SceneState } from "../types/scene";
import { pairFrames } from "./evaluateScenes";

export type SirenEvalOptions = {
  /** A tick is an alarm when a siren hazard has probability >= this. Default 0.5. */
  probabilityThreshold?: number;
  /** Largest |GT stamp − scene stamp| for a pair (ms). Default 50. */
  maxStampDeltaMs?: number;
  /** GT frames with no scene state in the tolerance: `empty` (default) = no alarm; `skip` = left out. */
  unmatchedFrames?: "empty" | "skip";
};

export type SirenMetrics = {
  /** Ticks scored (GT frames, after `unmatchedFrames`). */
  ticks: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  trueNegatives: number;
  /** TP / (TP + FP); NaN when no alarm was raised. */
  precision: number;
  /** TP / (TP + FN); NaN when the siren was never active. */
  recall: number;
  /** FP / (FP + TN): share of siren-free ticks with an alarm; NaN when the siren was always active. */
  falseAlarmRate: number;
  /**
   * Median |bearing error| (deg) over true-positive ticks with a bearing, taking the nearer of the
   * front solution and its front/back mirror (a two-microphone array cannot tell them apart). NaN
   * when there is none.
   */
  medianBearingErrorDeg: number;
  /** The same with the front solution only. */
  medianFrontBearingErrorDeg: number;
  /** Per true-positive tick with a bearing: nearer-of-mirror error and front-only error (deg), tick order. */
  bearingErrorsDeg: number[];
  frontBearingErrorsDeg: number[];
  /** GT frames without a scene state in the tolerance. */
  framesWithoutScene: number;
};

/** |a − b| wrapped to [0, 180] degrees. */
export function angularErrorDeg(a: number, b: number): number {
  const d = Math.abs(Math.atan2(Math.sin(a - b), Math.cos(a - b)));
  return (d * 180) / Math.PI;
}

/** Median; mean of the two middle values for an even count; NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function strongestSiren(hazards: readonly SceneHazard[]): SceneHazard | null {
  let best: SceneHazard | null = null;
  for (const h of hazards) if (h.kind === "siren" && (!best || h.probability > best.probability)) best = h;
  return best;
}

/** What is counted per tick; the rates and medians follow from it (`finish`). */
type SirenCounts = Omit<SirenMetrics, "precision" | "recall" | "falseAlarmRate" | "medianBearingErrorDeg" | "medianFrontBearingErrorDeg">;

function emptyCounts(): SirenCounts {
  return {
    ticks: 0,
    truePositives: 0,
    falsePositives: 0,
    falseNegatives: 0,
    trueNegatives: 0,
    bearingErrorsDeg: [],
    frontBearingErrorsDeg: [],
    framesWithoutScene: 0,
  };
}

function finish(c: SirenCounts): SirenMetrics {
  const ratio = (num: number, den: number): number => (den > 0 ? num / den : NaN);
  return {
    ...c,
    precision: ratio(c.truePositives, c.truePositives + c.falsePositives),
    recall: ratio(c.truePositives, c.truePositives + c.falseNegatives),
    falseAlarmRate: ratio(c.falsePositives, c.falsePositives + c.trueNegatives),
    medianBearingErrorDeg: median(c.bearingErrorsDeg),
    medianFrontBearingErrorDeg: median(c.frontBearingErrorsDeg),
  };
}

/** Siren precision / recall / false-alarm rate and bearing error of one run. Pure. */
export function evaluateSiren(
  groundTruth: readonly GroundTruthFrame[],
  scenes: readonly SceneState[],
  options: SirenEvalOptions = {},
): SirenMetrics {
  const threshold = options.probabilityThreshold ?? 0.5;
  if (!(threshold >= 0 && threshold <= 1))
    throw new RangeError(`evaluateSiren: probabilityThreshold ${threshold} out of range, expected 0..1`);
  const { pairs } = pairFrames(groundTruth, scenes, options.maxStampDeltaMs ?? 50);
  const c = emptyCounts();
  for (const { gt, scene } of pairs) {
    if (!scene) {
      c.framesWithoutScene++;
      if (options.unmatchedFrames === "skip") continue;
    }
    c.ticks++;
    const h = scene ? strongestSiren(scene.hazards) : null;
    const alarm = h !== null && h.probability >= threshold;
    if (gt.sirenActive && alarm) {
      c.truePositives++;
      if (h.bearingRad !== null && Number.isFinite(h.bearingRad) && Number.isFinite(gt.sirenBearingRad)) {
        const front = angularErrorDeg(h.bearingRad, gt.sirenBearingRad);
        // No mirror solution (null) = the array resolved front/back itself: the front error stands.
        const m = h.mirroredBearingRad;
        const mirror = m !== null && Number.isFinite(m) ? angularErrorDeg(m, gt.sirenBearingRad) : Infinity;
        c.frontBearingErrorsDeg.push(front);
        c.bearingErrorsDeg.push(Math.min(front, mirror));
      }
    } else if (gt.sirenActive) c.falseNegatives++;
    else if (alarm) c.falsePositives++;
    else c.trueNegatives++;
  }
  return finish(c);
}

/** Pools several runs' siren results (counts add up; medians over all pooled ticks). */
export function mergeSirenMetrics(runs: readonly SirenMetrics[]): SirenMetrics {
  const c = emptyCounts();
  for (const r of runs) {
    c.ticks += r.ticks;
    c.truePositives += r.truePositives;
    c.falsePositives += r.falsePositives;
    c.falseNegatives += r.falseNegatives;
    c.trueNegatives += r.trueNegatives;
    c.framesWithoutScene += r.framesWithoutScene;
    c.bearingErrorsDeg.push(...r.bearingErrorsDeg);
    c.frontBearingErrorsDeg.push(...r.frontBearingErrorsDeg);
  }
  return finish(c);
}
