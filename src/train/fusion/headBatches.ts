import * as tf from "@tensorflow/tfjs";
import { HEAD_MODALITIES, SLOT_SIZE, TRACK_SIZE } from "../../fusion/head/features";
import { OUT_CLASSES } from "../../fusion/head/model";
import { LABEL_RADIUS_M, type Examples } from "./dataset";

/** The fusion head's training objective: labelled candidates as tensors, and the loss on them. */

export type Batch = {
  slots: tf.Tensor3D;
  track: tf.Tensor2D;
  exist: tf.Tensor2D;
  cls: tf.Tensor2D;
  clsMask: tf.Tensor1D;
  offset: tf.Tensor2D;
  posMask: tf.Tensor1D;
};

/** The candidates `idx` of `ex` as one batch; offsets clipped to the label radius, masks for the terms a candidate has labels for. */
export function batchOf(ex: Examples, idx: Int32Array): Batch {
  const n = idx.length;
  const S = HEAD_MODALITIES.length * SLOT_SIZE;
  const slots = new Float32Array(n * S);
  const track = new Float32Array(n * TRACK_SIZE);
  const exist = new Float32Array(n);
  const cls = new Float32Array(n * OUT_CLASSES.length);
  const clsMask = new Float32Array(n);
  const offset = new Float32Array(2 * n);
  const posMask = new Float32Array(n);
  idx.forEach((j, i) => {
    slots.set(ex.slots.subarray(j * S, (j + 1) * S), i * S);
    track.set(ex.track.subarray(j * TRACK_SIZE, (j + 1) * TRACK_SIZE), i * TRACK_SIZE);
    exist[i] = ex.exist[j]!;
    if (ex.cls[j]! >= 0) {
      cls[i * OUT_CLASSES.length + ex.cls[j]!] = 1;
      clsMask[i] = 1;
    }
    if (ex.exist[j]) {
      posMask[i] = 1;
      offset[2 * i] = Math.max(-LABEL_RADIUS_M, Math.min(LABEL_RADIUS_M, ex.offset[2 * j]!));
      offset[2 * i + 1] = Math.max(-LABEL_RADIUS_M, Math.min(LABEL_RADIUS_M, ex.offset[2 * j + 1]!));
    }
  });
  return {
    slots: tf.tensor3d(slots, [n, HEAD_MODALITIES.length, SLOT_SIZE]),
    track: tf.tensor2d(track, [n, TRACK_SIZE]),
    exist: tf.tensor2d(exist, [n, 1]),
    cls: tf.tensor2d(cls, [n, OUT_CLASSES.length]),
    clsMask: tf.tensor1d(clsMask),
    offset: tf.tensor2d(offset, [n, 2]),
    posMask: tf.tensor1d(posMask),
  };
}

/** Loss weights of the class and position terms relative to existence. */
const CLASS_WEIGHT = 0.5;
const POSITION_WEIGHT = 0.5;

/** Existence BCE + class cross-entropy (labelled candidates) + Huber offset loss (real candidates), weighted. */
export function lossOf(model: tf.LayersModel, b: Batch): tf.Scalar {
  return tf.tidy(() => {
    const out = model.apply([b.slots, b.track], { training: true }) as tf.Tensor2D;
    const existLogit = out.slice([0, 0], [-1, 1]);
    const clsLogits = out.slice([0, 1], [-1, OUT_CLASSES.length]);
    const off = out.slice([0, 1 + OUT_CLASSES.length], [-1, 2]);
    const lExist = tf.losses.sigmoidCrossEntropy(b.exist, existLogit);
    const nCls = tf.maximum(b.clsMask.sum(), 1);
    const ce = tf.neg(tf.sum(tf.mul(b.cls, tf.logSoftmax(clsLogits)), 1));
    const lCls = tf.div(tf.sum(tf.mul(ce, b.clsMask)), nCls);
    const nPos = tf.maximum(b.posMask.sum(), 1);
    const err = tf.abs(tf.sub(off, b.offset));
    const q = tf.minimum(err, 1);
    const huber = tf.add(tf.mul(0.5, tf.square(q)), tf.sub(err, q)).sum(1);
    const lPos = tf.div(tf.sum(tf.mul(huber, b.posMask)), nPos);
    return tf.addN([lExist, tf.mul(CLASS_WEIGHT, lCls), tf.mul(POSITION_WEIGHT, lPos)]) as tf.Scalar;
  });
}
