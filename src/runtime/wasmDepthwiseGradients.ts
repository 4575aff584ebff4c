import * as tf from "@tensorflow/tfjs";
import { f32, shape4, type KernelArgs, type Shape4 } from "./wasmKernelSupport";

/*
 * The gradients of depthwise (separable) convolutions: tight loops over the heap views. Their
 * work is O(output × window), far less than a full convolution, so no im2col.
 */

export type DepthwiseBackpropFilterAttrs = {
  strides: [number, number] | number;
  dilations: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: Shape4;
};

export type DepthwiseBackpropInputAttrs = Omit<DepthwiseBackpropFilterAttrs, "filterShape"> & {
  inputShape: Shape4;
};

/** The convolution in the loop names below; M is the channel multiplier (filter channels per input channel). */
type DepthwiseGeometry = {
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
  DH: number;
  DW: number;
  PT: number;
  PL: number;
  M: number;
};

function depthwiseGeometry(
  inShape: Shape4,
  filterShape: Shape4,
  attrs: DepthwiseBackpropFilterAttrs | DepthwiseBackpropInputAttrs,
): DepthwiseGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    inShape,
    filterShape,
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  return {
    batchSize: info.batchSize,
    H: info.inHeight,
    W: info.inWidth,
    CI: info.inChannels,
    OH: info.outHeight,
    OW: info.outWidth,
    CO: info.outChannels,
    KH: info.filterHeight,
    KW: info.filterWidth,
    SH: info.strideHeight,
    SW: info.strideWidth,
    DH: info.dilationHeight,
    DW: info.dilationWidth,
    PT: info.padInfo.top,
    PL: info.padInfo.left,
    M: info.outChannels / info.inChannels,
  };
}

/** dW[kh,kw,ci,m] = Σ_{b,oh,ow} x[b, oh·sh+kh·dh−pt, ow·sw+kw·dw−pl, ci] · dy[b,oh,ow,ci·M+m] */
export function depthwiseBackpropFilter(args: KernelArgs<"x" | "dy", DepthwiseBackpropFilterAttrs>): tf.TensorInfo {
  const { backend, attrs } = args;
  const { x, dy } = args.inputs;
  const K = "DepthwiseConv2dNativeBackpropFilter";
  const geo = depthwiseGeometry(shape4(x, K, "x"), attrs.filterShape, attrs);
  const { batchSize, H, W, CI, OH, OW, CO, KH, KW, SH, SW, DH, DW, PT, PL, M } = geo;
  const out = backend.makeOutput([KH, KW, CI, M], "float32");
  const dw = backend.typedArrayFromHeap(out) as Float32Array;
  dw.fill(0);
  const xs = f32(backend, x, K, "x");
  const g = f32(backend, dy, K, "dy");
  // Tap by tap: each dW entry sums its products over (b, oh, ow) in that order.
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const wBase = (kh * KW + kw) * CO;
      for (let b = 0; b < batchSize; b++) {
        for (let oh = 0; oh < OH; oh++) {
          const ih = oh * SH + kh * DH - PT;
          if (ih < 0 || ih >= H) continue;
          for (let ow = 0; ow < OW; ow++) {
            const iw = ow * SW + kw * DW - PL;
            if (iw < 0 || iw >= W) continue;
            const gBase = ((b * OH + oh) * OW + ow) * CO;
            const xBase = ((b * H + ih) * W + iw) * CI;
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
export function depthwiseBackpropInput(args: KernelArgs<"dy" | "filter", DepthwiseBackpropInputAttrs>): tf.TensorInfo {
  const { backend, attrs } = args;
  const { dy, filter } = args.inputs;
  const K = "DepthwiseConv2dNativeBackpropInput";
  const geo = depthwiseGeometry(attrs.inputShape, shape4(filter, K, "filter"), attrs);
  const { batchSize, H, W, CI, OH, OW, CO, KH, KW, SH, SW, DH, DW, PT, PL, M } = geo;
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
