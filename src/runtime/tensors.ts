import * as tf from "@tensorflow/tfjs";

/*
 * Tensor helpers for the encoders: one allocation per batch, tidy scopes per batch, and a
 * leak probe for the per-encoder `numTensors` tests (DESIGN.md convention 7).
 */

const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Packs same-shape items into one float32 tensor [items.length, ...itemShape] with a single
 * copy (tf.stack would allocate a tensor per item first). `what` names the items in errors.
 */
export function stackBatch(items: readonly Float32Array[], itemShape: readonly number[], what = "item"): tf.Tensor {
  if (items.length === 0) throw new RangeError(`stackBatch: no ${what}s to batch`);
  if (itemShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new RangeError(`stackBatch: item shape must be positive integers, got [${itemShape.join(",")}]`);
  }
  const per = size(itemShape);
  const buf = new Float32Array(items.length * per);
  items.forEach((x, i) => {
    if (x.length !== per) {
      throw new RangeError(`stackBatch: ${what} ${i} has ${x.length} values, expected ${per} for shape [${itemShape.join(",")}]`);
    }
    buf.set(x, i * per);
  });
  return tf.tensor(buf, [items.length, ...itemShape], "float32");
}

/** Reads a batched tensor back as one Float32Array per row (views on a single download). */
export function unstackRows(t: tf.Tensor): Float32Array[] {
  if (t.rank < 1) throw new RangeError(`unstackRows: expected a batched tensor (rank ≥ 1), got a scalar`);
  const data = t.dataSync();
  const all = data instanceof Float32Array ? data : Float32Array.from(data);
  const rows = t.shape[0] ?? 0;
  const per = rows === 0 ? 0 : all.length / rows;
  const out: Float32Array[] = [];
  for (let i = 0; i < rows; i++) out.push(all.subarray(i * per, (i + 1) * per));
  return out;
}

/**
 * Runs `model` over `items` in batches of at most `maxBatch`: each batch is packed with
 * `stackBatch`, run and read back inside its own tf.tidy, so no tensor outlives the call.
 * Returns one output row per item, in order.
 */
export function runBatched(
  items: readonly Float32Array[],
  itemShape: readonly number[],
  maxBatch: number,
  model: (batch: tf.Tensor) => tf.Tensor,
): Float32Array[] {
  if (!Number.isInteger(maxBatch) || maxBatch < 1) {
    throw new RangeError(`runBatched: maxBatch must be a positive integer, got ${maxBatch}`);
  }
  const out: Float32Array[] = [];
  for (let i = 0; i < items.length; i += maxBatch) {
    const rows = tf.tidy(() => {
      const y = model(stackBatch(items.slice(i, i + maxBatch), itemShape));
      // Copy out of the shared download so each row owns its memory.
      return unstackRows(y).map((r) => Float32Array.from(r));
    });
    out.push(...rows);
  }
  return out;
}

/** Groups items by a key (e.g. sensor kind + input shape) keeping first-seen order, for batching. */
export function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const g = groups.get(k);
    if (g) g.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

export type TensorGrowth = { tensors: number; dataBuffers: number; bytes: number };

/**
 * How much `tf.memory()` grew over `calls` calls of `fn`, after one warm-up call (which may
 * allocate lazily: weights, kernels' caches). All three are 0 for a leak-free function.
 */
export async function tensorGrowth(fn: () => unknown, calls = 100): Promise<TensorGrowth> {
  await fn();
  const before = tf.memory();
  for (let i = 0; i < calls; i++) await fn();
  const after = tf.memory();
  return {
    tensors: after.numTensors - before.numTensors,
    dataBuffers: after.numDataBuffers - before.numDataBuffers,
    bytes: after.numBytes - before.numBytes,
  };
}
