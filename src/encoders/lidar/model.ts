import type * as tf from "@tensorflow/tfjs";
import { createCenterNetModel, type HeadLayout } from "./centerNet";
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
  return createCenterNetModel(
    {
      input: { shape: [BEV.rows, BEV.cols, BEV.channels], name: "bev" },
      convs: [
        [24, 2],
        [32, 1],
        [48, 2],
        [64, 1],
        [64, 1],
      ],
      head: LIDAR_HEAD,
      name: "avfusion_lidar_bev",
    },
    seed,
  );
}
