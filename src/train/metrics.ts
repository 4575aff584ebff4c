/** Classification metrics for held-out evaluation (plain numbers, written into metadata.json). */

export type ClassificationMetrics = {
  examples: number;
  accuracy: number;
  /** Mean of the per-class recalls over classes present: robust to the class mix. */
  balancedAccuracy: number;
  perClassRecall: Record<string, number | null>;
  perClassPrecision: Record<string, number | null>;
  /** confusion[true][predicted] counts, in class order. */
  confusion: number[][];
};

export function argmaxRows(probs: Float32Array, numClasses: number): Int32Array {
  const n = probs.length / numClasses;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (probs[i * numClasses + c]! > probs[i * numClasses + best]!) best = c;
    out[i] = best;
  }
  return out;
}

export function classificationMetrics(
  truth: ArrayLike<number>,
  predicted: ArrayLike<number>,
  classes: readonly string[],
): ClassificationMetrics {
  const k = classes.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    confusion[truth[i]!]![predicted[i]!]!++;
    if (truth[i] === predicted[i]) correct++;
  }
  const perClassRecall: Record<string, number | null> = {};
  const perClassPrecision: Record<string, number | null> = {};
  const recalls: number[] = [];
  classes.forEach((name, c) => {
    const row = confusion[c]!.reduce((a, b) => a + b, 0);
    const col = confusion.reduce((a, r) => a + r[c]!, 0);
    perClassRecall[name] = row > 0 ? round4(confusion[c]![c]! / row) : null;
    perClassPrecision[name] = col > 0 ? round4(confusion[c]![c]! / col) : null;
    if (row > 0) recalls.push(confusion[c]![c]! / row);
  });
  return {
    examples: truth.length,
    accuracy: truth.length > 0 ? round4(correct / truth.length) : 0,
    balancedAccuracy: recalls.length > 0 ? round4(recalls.reduce((a, b) => a + b, 0) / recalls.length) : 0,
    perClassRecall,
    perClassPrecision,
    confusion,
  };
}

export function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
