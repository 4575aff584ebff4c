/*
 * Centre-distance average precision as the nuScenes devkit computes it (detection/algo.py,
 * `accumulate` + `calc_ap`, checked against test vectors from the devkit in
 * ../shared/data/peer-vectors/nuscenes_detection.json):
 * - predictions of all samples sorted by descending score (ties: the later prediction first),
 *   each greedily matched to the nearest unmatched ground truth of its sample with xy centre
 *   distance strictly below `distTh`;
 * - the precision/recall curve is linearly interpolated onto recall i·0.01, i = 0..100
 *   (left of the first recall: the first precision; right of the last: 0);
 * - AP = mean over bins 11..100 of max(0, precision − minPrecision), divided by 1 − minPrecision.
 *
 * One addition the devkit does not have: `ignore` boxes (objects the sensor could not see, or that
 * lie outside the evaluated range): a prediction that matches no counted ground truth but lies
 * within `distTh` of an ignore box is dropped instead of counted as a false positive.
 */

export type ApPoint = { x: number; y: number };
export type ApPrediction = ApPoint & { score: number };
export type ApSample = { gt: readonly ApPoint[]; pred: readonly ApPrediction[]; ignore?: readonly ApPoint[] };

export type ApResult = {
  ap: number;
  /** Precision on the 101-point recall grid. */
  precision: number[];
  /** Ground-truth boxes counted, true and false positives at the lowest score. */
  gtCount: number;
  tp: number;
  fp: number;
};

export type ApOptions = { distTh?: number; minRecall?: number; minPrecision?: number };

/** numpy.interp(x, xp, fp) with left = fp[0], right = `right`, xp non-decreasing. */
function interp(x: number, xp: readonly number[], fp: readonly number[], right: number): number {
  const n = xp.length;
  if (n === 0) return right;
  if (x < xp[0]!) return fp[0]!;
  if (x > xp[n - 1]!) return right;
  // numpy picks the last index j with xp[j] <= x, so a repeated recall takes the last duplicate.
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (xp[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  if (lo === n - 1) return fp[n - 1]!;
  const x0 = xp[lo]!;
  const x1 = xp[lo + 1]!;
  if (x1 === x0) return fp[lo + 1]!;
  return fp[lo]! + ((x - x0) / (x1 - x0)) * (fp[lo + 1]! - fp[lo]!);
}

export function centreDistanceAp(samples: readonly ApSample[], options: ApOptions = {}): ApResult {
  const distTh = options.distTh ?? 2;
  const minRecall = options.minRecall ?? 0.1;
  const minPrecision = options.minPrecision ?? 0.1;
  if (!(minRecall >= 0 && minRecall < 1) || !(minPrecision >= 0 && minPrecision < 1)) {
    throw new RangeError(`centreDistanceAp: minRecall and minPrecision must be in [0, 1), got ${minRecall} and ${minPrecision}`);
  }
  const gtCount = samples.reduce((n, s) => n + s.gt.length, 0);
  const zero: ApResult = { ap: 0, precision: new Array<number>(101).fill(0), gtCount, tp: 0, fp: 0 };
  const preds: Array<{ s: number; p: ApPrediction; order: number }> = [];
  samples.forEach((s, si) => s.pred.forEach((p) => preds.push({ s: si, p, order: preds.length })));
  if (gtCount === 0) return zero;
  // numpy argsort of -score is not stable in the devkit's setup; upstream vectors settle ties to the later one.
  preds.sort((a, b) => b.p.score - a.p.score || b.order - a.order);
  const taken = samples.map((s) => new Uint8Array(s.gt.length));
  const tpCum: number[] = [];
  const fpCum: number[] = [];
  let tp = 0;
  let fp = 0;
  for (const { s, p } of preds) {
    const gt = samples[s]!.gt;
    let best = -1;
    let bestD = Infinity;
    for (let g = 0; g < gt.length; g++) {
      if (taken[s]![g]) continue;
      const d = Math.hypot(gt[g]!.x - p.x, gt[g]!.y - p.y);
      if (d < bestD) {
        bestD = d;
        best = g;
      }
    }
    if (best >= 0 && bestD < distTh) {
      taken[s]![best] = 1;
      tp++;
    } else {
      const ign = samples[s]!.ignore ?? [];
      if (ign.some((g) => Math.hypot(g.x - p.x, g.y - p.y) < distTh)) continue;
      fp++;
    }
    tpCum.push(tp);
    fpCum.push(fp);
  }
  if (tpCum.length === 0) return zero;
  const rec = tpCum.map((t) => t / gtCount);
  const prec = tpCum.map((t, i) => t / Math.max(1, t + fpCum[i]!));
  const precision: number[] = [];
  for (let i = 0; i <= 100; i++) precision.push(interp(i * 0.01, rec, prec, 0));
  const first = Math.round(100 * minRecall) + 1;
  let sum = 0;
  for (let i = first; i <= 100; i++) sum += Math.max(0, precision[i]! - minPrecision);
  const ap = sum / (101 - first) / (1 - minPrecision);
  return { ap, precision, gtCount, tp, fp };
}
