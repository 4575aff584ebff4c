import * as tf from "@tensorflow/tfjs";

/*
 * A CenterNet-style head shared by the camera and LiDAR encoders: per output cell one centre
 * logit, class logits and R regression values; objects are local maxima of the centre heatmap.
 * Channel layout of the head output (NHWC, last axis): [centre, class_0..class_{C-1}, reg_0..reg_{R-1}].
 */

export type HeadLayout = { height: number; width: number; classes: number; regs: number };

export const headChannels = (l: HeadLayout): number => 1 + l.classes + l.regs;

/** One object to learn, in head-cell coordinates (continuous: cell (r, c) spans [r, r+1) × [c, c+1)). */
export type HeadObject = {
  row: number;
  col: number;
  /** Gaussian spread of the centre target (cells). */
  sigma: number;
  classIndex: number;
  /** Regression targets, `regs` numbers; by convention reg 0, 1 are the row/col offsets in the cell. */
  reg: readonly number[];
};

/** Training targets of one sample, flat row-major over head cells. */
export type HeadTargets = { heat: Float32Array; mask: Float32Array; cls: Float32Array; reg: Float32Array };

/**
 * Builds the targets: a Gaussian bump per object (max-combined, exactly 1 at the object's cell),
 * and class + regression targets at that cell. Objects outside the head are ignored.
 */
export function buildHeadTargets(layout: HeadLayout, objects: readonly HeadObject[]): HeadTargets {
  const { height: H, width: W, regs: R } = layout;
  const heat = new Float32Array(H * W);
  const mask = new Float32Array(H * W);
  const cls = new Float32Array(H * W);
  const reg = new Float32Array(H * W * R);
  for (const o of objects) {
    const r0 = Math.floor(o.row);
    const c0 = Math.floor(o.col);
    if (r0 < 0 || r0 >= H || c0 < 0 || c0 >= W) continue;
    const rad = Math.ceil(3 * o.sigma);
    for (let r = Math.max(0, r0 - rad); r <= Math.min(H - 1, r0 + rad); r++) {
      for (let c = Math.max(0, c0 - rad); c <= Math.min(W - 1, c0 + rad); c++) {
        const d2 = (r - r0) ** 2 + (c - c0) ** 2;
        const v = Math.exp(-d2 / (2 * o.sigma * o.sigma));
        const i = r * W + c;
        if (v > heat[i]!) heat[i] = v;
      }
    }
    const i = r0 * W + c0;
    heat[i] = 1;
    mask[i] = 1;
    cls[i] = o.classIndex;
    for (let k = 0; k < R; k++) reg[i * R + k] = o.reg[k] ?? 0;
  }
  return { heat, mask, cls, reg };
}

/** Stacks per-sample targets into batch tensors. */
export function targetTensors(
  layout: HeadLayout,
  targets: readonly HeadTargets[],
): { heat: tf.Tensor4D; mask: tf.Tensor4D; cls: tf.Tensor3D; reg: tf.Tensor4D } {
  const { height: H, width: W, regs: R } = layout;
  const n = targets.length;
  const heat = new Float32Array(n * H * W);
  const mask = new Float32Array(n * H * W);
  const cls = new Int32Array(n * H * W);
  const reg = new Float32Array(n * H * W * R);
  targets.forEach((t, b) => {
    heat.set(t.heat, b * H * W);
    mask.set(t.mask, b * H * W);
    for (let i = 0; i < H * W; i++) cls[b * H * W + i] = t.cls[i]!;
    reg.set(t.reg, b * H * W * R);
  });
  return {
    heat: tf.tensor4d(heat, [n, H, W, 1]),
    mask: tf.tensor4d(mask, [n, H, W, 1]),
    cls: tf.tensor3d(cls, [n, H, W], "int32"),
    reg: tf.tensor4d(reg, [n, H, W, R]),
  };
}

/**
 * CenterNet loss: penalty-reduced focal loss on the centre heatmap (α = 2, β = 4), softmax
 * cross-entropy of the class and weighted L1 of the regressions at object cells, all normalised
 * by the number of objects. Returns a scalar (call inside tf.tidy / optimizer.minimize).
 */
export function centerNetLoss(
  layout: HeadLayout,
  out: tf.Tensor4D,
  t: { heat: tf.Tensor4D; mask: tf.Tensor4D; cls: tf.Tensor3D; reg: tf.Tensor4D },
  regWeights: readonly number[],
  classWeight = 1,
): tf.Scalar {
  const C = layout.classes;
  const R = layout.regs;
  const [logit, clsLogits, reg] = tf.split(out, [1, C, R], 3) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  const p = tf.clipByValue(tf.sigmoid(logit), 1e-4, 1 - 1e-4);
  const pos = tf.cast(tf.greaterEqual(t.heat, 0.999), "float32");
  const neg = tf.sub(1, pos);
  const nPos = tf.maximum(tf.sum(t.mask), 1);
  const posLoss = tf.sum(tf.mul(tf.mul(tf.square(tf.sub(1, p)), tf.log(p)), pos));
  const negLoss = tf.sum(tf.mul(tf.mul(tf.mul(tf.pow(tf.sub(1, t.heat), 4), tf.square(p)), tf.log(tf.sub(1, p))), neg));
  const focal = tf.div(tf.neg(tf.add(posLoss, negLoss)), nPos);
  const logProbs = tf.logSoftmax(clsLogits);
  const onehot = tf.oneHot(t.cls, C) as tf.Tensor4D;
  const ce = tf.div(tf.neg(tf.sum(tf.mul(tf.mul(logProbs, onehot), t.mask))), nPos);
  const w = tf.tensor1d(regWeights.slice(0, R) as number[]);
  const l1 = tf.div(tf.sum(tf.mul(tf.mul(tf.abs(tf.sub(reg, t.reg)), w), t.mask)), nPos);
  return tf.add(tf.add(focal, tf.mul(ce, classWeight)), l1) as tf.Scalar;
}

/** A decoded peak: head cell, centre score, class probabilities and raw regressions. */
export type HeadPeak = { row: number; col: number; score: number; classProbs: number[]; reg: number[] };

/**
 * Local maxima (3×3) of the centre heatmap above `threshold`, best first, at most `maxPeaks`.
 * `out` is one sample's head output, [H, W, 1 + C + R] row-major, as logits.
 */
export function decodePeaks(layout: HeadLayout, out: Float32Array, threshold: number, maxPeaks: number): HeadPeak[] {
  const { height: H, width: W, classes: C, regs: R } = layout;
  const K = headChannels(layout);
  if (out.length !== H * W * K) throw new RangeError(`decodePeaks: expected ${H * W * K} values for [${H},${W},${K}], got ${out.length}`);
  const peaks: HeadPeak[] = [];
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const v = out[(r * W + c) * K]!;
      const s = 1 / (1 + Math.exp(-v));
      if (!(s >= threshold)) continue;
      let isMax = true;
      for (let dr = -1; dr <= 1 && isMax; dr++) {
        for (let dc = -1; dc <= 1; dc++) {
          if (dr === 0 && dc === 0) continue;
          const rr = r + dr;
          const cc = c + dc;
          if (rr < 0 || rr >= H || cc < 0 || cc >= W) continue;
          const u = out[(rr * W + cc) * K]!;
          // Ties go to the first cell in scan order so that a flat plateau gives one peak.
          if (u > v || (u === v && (dr < 0 || (dr === 0 && dc < 0)))) {
            isMax = false;
            break;
          }
        }
      }
      if (!isMax) continue;
      const base = (r * W + c) * K;
      let m = -Infinity;
      for (let k = 0; k < C; k++) m = Math.max(m, out[base + 1 + k]!);
      const e: number[] = [];
      let sum = 0;
      for (let k = 0; k < C; k++) {
        const x = Math.exp(out[base + 1 + k]! - m);
        e.push(x);
        sum += x;
      }
      const reg: number[] = [];
      for (let k = 0; k < R; k++) reg.push(out[base + 1 + C + k]!);
      peaks.push({ row: r, col: c, score: s, classProbs: e.map((x) => x / sum), reg });
    }
  }
  peaks.sort((a, b) => b.score - a.score);
  return peaks.slice(0, maxPeaks);
}

/** Initial bias of the centre logit: sigmoid(−2.19) ≈ 0.1, as CenterNet does, so early focal loss stays stable. */
export const CENTRE_BIAS_INIT = -2.19;

/** What the camera and LiDAR CNNs differ in: their input, their 3×3 convolutions, their head. */
export type CenterNetSpec = {
  input: { shape: [number, number, number]; name: string };
  /** `[filters, strides]` of each 3×3 'same' ReLU convolution, input first. */
  convs: readonly (readonly [filters: number, strides: number])[];
  head: HeadLayout;
  name: string;
};

/**
 * The encoders' CNN: 3×3 convolutions (He-normal, seeded per layer so the initial weights follow
 * from `seed`), then a 1×1 head whose centre bias starts at CENTRE_BIAS_INIT so the heatmap
 * begins near the background rate.
 */
export function createCenterNetModel(spec: CenterNetSpec, seed: number): tf.LayersModel {
  const init = (k: number) => tf.initializers.heNormal({ seed: seed * 100 + k });
  const conv = (filters: number, strides: number, k: number) =>
    tf.layers.conv2d({ filters, kernelSize: 3, strides, padding: "same", activation: "relu", kernelInitializer: init(k) });
  const input = tf.input({ shape: spec.input.shape, name: spec.input.name });
  let x = input;
  spec.convs.forEach(([filters, strides], i) => {
    x = conv(filters, strides, i + 1).apply(x) as tf.SymbolicTensor;
  });
  const headLayer = tf.layers.conv2d({
    filters: headChannels(spec.head),
    kernelSize: 1,
    padding: "same",
    kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 100 + 9 }),
    name: "head",
  });
  const out = headLayer.apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out, name: spec.name });
  const [k, b] = headLayer.getWeights();
  const bias = b!.arraySync() as number[];
  bias[0] = CENTRE_BIAS_INIT;
  const nb = tf.tensor1d(bias);
  headLayer.setWeights([k!, nb]);
  nb.dispose();
  return model;
}
