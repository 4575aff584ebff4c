import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { batchMatMul, f32, shape4, transpose2D, type KernelArgs, type Shape4 } from "./wasmKernelSupport";

/*
 * The two conv2d gradients as an im2col / col2im in JS, straight on the wasm heap, around the wasm
 * BatchMatMul kernel in its XNNPACK fast path (no transposed operands), in chunks of output pixels
 * so the column buffer stays bounded; wasm's Transpose kernel arranges the operands.
 */

/** Upper bound on floats in one im2col chunk (default 8 Mi floats = 32 MiB). */
let im2colChunkFloats = 8 * 1024 * 1024;

/** Sets the im2col chunk bound (floats) and returns the previous one; for tests and benchmarks. */
export function setIm2colChunkFloats(floats: number): number {
  if (!Number.isInteger(floats) || floats < 1) {
    throw new RangeError(`setIm2colChunkFloats: expected a positive integer, got ${floats}`);
  }
  const previous = im2colChunkFloats;
  im2colChunkFloats = floats;
  return previous;
}

export type Conv2DBackpropFilterAttrs = {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: Shape4;
};

export type Conv2DBackpropInputAttrs = Omit<Conv2DBackpropFilterAttrs, "filterShape"> & {
  inputShape: Shape4;
};

/** The convolution a gradient undoes, in the loop names below, and how its pixels are chunked. */
type ConvGeometry = {
  batchSize: number;
  H: number;
  W: number;
  CI: number;
  OH: number;
  OW: number;
  CO: number;
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  PT: number;
  PL: number;
  /** Columns of the im2col matrix: KH·KW·CI. */
  kCols: number;
  /** Output pixels: batchSize·OH·OW. */
  rows: number;
  chunkRows: number;
  /** Whether one chunk holds every pixel. */
  single: boolean;
};

function rejectNchw(kernel: string, attrs: { dataFormat: "NHWC" | "NCHW" }): void {
  if (attrs.dataFormat === "NCHW") {
    throw new Error(`${kernel} (wasm, avfusion): dataFormat NCHW is not supported, expected NHWC`);
  }
}

/** The convolution of `xShape` by `filterShape` under `attrs`; `dy` must be its output's shape. */
function convGeometry(
  kernel: string,
  xShape: Shape4,
  filterShape: Shape4,
  attrs: Omit<Conv2DBackpropFilterAttrs, "filterShape">,
  dy: tf.TensorInfo,
): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
  const { batchSize, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const dyShape = shape4(dy, kernel, "dy");
  if (dyShape[0] !== batchSize || dyShape[1] !== OH || dyShape[2] !== OW || dyShape[3] !== CO) {
    throw new Error(
      `${kernel} (wasm, avfusion): dy shape [${dyShape.join(",")}] does not match the convolution output [${batchSize},${OH},${OW},${CO}]`,
    );
  }
  const kCols = KH * KW * CI;
  const rows = batchSize * OH * OW;
  const chunkRows = Math.max(1, Math.min(rows, Math.floor(im2colChunkFloats / kCols)));
  const PT = info.padInfo.top;
  const PL = info.padInfo.left;
  return { batchSize, H, W, CI, OH, OW, CO, KH, KW, SH, SW, PT, PL, kCols, rows, chunkRows, single: chunkRows >= rows };
}

/**
 * The im2col index map both gradients walk, for output pixels r0..r0+n: row r of the column
 * matrix holds pixel r's KH×KW×CI input window, in filter order. `gather` copies the image into
 * the columns (zeros where the window hangs over the padding); `scatter` adds the columns back
 * into the image (col2im), skipping the padding. One loop nest, so both directions agree.
 */
function im2col(dir: "gather" | "scatter", image: Float32Array, cols: Float32Array, r0: number, n: number, g: ConvGeometry): void {
  const { H, W, CI, OH, OW, KH, KW, SH, SW, PT, PL } = g;
  const gather = dir === "gather";
  let k = 0;
  for (let r = r0; r < r0 + n; r++) {
    const b = Math.floor(r / (OH * OW));
    const rem = r - b * OH * OW;
    const oh = Math.floor(rem / OW);
    const ow = rem - oh * OW;
    const ih0 = oh * SH - PT;
    const iw0 = ow * SW - PL;
    const rowInside = iw0 >= 0 && iw0 + KW <= W;
    for (let kh = 0; kh < KH; kh++) {
      const ih = ih0 + kh;
      if (ih < 0 || ih >= H) {
        if (gather) cols.fill(0, k, k + KW * CI);
        k += KW * CI;
      } else if (rowInside) {
        // The KW·CI inputs of this window row are contiguous in the image (NHWC): one straight run.
        const at = ((b * H + ih) * W + iw0) * CI;
        const len = KW * CI;
        if (gather) for (let i = 0; i < len; i++) cols[k + i] = image[at + i];
        else for (let i = 0; i < len; i++) image[at + i] += cols[k + i];
        k += len;
      } else {
        for (let kw = 0; kw < KW; kw++) {
          const iw = iw0 + kw;
          if (iw >= 0 && iw < W) {
            const at = ((b * H + ih) * W + iw) * CI;
            if (gather) for (let ci = 0; ci < CI; ci++) cols[k + ci] = image[at + ci];
            else for (let ci = 0; ci < CI; ci++) image[at + ci] += cols[k + ci];
          } else if (gather) {
            cols.fill(0, k, k + CI);
          }
          k += CI;
        }
      }
    }
  }
}

/** dW[kh,kw,ci,co] = Σ_{b,oh,ow} x[b, oh·sh+kh−pt, ow·sw+kw−pl, ci] · dy[b,oh,ow,co] */
export function conv2DBackpropFilter(args: KernelArgs<"x" | "dy", Conv2DBackpropFilterAttrs>): tf.TensorInfo {
  const { backend, attrs } = args;
  const { x, dy } = args.inputs;
  const K = "Conv2DBackpropFilter";
  rejectNchw(K, attrs);
  const g = convGeometry(K, shape4(x, K, "x"), attrs.filterShape, attrs, dy);
  f32(backend, x, K, "x");
  f32(backend, dy, K, "dy");
  const { CO, kCols, rows, chunkRows, single } = g;

  // dW^T[co, k] = Σ_r dy^T[co, r] · cols[r, k]: both operands untransposed, which is the wasm
  // BatchMatMul fast path (XNNPACK), and im2col writes its rows contiguously. Measured on
  // [144 × 18432 × 32]: 7 ms this way against 32–135 ms for the other three arrangements.
  const dyT = transpose2D(backend, dy, rows, CO);
  const accT = single ? null : backend.makeOutput([CO, kCols], "float32");
  if (accT) (backend.typedArrayFromHeap(accT) as Float32Array).fill(0);

  let resultT: tf.TensorInfo | null = null;
  for (let r0 = 0; r0 < rows; r0 += chunkRows) {
    const n = Math.min(chunkRows, rows - r0);
    const partial = filterChunk(backend, x, dyT, r0, n, g);
    if (accT) {
      const acc = backend.typedArrayFromHeap(accT) as Float32Array;
      const p = backend.typedArrayFromHeap(partial) as Float32Array;
      for (let i = 0; i < acc.length; i++) acc[i] += p[i];
      backend.disposeData(partial.dataId);
    } else {
      resultT = partial;
    }
  }
  backend.disposeData(dyT.dataId);
  const t = accT ?? resultT;
  if (t == null) throw new Error(`${K} (wasm, avfusion): empty input`);
  const out = transpose2D(backend, t, CO, kCols);
  backend.disposeData(t.dataId);
  return { dataId: out.dataId, shape: [g.KH, g.KW, g.CI, CO], dtype: "float32" };
}

/** dW^T's share of output pixels r0..r0+n: dy^T[:, r0..r0+n] · im2col(x)[r0..r0+n, :]. */
function filterChunk(backend: BackendWasm, x: tf.TensorInfo, dyT: tf.TensorInfo, r0: number, n: number, g: ConvGeometry): tf.TensorInfo {
  const { CO, kCols, rows, single } = g;
  // cols is [n, kCols]: row = output pixel (b, oh, ow), column k = (kh, kw, ci) in filter order.
  const cols = backend.makeOutput([1, n, kCols], "float32");
  const dyTChunk = single ? null : backend.makeOutput([1, CO, n], "float32");
  // Heap views go stale when wasm memory grows, so take them after the allocations.
  const xs = backend.typedArrayFromHeap(x) as Float32Array;
  const c = backend.typedArrayFromHeap(cols) as Float32Array;
  if (dyTChunk) {
    const all = backend.typedArrayFromHeap(dyT) as Float32Array;
    const part = backend.typedArrayFromHeap(dyTChunk) as Float32Array;
    for (let co = 0; co < CO; co++) part.set(all.subarray(co * rows + r0, co * rows + r0 + n), co * n);
  }
  im2col("gather", xs, c, r0, n, g);
  const a: tf.TensorInfo = dyTChunk ?? { dataId: dyT.dataId, shape: [1, CO, n], dtype: "float32" };
  const partial = batchMatMul(backend, a, cols);
  backend.disposeData(cols.dataId);
  if (dyTChunk) backend.disposeData(dyTChunk.dataId);
  return partial;
}

/**
 * dx = col2im(dy · Wᵀ): one wasm BatchMatMul (fast path) per chunk of output pixels, then a
 * scatter-add of each pixel's window back into dx. Replaces tfjs-backend-wasm's own kernel,
 * which is 2–11× slower than its forward Conv2D on the layers of bench/runtime.ts.
 */
export function conv2DBackpropInput(args: KernelArgs<"dy" | "filter", Conv2DBackpropInputAttrs>): tf.TensorInfo {
  const { backend, attrs } = args;
  const { dy, filter } = args.inputs;
  const K = "Conv2DBackpropInput";
  rejectNchw(K, attrs);
  const g = convGeometry(K, attrs.inputShape, shape4(filter, K, "filter"), attrs, dy);
  f32(backend, dy, K, "dy");
  f32(backend, filter, K, "filter");
  const { batchSize, H, W, CI, CO, kCols, rows, chunkRows, single } = g;
  const wT = transpose2D(backend, filter, kCols, CO);
  const wT3: tf.TensorInfo = { dataId: wT.dataId, shape: [1, CO, kCols], dtype: "float32" };
  const out = backend.makeOutput([batchSize, H, W, CI], "float32");
  (backend.typedArrayFromHeap(out) as Float32Array).fill(0);

  for (let r0 = 0; r0 < rows; r0 += chunkRows) {
    const n = Math.min(chunkRows, rows - r0);
    let dyChunk: tf.TensorInfo = { dataId: dy.dataId, shape: [1, n, CO], dtype: "float32" };
    if (!single) {
      dyChunk = backend.makeOutput([1, n, CO], "float32");
      const src = backend.typedArrayFromHeap(dy) as Float32Array;
      (backend.typedArrayFromHeap(dyChunk) as Float32Array).set(src.subarray(r0 * CO, (r0 + n) * CO));
    }
    const cols = batchMatMul(backend, dyChunk, wT3); // [1, n, kCols]
    if (!single) backend.disposeData(dyChunk.dataId);
    im2col("scatter", backend.typedArrayFromHeap(out) as Float32Array, backend.typedArrayFromHeap(cols) as Float32Array, r0, n, g);
    backend.disposeData(cols.dataId);
  }
  backend.disposeData(wT.dataId);
  return out;
}
