import * as tf from "@tensorflow/tfjs";
import { SeededRandom } from "../encoders/common/seededRandom";
import { runEpochs } from "./runEpochs";

/*
 * A generic, reproducible classifier training loop for any encoder kind: balanced mini-batches
 * drawn with a seeded generator (no tfjs randomness, so the same seed and backend give the same
 * weights), softmax cross-entropy through the model's compiled optimizer, and a per-epoch log line.
 * Camera/LiDAR trainers with other losses can still reuse `Dataset` and `balancedBatches`.
 */

/** Examples as one flat Float32Array of `count × itemSize` values and an integer label each. */
export type Dataset = {
  x: Float32Array;
  labels: Int32Array;
  /** Shape of one example, e.g. [16] or [7, 64, 1]. */
  itemShape: number[];
  count: number;
};

export type FitOptions = {
  seed: number;
  epochs: number;
  /** Batches per epoch (each of `batchSize` examples drawn class-balanced). */
  stepsPerEpoch: number;
  batchSize: number;
  numClasses: number;
  /**
   * Fraction of each batch drawn uniformly instead of class-balanced (0 = fully balanced,
   * 1 = the natural class mix); balancing keeps rare classes learnt, some natural mix keeps the
   * prior honest.
   */
  naturalFraction?: number;
  /** Called after each epoch (e.g. to print one line or evaluate a validation set). */
  onEpoch?: (epoch: number, loss: number) => void;
  /** `performance.now()` (ms) after which training stops at the next step: a wall-clock budget on a shared machine. */
  deadlineMs?: number;
};

export type FitResult = {
  /** Mean loss of each (possibly partial) epoch. */
  losses: number[];
  /** Steps actually run (fewer than epochs × stepsPerEpoch when the deadline hit). */
  steps: number;
  stoppedByDeadline: boolean;
};

export function datasetFrom(items: readonly Float32Array[], labels: readonly number[], itemShape: number[]): Dataset {
  const size = itemShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(items.length * size);
  items.forEach((it, i) => {
    if (it.length !== size) throw new RangeError(`datasetFrom: example ${i} has ${it.length} values, expected ${size}`);
    x.set(it, i * size);
  });
  return { x, labels: Int32Array.from(labels), itemShape, count: items.length };
}

export function classCounts(labels: Int32Array, numClasses: number): number[] {
  const c = new Array<number>(numClasses).fill(0);
  for (const l of labels) c[l]!++;
  return c;
}

/** Index lists for `steps` batches: per slot, pick a class uniformly (or the natural mix), then an example. */
export function balancedBatches(
  ds: Dataset,
  opts: Pick<FitOptions, "batchSize" | "numClasses" | "naturalFraction">,
  steps: number,
  rng: SeededRandom,
): Int32Array[] {
  const byClass: number[][] = Array.from({ length: opts.numClasses }, () => []);
  ds.labels.forEach((l, i) => byClass[l]!.push(i));
  const present = byClass.map((a, c) => (a.length > 0 ? c : -1)).filter((c) => c >= 0);
  if (present.length === 0) throw new RangeError("balancedBatches: empty dataset");
  const natural = opts.naturalFraction ?? 0.25;
  const out: Int32Array[] = [];
  for (let s = 0; s < steps; s++) {
    const idx = new Int32Array(opts.batchSize);
    for (let b = 0; b < opts.batchSize; b++) {
      if (rng.next() < natural) idx[b] = rng.int(ds.count);
      else {
        const members = byClass[present[rng.int(present.length)]!]!;
        idx[b] = members[rng.int(members.length)]!;
      }
    }
    out.push(idx);
  }
  return out;
}

function gather(ds: Dataset, idx: Int32Array, numClasses: number): { xs: tf.Tensor; ys: tf.Tensor } {
  const size = ds.itemShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(idx.length * size);
  const y = new Float32Array(idx.length * numClasses);
  idx.forEach((i, r) => {
    x.set(ds.x.subarray(i * size, (i + 1) * size), r * size);
    y[r * numClasses + ds.labels[i]!] = 1;
  });
  return { xs: tf.tensor(x, [idx.length, ...ds.itemShape]), ys: tf.tensor2d(y, [idx.length, numClasses]) };
}

/** Trains a compiled softmax classifier, reproducibly from `opts.seed` (up to the deadline). */
export async function fitClassifier(model: tf.LayersModel, ds: Dataset, opts: FitOptions): Promise<FitResult> {
  const rng = new SeededRandom(opts.seed);
  const { losses, steps, stoppedByDeadline } = await runEpochs<Int32Array>({
    epochs: opts.epochs,
    ...(opts.deadlineMs !== undefined ? { deadlineMs: opts.deadlineMs } : {}),
    batches: () => balancedBatches(ds, opts, opts.stepsPerEpoch, rng),
    step: async (idx) => {
      const { xs, ys } = gather(ds, idx, opts.numClasses);
      try {
        const l = await model.trainOnBatch(xs, ys);
        return Array.isArray(l) ? l[0]! : l;
      } finally {
        xs.dispose();
        ys.dispose();
      }
    },
    endEpoch: (e, mean, stopped) => {
      if (!stopped) opts.onEpoch?.(e, mean);
    },
  });
  return { losses, steps, stoppedByDeadline };
}

/** Class probabilities for every example, batched; rows of `numClasses`. */
export function predictAll(model: tf.LayersModel, ds: Dataset, batch = 512): Float32Array {
  const size = ds.itemShape.reduce((a, b) => a * b, 1);
  const chunks: Float32Array[] = [];
  for (let i = 0; i < ds.count; i += batch) {
    const n = Math.min(batch, ds.count - i);
    const out = tf.tidy(() => {
      const xs = tf.tensor(ds.x.subarray(i * size, (i + n) * size), [n, ...ds.itemShape]);
      return (model.predict(xs) as tf.Tensor).dataSync() as Float32Array;
    });
    chunks.push(Float32Array.from(out));
  }
  const total = chunks.reduce((a, c) => a + c.length, 0);
  const all = new Float32Array(total);
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  return all;
}

/** Per-feature mean and standard deviation (std floored at 1e-6) over a flat [count, n] array. */
export function featureStats(x: Float32Array, n: number): { mean: number[]; std: number[] } {
  const count = x.length / n;
  const mean = new Array<number>(n).fill(0);
  const sq = new Array<number>(n).fill(0);
  for (let i = 0; i < count; i++) for (let j = 0; j < n; j++) mean[j]! += x[i * n + j]!;
  for (let j = 0; j < n; j++) mean[j]! /= Math.max(1, count);
  for (let i = 0; i < count; i++) for (let j = 0; j < n; j++) sq[j]! += (x[i * n + j]! - mean[j]!) ** 2;
  const std = sq.map((s) => Math.max(1e-6, Math.sqrt(s / Math.max(1, count))));
  return { mean, std };
}
