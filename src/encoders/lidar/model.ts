import * as tf from "@tensorflow/tfjs";
import { CENTRE_BIAS_INIT, headChannels, type HeadLayout } from "./centerNet";
import { BEV } from "./preprocess";

/** Classes the LiDAR encoder tells apart, in head channel order (the simulator's actor classes). */
export const LIDAR_CLASSES = ["car", "truck", "pedestrian", "cyclist", "motorcycle", "emergency_vehicle"] as const;

/** Head stride in BEV cells: one head cell = 4 × 0.5 m = 2 m. */
export const LIDAR_STRIDE = 4;

/** Regressions: row/col offset in the head cell, log length/width/height (m), sin 2ψ, cos 2ψ. */
export const LIDAR_REGS = 7;
export const LIDAR_REG_WEIGHTS = [1, 1, 0.5, 0.5, 0.5, 0.5, 0.5];

export const LIDAR_HEAD: HeadLayout = {
  height: BEV.rows / LIDAR_STRIDE,
  width: BEV.cols / LIDAR_STRIDE,
  classes: LIDAR_CLASSES.length,
  regs: LIDAR_REGS,
};

/**
 * BEV CNN, 128×128×5 → 32×32 head: two stride-2 stages of 3×3 convolutions (no transposed
 * convolutions, which are slow on wasm), receptive field ≈ 12 m, ~87k parameters.
 */
export function createLidarModel(seed = 1): tf.LayersModel {
  const init = (k: number) => tf.initializers.heNormal({ seed: seed * 100 + k });
  const conv = (filters: number, strides: number, k: number) =>
    tf.layers.conv2d({ filters, kernelSize: 3, strides, padding: "same", activation: "relu", kernelInitializer: init(k) });
  const input = tf.input({ shape: [BEV.rows, BEV.cols, BEV.channels], name: "bev" });
  let x = conv(24, 2, 1).apply(input) as tf.SymbolicTensor;
  x = conv(32, 1, 2).apply(x) as tf.SymbolicTensor;
  x = conv(48, 2, 3).apply(x) as tf.SymbolicTensor;
  x = conv(64, 1, 4).apply(x) as tf.SymbolicTensor;
  x = conv(64, 1, 5).apply(x) as tf.SymbolicTensor;
  const headLayer = tf.layers.conv2d({
    filters: headChannels(LIDAR_HEAD),
    kernelSize: 1,
    padding: "same",
    kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 100 + 9 }),
    name: "head",
  });
  const out = headLayer.apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out, name: "avfusion_lidar_bev" });
  const [k, b] = headLayer.getWeights();
  const bias = b!.arraySync() as number[];
  bias[0] = CENTRE_BIAS_INIT;
  const nb = tf.tensor1d(bias);
  headLayer.setWeights([k!, nb]);
  nb.dispose();
  return model;
}
