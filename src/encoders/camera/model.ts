import type * as tf from "@tensorflow/tfjs";
import { createCenterNetModel, type HeadLayout } from "../lidar/centerNet";

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
  return createCenterNetModel(
    {
      input: { shape: [CAMERA_INPUT.height, CAMERA_INPUT.width, 3], name: "image" },
      convs: [
        [12, 2],
        [24, 2],
        [24, 1],
        [48, 2],
        [48, 1],
        [64, 1],
        [64, 1],
      ],
      head: CAMERA_HEAD,
      name: "avfusion_camera_centernet",
    },
    seed,
  );
}
