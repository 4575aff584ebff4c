import * as tf from "@tensorflow/tfjs";
import { CENTRE_BIAS_INIT, headChannels, type HeadLayout } from "../lidar/centerNet";

/** Model input: the simulator's native camera image (the encoder rejects other sizes). */
export const CAMERA_INPUT = { width: 320, height: 192 } as const;

/** Classes the camera encoder tells apart, in head channel order. */
export const CAMERA_CLASSES = ["car", "truck", "pedestrian", "cyclist", "motorcycle", "emergency_vehicle"] as const;

/** Head stride in pixels. */
export const CAMERA_STRIDE = 8;

/**
 * Regressions per head cell: row/col offset of the projected 3D box centre in the cell,
 * log optical-axis depth of the centre (m), 2D box bottom minus centre row (cells), log 2D box
 * width and height (cells), log 3D length/width/height (m).
 */
export const CAMERA_REGS = 9;
export const CAMERA_REG_WEIGHTS = [1, 1, 2, 0.5, 0.3, 0.3, 0.3, 0.3, 0.3];

export const CAMERA_HEAD: HeadLayout = {
  height: CAMERA_INPUT.height / CAMERA_STRIDE,
  width: CAMERA_INPUT.width / CAMERA_STRIDE,
  classes: CAMERA_CLASSES.length,
  regs: CAMERA_REGS,
};

/**
 * Image CNN, 192×320×3 → 24×40 head: three stride-2 stages of 3×3 convolutions (no transposed
 * convolutions), receptive field ≈ 70 px, ~105k parameters.
 */
export function createCameraModel(seed = 1): tf.LayersModel {
  const init = (k: number) => tf.initializers.heNormal({ seed: seed * 100 + k });
  const conv = (filters: number, strides: number, k: number) =>
    tf.layers.conv2d({ filters, kernelSize: 3, strides, padding: "same", activation: "relu", kernelInitializer: init(k) });
  const input = tf.input({ shape: [CAMERA_INPUT.height, CAMERA_INPUT.width, 3], name: "image" });
  let x = conv(12, 2, 1).apply(input) as tf.SymbolicTensor;
  x = conv(24, 2, 2).apply(x) as tf.SymbolicTensor;
  x = conv(24, 1, 3).apply(x) as tf.SymbolicTensor;
  x = conv(48, 2, 4).apply(x) as tf.SymbolicTensor;
  x = conv(48, 1, 5).apply(x) as tf.SymbolicTensor;
  x = conv(64, 1, 6).apply(x) as tf.SymbolicTensor;
  x = conv(64, 1, 7).apply(x) as tf.SymbolicTensor;
  const headLayer = tf.layers.conv2d({
    filters: headChannels(CAMERA_HEAD),
    kernelSize: 1,
    padding: "same",
    kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 100 + 9 }),
    name: "head",
  });
  const out = headLayer.apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out, name: "avfusion_camera_centernet" });
  const [k, b] = headLayer.getWeights();
  const bias = b!.arraySync() as number[];
  bias[0] = CENTRE_BIAS_INIT;
  const nb = tf.tensor1d(bias);
  headLayer.setWeights([k!, nb]);
  nb.dispose();
  return model;
}
