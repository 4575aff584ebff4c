import type { CameraCalibration, FrameTransform, Nanos, SensorFrame } from "../types";

/** A camera image one tick used: where Foxglove shows it and the stamp its annotations must carry. */
export type SceneImage = { topic: string; frameId: string; stamp: Nanos };

/**
 * What the outputs need besides the scene, handed in as data by the caller (replay, live): the
 * recording's latest sensor mountings (by child frame) and camera calibrations (by camera frame),
 * and the camera images the tick included. Without it the outputs write the scene, its boxes and
 * `odom → <scene frame>` only.
 */
export type SceneContext = {
  transforms: ReadonlyMap<string, FrameTransform>;
  cameras: ReadonlyMap<string, CameraCalibration>;
  images: readonly SceneImage[];
};

/** The context of one tick: the calibration the pipeline has seen so far and the tick's camera frames. */
export function sceneContextOf(
  calibration: { transforms: ReadonlyMap<string, FrameTransform>; cameras: ReadonlyMap<string, CameraCalibration> },
  frames: readonly SensorFrame[],
): SceneContext {
  const images = frames.filter((f) => f.kind === "camera").map((f) => ({ topic: f.topic, frameId: f.frameId, stamp: f.stamp }));
  return { transforms: calibration.transforms, cameras: calibration.cameras, images };
}
