/**
 * The devkit's `accumulate`, `calc_ap` and `calc_tp` (eval/detection/algo.py): greedy matching by
 * descending score, the 101-point precision / confidence curves and the TP-error curves.
 */
import { attrAcc, centerDistance, cummean, scaleIou, velocityL2, yawDiff } from "./boxErrors";
import { linspace01, npInterp, npMean, pyRound } from "./numpyMath";
import { TP_METRICS, type DetectionMetricData, type EvalBox, type TpMetric } from "./types";

export const CURVE_POINTS = 101;

/** What accumulate returns when a class has no GT or no match: precision 0 and every TP error 1. */
export function noPredictions(numGt = 0, numPred = 0): DetectionMetricData {
  const errors = {} as Record<TpMetric, Float64Array>;
  for (const m of TP_METRICS) errors[m] = new Float64Array(CURVE_POINTS).fill(1);
  return {
    recall: linspace01(CURVE_POINTS),
    precision: new Float64Array(CURVE_POINTS),
    confidence: new Float64Array(CURVE_POINTS),
    errors,
    matches: 0,
    numGt,
    numPred,
  };
}

/** Boxes grouped by sample, samples in first-seen order (the devkit's `EvalBoxes`). */
export function groupBySample(boxes: readonly EvalBox[]): Map<string, EvalBox[]> {
  const out = new Map<string, EvalBox[]>();
  for (const b of boxes) {
    let list = out.get(b.sample);
    if (!list) out.set(b.sample, (list = []));
    list.push(b);
  }
  return out;
}

export type AccumulateOptions = {
  /** Heading period for the orientation error: π for classes like barrier, else 2π. */
  orientPeriod?: number;
};

/**
 * One class at one distance threshold. `gt` and `pred` are all boxes (any class), as lists in
 * the devkit's `EvalBoxes.all` order (samples in order, then box order) or already grouped by
 * sample: equal scores are broken by that order, the later box first.
 */
export function accumulate(
  gt: readonly EvalBox[] | ReadonlyMap<string, readonly EvalBox[]>,
  pred: readonly EvalBox[] | ReadonlyMap<string, readonly EvalBox[]>,
  className: string,
  distTh: number,
  options: AccumulateOptions = {},
): DetectionMetricData {
  const gtBySample = "get" in gt ? gt : groupBySample(gt);
  // This class's GT per sample, in list order (equal distances go to the earlier GT box).
  const classGt = new Map<string, EvalBox[]>();
  let npos = 0;
  for (const [sample, boxes] of gtBySample) {
    const mine = boxes.filter((b) => b.detectionName === className);
    if (mine.length) classGt.set(sample, mine);
    npos += mine.length;
  }
  // Ranked in EvalBoxes.all order (grouped by sample, samples in first-seen order), which decides ties.
  const preds: EvalBox[] = [];
  for (const boxes of ("get" in pred ? pred : groupBySample(pred)).values())
    for (const b of boxes) if (b.detectionName === className) preds.push(b);
  if (npos === 0) return noPredictions(0, preds.length);
  const m = matchGreedily(classGt, preds, distTh, options.orientPeriod ?? 2 * Math.PI);
  if (m.matchConf.length === 0) return noPredictions(npos, preds.length);
  return curves(m, npos, preds.length);
}

/** The greedy matching's outcome, per prediction in rank order and per match. */
type Matching = {
  tpCum: number[];
  fpCum: number[];
  conf: number[];
  /** Per match: each TP error and the prediction's score. */
  match: Record<TpMetric, number[]>;
  matchConf: number[];
};

/** Predictions by descending score each take the nearest untaken GT of their sample, when it is within `distTh`. */
function matchGreedily(classGt: ReadonlyMap<string, EvalBox[]>, preds: readonly EvalBox[], distTh: number, period: number): Matching {
  // sorted((score, index)) reversed: descending score, equal scores by descending index.
  const order = preds.map((_, i) => i);
  order.sort((a, b) => preds[b]!.score - preds[a]!.score || b - a);
  const taken = new Map<string, Uint8Array>();
  const m: Matching = {
    tpCum: [],
    fpCum: [],
    conf: [],
    match: { trans_err: [], scale_err: [], orient_err: [], vel_err: [], attr_err: [] },
    matchConf: [],
  };
  let tp = 0;
  let fp = 0;
  for (const ind of order) {
    const p = preds[ind]!;
    const candidates = classGt.get(p.sample);
    let minDist = Infinity;
    let matchIdx = -1;
    if (candidates) {
      let takenHere = taken.get(p.sample);
      if (!takenHere) taken.set(p.sample, (takenHere = new Uint8Array(candidates.length)));
      for (let gi = 0; gi < candidates.length; gi++) {
        if (takenHere[gi]) continue;
        const d = centerDistance(candidates[gi]!, p);
        if (d < minDist) {
          minDist = d;
          matchIdx = gi;
        }
      }
      if (minDist < distTh) {
        takenHere[matchIdx] = 1;
        tp++;
        const g = candidates[matchIdx]!;
        m.match.trans_err.push(centerDistance(g, p));
        m.match.vel_err.push(velocityL2(g, p));
        m.match.scale_err.push(g.size && p.size ? 1 - scaleIou(g.size, p.size) : NaN);
        m.match.orient_err.push(g.rotation && p.rotation ? yawDiff(g.rotation, p.rotation, period) : NaN);
        m.match.attr_err.push(1 - attrAcc(g.attribute, p.attribute));
        m.matchConf.push(p.score);
      } else {
        fp++;
      }
    } else {
      fp++;
    }
    m.tpCum.push(tp);
    m.fpCum.push(fp);
    m.conf.push(p.score);
  }
  return m;
}

/** The 101-point precision and confidence curves over recall, and each TP error's cumulative mean read off at the grid's scores. */
function curves(m: Matching, npos: number, numPred: number): DetectionMetricData {
  const n = m.tpCum.length;
  const prec = new Float64Array(n);
  const rec = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    prec[i] = m.tpCum[i]! / (m.fpCum[i]! + m.tpCum[i]!);
    rec[i] = m.tpCum[i]! / npos;
  }
  const recallGrid = linspace01(CURVE_POINTS);
  const precision = npInterp(recallGrid, rec, prec, undefined, 0);
  const confidence = npInterp(recallGrid, rec, m.conf, undefined, 0);

  // Arrays reversed so xp ascends.
  const confRev = confidence.slice().reverse();
  const matchConfRev = m.matchConf.slice().reverse();
  const errors = {} as Record<TpMetric, Float64Array>;
  for (const metric of TP_METRICS) {
    const cm = cummean(m.match[metric]).reverse();
    errors[metric] = npInterp(confRev, matchConfRev, cm).reverse();
  }
  return { recall: recallGrid, precision, confidence, errors, matches: m.matchConf.length, numGt: npos, numPred };
}

/** Index of the last non-zero confidence on the curve (0 when none). */
export function maxRecallInd(md: DetectionMetricData): number {
  for (let i = md.confidence.length - 1; i >= 0; i--) if (md.confidence[i] !== 0) return i;
  return 0;
}

/**
 * AP: mean of the precision curve above the min-recall bin, minus `minPrecision` and clipped at
 * 0, normalised by (1 − minPrecision). Throws unless 0 ≤ minPrecision < 1 and 0 ≤ minRecall ≤ 1.
 */
export function calcAp(md: DetectionMetricData, minRecall: number, minPrecision: number): number {
  if (!(minPrecision >= 0 && minPrecision < 1))
    throw new RangeError(`calcAp: minPrecision ${minPrecision} out of range, expected 0 <= minPrecision < 1`);
  if (!(minRecall >= 0 && minRecall <= 1))
    throw new RangeError(`calcAp: minRecall ${minRecall} out of range, expected 0 <= minRecall <= 1`);
  const p = md.precision.slice(pyRound(100 * minRecall) + 1);
  for (let i = 0; i < p.length; i++) {
    p[i] = p[i]! - minPrecision;
    if (p[i]! < 0) p[i] = 0;
  }
  return npMean(p) / (1 - minPrecision);
}

/** A TP error: mean of its curve over [min-recall bin + 1, max recall index]; 1 when that range is empty. */
export function calcTp(md: DetectionMetricData, minRecall: number, metric: TpMetric): number {
  const firstInd = pyRound(100 * minRecall) + 1;
  const lastInd = maxRecallInd(md);
  if (lastInd < firstInd) return 1;
  return npMean(md.errors[metric].subarray(firstInd, lastInd + 1));
}
