import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/*
 * Kernels that @tensorflow/tfjs-backend-wasm 4.22 lacks but training a small CNN needs
 * (found by diffing `tf.getKernelsForBackend("wasm")` against "cpu"):
 *
 * - Conv2DBackpropFilter: the weight gradient of conv2d (and of fused conv2d). MaxPoolGrad,
 *   AvgPoolGrad and FusedConv2D exist in wasm already.
 * - DepthwiseConv2dNativeBackpropFilter / -Input: gradients of depthwise (separable) convolutions.
 * - UnsortedSegmentSum: the gradient of gather (embedding lookups, indexing a loss).
 *
 * And one that wasm has but that is slow: Conv2DBackpropInput (the input gradient, a transposed
 * convolution), about 5× slower than the replacement here on the larger layers of bench/runtime.ts.
 *
 * Both conv2d gradients are an im2col / col2im in JS, straight on the wasm heap, around the wasm
 * BatchMatMul kernel in its XNNPACK fast path (no transposed operands), in chunks so the column
 * buffer stays bounded; wasm's Transpose kernel arranges the operands. The depthwise and segment
 * kernels are tight loops over the heap views: their work is O(output × window), far less than a
 * full convolution.
 *
 * Every kernel works on TensorInfos (not Tensors), so nothing is tracked by the engine except
 * the output; intermediates are freed with backend.disposeData.
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

type KernelArgs<I extends string, A> = {
  inputs: Record<I, tf.TensorInfo>;
  backend: BackendWasm;
  attrs: A;
};

type Conv2DBackpropFilterAttrs = {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: [number, number, number, number];
};

type DepthwiseBackpropFilterAttrs = {
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: [number, number, number, number];
};

type DepthwiseBackpropInputAttrs = Omit<DepthwiseBackpropFilterAttrs, "filterShape"> & {
  inputShape: [number, number, number, number];
};

function f32(backend: BackendWasm, info: tf.TensorInfo, kernel: string, name: string): Float32Array {
  if (info.dtype !== "float32") {
    throw new Error(`${kernel} (wasm, avfusion): input ${name} must be float32, got ${info.dtype}`);
  }
  // Heap views go stale when wasm memory grows (any malloc): fetch them after the last allocation.
  return backend.typedArrayFromHeap(info) as Float32Array;
}

function shape4(info: tf.TensorInfo, kernel: string, name: string): [number, number, number, number] {
  if (info.shape.length !== 4) {
    throw new Error(`${kernel} (wasm, avfusion): input ${name} must be rank 4 (NHWC), got shape [${info.shape.join(",")}]`);
  }
  return info.shape as [number, number, number, number];
}

type WasmKernel = (args: { inputs: Record<string, tf.TensorInfo>; backend: BackendWasm; attrs: Record<string, unknown> }) => tf.TensorInfo;

/** A kernel wasm ships, called directly on TensorInfos (so the engine tracks nothing). */
function kernel(name: string): WasmKernel {
  const config = tf.getKernel(name, "wasm");
  if (config == null) throw new Error(`${name} (wasm): kernel not registered; is the wasm backend loaded?`);
  return config.kernelFunc as unknown as WasmKernel;
}

function batchMatMul(backend: BackendWasm, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  return kernel("BatchMatMul")({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } });
}

/** dW[kh,kw,ci,co] = Σ_{b,oh,ow} x[b, oh·sh+kh−pt, ow·sw+kw−pl, ci] · dy[b,oh,ow,co] */
function conv2DBackpropFilter(args: KernelArgs<"x" | "dy", Conv2DBackpropFilterAttrs>): tf.TensorInfo {
  const { backend, attrs } = args;
  const { x, dy } = args.inputs;
  const K = "Conv2DBackpropFilter";
  if (attrs.dataFormat === "NCHW") {
    throw new Error(`${K} (wasm, avfusion): dataFormat NCHW is not supported, expected NHWC`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    shape4(x, K, "x"),
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
  const { batchSize, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const PT = info.padInfo.top;
  const PL = info.padInfo.left;
  const dyShape = shape4(dy, K, "dy");
  if (dyShape[0] !== batchSize || dyShape[1] !== OH || dyShape[2] !== OW || dyShape[3] !== CO) {
    throw new Error(
      `${K} (wasm, avfusion): dy shape [${dyShape.join(",")}] does not match the convolution output [${batchSize},${OH},${OW},${CO}]`,
    );
  }
  f32(backend, x, K, "x");
  f32(backend, dy, K, "dy");

  const kCols = KH * KW * CI;
  const rows = batchSize * OH * OW;
  const chunkRows = Math.max(1, Math.min(rows, Math.floor(im2colChunkFloats / kCols)));
  const single = chunkRows >= rows;

  // dW^T[co, k] = Σ_r dy^T[co, r] · cols[r, k]: both operands untransposed, which is the wasm
  // BatchMatMul fast path (XNNPACK), and im2col writes its rows contiguously. Measured on
  // [144 × 18432 × 32]: 7 ms this way against 32–135 ms for the other three arrangements.
  const dyT = kernel("Transpose")({
    inputs: { x: { dataId: dy.dataId, shape: [rows, CO], dtype: "float32" } },
    backend,
    attrs: { perm: [1, 0] },
  });
  const accT = single ? null : backend.makeOutput([CO, kCols], "float32");
  if (accT) (backend.typedArrayFromHeap(accT) as Float32Array).fill(0);

  let resultT: tf.TensorInfo | null = null;
  for (let r0 = 0; r0 < rows; r0 += chunkRows) {
    const n = Math.min(chunkRows, rows - r0);
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
    let dst = 0;
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
          c.fill(0, dst, dst + KW * CI);
          dst += KW * CI;
        } else if (rowInside) {
          // The KW·CI inputs of this window row are contiguous in x (NHWC): one straight copy.
          const src = ((b * H + ih) * W + iw0) * CI;
          const len = KW * CI;
          for (let i = 0; i < len; i++) c[dst + i] = xs[src + i];
          dst += len;
        } else {
          for (let kw = 0; kw < KW; kw++) {
            const iw = iw0 + kw;
            if (iw >= 0 && iw < W) {
              const src = ((b * H + ih) * W + iw) * CI;
              for (let ci = 0; ci < CI; ci++) c[dst + ci] = xs[src + ci];
            } else {
              c.fill(0, dst, dst + CI);
            }
            dst += CI;
          }
        }
      }
    }
    const a: tf.TensorInfo = dyTChunk ?? { dataId: dyT.dataId, shape: [1, CO, n], dtype: "float32" };
    const partial = batchMatMul(backend, a, cols);
    backend.disposeData(cols.dataId);
    if (dyTChunk) backend.disposeData(dyTChunk.dataId);
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
  const out = kernel("Transpose")({
    inputs: { x: { dataId: t.dataId, shape: [CO, kCols], dtype: "float32" } },
    backend,
    attrs: { perm: [1, 0] },
  });
  backend.disposeData(t.dataId);
  return { dataId: out.dataId, shape: [KH, KW, CI, CO], dtype: "float32" };
}

type Conv2DBackpropInputAttrs = Omit<Conv2DBackpropFilterAttrs, "filterShape"> & {
  inputShape: [number, number, number, number];
};

/**
 * dx = col2im(dy · Wᵀ): one wasm BatchMatMul (fast path) per chunk of output pixels, then a
 * scatter-add of each pixel's window back into dx. Replaces tfjs-backend-wasm's own kernel,
 * which is 2–11× slower than its forward Conv2D on the layers of bench/runtime.ts.
 */
function conv2DBackpropInput(args: KernelArgs<"dy" | "filter", Conv2DBackpropInputAttrs>): tf.TensorInfo {
  const { backend, attrs } = args;
  const { dy, filter } = args.inputs;
  const K = "Conv2DBackpropInput";
  if (attrs.dataFormat === "NCHW") {
    throw new Error(`${K} (wasm, avfusion): dataFormat NCHW is not supported, expected NHWC`);
  }
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    shape4(filter, K, "filter"),
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
  const { batchSize, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const PT = info.padInfo.top;
  const PL = info.padInfo.left;
  const dyShape = shape4(dy, K, "dy");
  if (dyShape[0] !== batchSize || dyShape[1] !== OH || dyShape[2] !== OW || dyShape[3] !== CO) {
    throw new Error(
      `${K} (wasm, avfusion): dy shape [${dyShape.join(",")}] does not match the convolution output [${batchSize},${OH},${OW},${CO}]`,
    );
  }
  f32(backend, dy, K, "dy");
  f32(backend, filter, K, "filter");

  const kCols = KH * KW * CI;
  const rows = batchSize * OH * OW;
  const chunkRows = Math.max(1, Math.min(rows, Math.floor(im2colChunkFloats / kCols)));
  const single = chunkRows >= rows;
  const wT = kernel("Transpose")({
    inputs: { x: { dataId: filter.dataId, shape: [kCols, CO], dtype: "float32" } },
    backend,
    attrs: { perm: [1, 0] },
  });
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
    const dx = backend.typedArrayFromHeap(out) as Float32Array;
    const c = backend.typedArrayFromHeap(cols) as Float32Array;
    let src = 0;
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
          src += KW * CI;
          continue;
        }
        if (rowInside) {
          // The window row's KW·CI inputs are contiguous in dx (NHWC): one straight add.
          const dst = ((b * H + ih) * W + iw0) * CI;
          const len = KW * CI;
          for (let i = 0; i < len; i++) dx[dst + i] += c[src + i];
          src += len;
          continue;
        }
        for (let kw = 0; kw < KW; kw++) {
          const iw = iw0 + kw;
          if (iw >= 0 && iw < W) {
            const dst = ((b * H + ih) * W + iw) * CI;
            for (let ci = 0; ci < CI; ci++) dx[dst + ci] += c[src + ci];
          }
          src += CI;
        }
      }
    }
    backend.disposeData(cols.dataId);
  }
  backend.disposeData(wT.dataId);
  return out;
}

function depthwiseInfo(
  inShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: DepthwiseBackpropFilterAttrs | DepthwiseBackpropInputAttrs,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(inShape, filterShape, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, true);
}

/** dW[kh,kw,ci,m] = Σ_{b,oh,ow} x[b, oh·sh+kh·dh−pt, ow·sw+kw·dw−pl, ci] · dy[b,oh,ow,ci·M+m] */
function depthwiseBackpropFilter(args: KernelArgs<"x" | "dy", DepthwiseBackpropFilterAttrs>): tf.TensorInfo {
  const { backend, attrs } = args;
  const { x, dy } = args.inputs;
  const K = "DepthwiseConv2dNativeBackpropFilter";
  const info = depthwiseInfo(shape4(x, K, "x"), attrs.filterShape, attrs);
  const { batchSize, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const { dilationHeight: DH, dilationWidth: DW } = info;
  const M = CO / CI;
  const PT = info.padInfo.top;
  const PL = info.padInfo.left;
  const out = backend.makeOutput([KH, KW, CI, M], "float32");
  const dw = backend.typedArrayFromHeap(out) as Float32Array;
  dw.fill(0);
  const xs = f32(backend, x, K, "x");
  const g = f32(backend, dy, K, "dy");
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let kh = 0; kh < KH; kh++) {
        const ih = oh * SH + kh * DH - PT;
        if (ih < 0 || ih >= H) continue;
        for (let ow = 0; ow < OW; ow++) {
          const gBase = ((b * OH + oh) * OW + ow) * CO;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * SW + kw * DW - PL;
            if (iw < 0 || iw >= W) continue;
            const xBase = ((b * H + ih) * W + iw) * CI;
            const wBase = (kh * KW + kw) * CO;
            if (M === 1) {
              // The common case (channel multiplier 1): three contiguous runs of CI floats.
              for (let ci = 0; ci < CI; ci++) dw[wBase + ci] += xs[xBase + ci] * g[gBase + ci];
            } else {
              for (let ci = 0; ci < CI; ci++) {
                const xv = xs[xBase + ci];
                for (let m = 0; m < M; m++) dw[wBase + ci * M + m] += xv * g[gBase + ci * M + m];
              }
            }
          }
        }
      }
    }
  }
  return out;
}

/** dx[b,ih,iw,ci] = Σ over windows covering (ih, iw) of w[kh,kw,ci,m] · dy[b,oh,ow,ci·M+m] */
function depthwiseBackpropInput(args: KernelArgs<"dy" | "filter", DepthwiseBackpropInputAttrs>): tf.TensorInfo {
  const { backend, attrs } = args;
  const { dy, filter } = args.inputs;
  const K = "DepthwiseConv2dNativeBackpropInput";
  const info = depthwiseInfo(attrs.inputShape, shape4(filter, K, "filter"), attrs);
  const { batchSize, inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = info;
  const { filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW } = info;
  const { dilationHeight: DH, dilationWidth: DW } = info;
  const M = CO / CI;
  const PT = info.padInfo.top;
  const PL = info.padInfo.left;
  const out = backend.makeOutput([batchSize, H, W, CI], "float32");
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  dx.fill(0);
  const w = f32(backend, filter, K, "filter");
  const g = f32(backend, dy, K, "dy");
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let kh = 0; kh < KH; kh++) {
        const ih = oh * SH + kh * DH - PT;
        if (ih < 0 || ih >= H) continue;
        for (let ow = 0; ow < OW; ow++) {
          const gBase = ((b * OH + oh) * OW + ow) * CO;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * SW + kw * DW - PL;
            if (iw < 0 || iw >= W) continue;
            const xBase = ((b * H + ih) * W + iw) * CI;
            const wBase = (kh * KW + kw) * CO;
            if (M === 1) {
              for (let ci = 0; ci < CI; ci++) dx[xBase + ci] += w[wBase + ci] * g[gBase + ci];
            } else {
              for (let ci = 0; ci < CI; ci++) {
                let s = 0;
                for (let m = 0; m < M; m++) s += w[wBase + ci * M + m] * g[gBase + ci * M + m];
                dx[xBase + ci] += s;
              }
            }
          }
        }
      }
    }
  }
  return out;
}

/** out[s, …] = Σ_{i: ids[i] = s} x[i, …]; ids outside [0, numSegments) are dropped, as in TensorFlow. */
function unsortedSegmentSum(args: KernelArgs<"x" | "segmentIds", { numSegments: number }>): tf.TensorInfo {
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

/** The kernels this module adds, by name (for docs and tests). */
export const WASM_TRAINING_KERNELS: readonly string[] = [
  "Conv2DBackpropFilter",
  "DepthwiseConv2dNativeBackpropFilter",
  "DepthwiseConv2dNativeBackpropInput",
  "UnsortedSegmentSum",
];

/** Kernels wasm has but that are slow; registering replaces tfjs-backend-wasm's version. */
export const WASM_REPLACED_KERNELS: readonly string[] = ["Conv2DBackpropInput"];

const kernelFuncs: Record<string, (args: never) => tf.TensorInfo> = {
  Conv2DBackpropFilter: conv2DBackpropFilter,
  Conv2DBackpropInput: conv2DBackpropInput,
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilter,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInput,
  UnsortedSegmentSum: unsortedSegmentSum,
};

/**
 * Registers the missing training kernels for the wasm backend, and (unless `replace` is false)
 * the faster replacements. Idempotent; a missing kernel that a future tfjs-backend-wasm provides
 * itself is left alone. Returns the names it registered now.
 */
export function registerWasmTrainingKernels(options: { replace?: boolean } = {}): string[] {
  const added: string[] = [];
  for (const name of WASM_TRAINING_KERNELS) {
    if (tf.getKernel(name, "wasm") != null) continue;
    tf.registerKernel({ kernelName: name, backendName: "wasm", kernelFunc: kernelFuncs[name] as unknown as tf.KernelFunc });
    added.push(name);
  }
  if (options.replace ?? true) added.push(...useWasmKernelReplacements(true));
  return added;
}

const builtinKernels = new Map<string, tf.KernelConfig>();

/**
 * Switches the replaced kernels between avfusion's (`true`) and tfjs-backend-wasm's own
 * (`false`), for A/B benchmarks and as an escape hatch. Returns the names it switched.
 */
export function useWasmKernelReplacements(ours: boolean): string[] {
  const switched: string[] = [];
  for (const name of WASM_REPLACED_KERNELS) {
    const ourFunc = kernelFuncs[name] as unknown as tf.KernelFunc;
    const current = tf.getKernel(name, "wasm");
    const isOurs = current?.kernelFunc === ourFunc;
    if (isOurs === ours) continue;
    if (ours && current != null) builtinKernels.set(name, current);
    const builtin = builtinKernels.get(name);
    if (!ours && builtin == null) continue;
    if (current != null) tf.unregisterKernel(name, "wasm");
    tf.registerKernel(ours ? { kernelName: name, backendName: "wasm", kernelFunc: ourFunc } : (builtin as tf.KernelConfig));
    switched.push(name);
  }
  return switched;
}
