import type * as tf from "@tensorflow/tfjs";
import type { KernelArgs } from "./wasmKernelSupport";

/** out[s, …] = Σ_{i: ids[i] = s} x[i, …]; ids outside [0, numSegments) are dropped, as in TensorFlow. */
export function unsortedSegmentSum(args: KernelArgs<"x" | "segmentIds", { numSegments: number }>): tf.TensorInfo {
  const { backend, attrs } = args;
  const { x, segmentIds } = args.inputs;
  const K = "UnsortedSegmentSum";
  if (x.dtype !== "float32" && x.dtype !== "int32") {
    throw new Error(`${K} (wasm, avfusion): x must be float32 or int32, got ${x.dtype}`);
  }
  if (segmentIds.dtype !== "int32") {
    throw new Error(`${K} (wasm, avfusion): segmentIds must be int32, got ${segmentIds.dtype}`);
  }
  const idRank = segmentIds.shape.length;
  if (segmentIds.shape.some((d, i) => d !== x.shape[i])) {
    throw new Error(
      `${K} (wasm, avfusion): segmentIds shape [${segmentIds.shape.join(",")}] must be a prefix of x shape [${x.shape.join(",")}]`,
    );
  }
  const numSegments = attrs.numSegments;
  const innerShape = x.shape.slice(idRank);
  const inner = innerShape.reduce((a, b) => a * b, 1);
  const out = backend.makeOutput([numSegments, ...innerShape], x.dtype);
  const o = backend.typedArrayFromHeap(out) as Float32Array | Int32Array;
  o.fill(0);
  const xs = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
  const ids = backend.typedArrayFromHeap(segmentIds) as Int32Array;
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) o[dst + j] += xs[src + j];
  }
  return out;
}
