import type { CameraCalibration, FrameTransform, Nanos, Vec3 } from "../types";
import type { Scenario } from "./scenario";

/**
 * The sensor rig: where every sensor sits on the ego vehicle and the topics it publishes on.
 * Ego frame `base_link`: x forward, y left, z up, origin at the rear axle on the ground.
 */
export const EGO_FRAME = "base_link";

export const TOPICS = {
  camera: "/sensors/cam_front/image",
  cameraInfo: "/sensors/cam_front/calibration",
  lidar: "/sensors/lidar_top/points",
  radar: "/sensors/radar_front/scan",
  audio: "/sensors/mic_array/audio",
  tf: "/tf",
  groundTruth: "/ground_truth",
} as const;

export const FRAMES = {
  camera: "cam_front_optical",
  lidar: "lidar_top",
  radar: "radar_front",
  audio: "mic_array",
} as const;

export const CAMERA_MOUNT: Vec3 = { x: 1.8, y: 0, z: 1.45 };
export const LIDAR_MOUNT: Vec3 = { x: 1.2, y: 0, z: 1.9 };
export const RADAR_MOUNT: Vec3 = { x: 3.7, y: 0, z: 0.5 };
export const MIC_ARRAY_MOUNT: Vec3 = { x: 1.2, y: 0, z: 1.6 };
/** Microphone positions in the mic_array frame: channel 0 left, channel 1 right. */
export const MIC_SPACING_M = 0.3;
export const MIC_POSITIONS: readonly Vec3[] = [
  { x: 0, y: MIC_SPACING_M / 2, z: 0 },
  { x: 0, y: -MIC_SPACING_M / 2, z: 0 },
];
export const SPEED_OF_SOUND = 343;

export type CameraIntrinsics = { width: number; height: number; fx: number; fy: number; cx: number; cy: number };

export function cameraIntrinsics(cfg: Scenario["sensors"]["camera"]): CameraIntrinsics {
  const fx = cfg.width / 2 / Math.tan(((cfg.hfovDeg / 2) * Math.PI) / 180);
  return { width: cfg.width, height: cfg.height, fx, fy: fx, cx: cfg.width / 2, cy: cfg.height / 2 };
}

const IDENTITY = { x: 0, y: 0, z: 0, w: 1 };
// Optical frame (x right, y down, z forward) expressed in base_link: the rotation whose columns
// are the optical axes in ego coordinates, x_o = −y_e, y_o = −z_e, z_o = x_e.
const OPTICAL = { x: -0.5, y: 0.5, z: -0.5, w: 0.5 };

export function rigTransforms(stamp: Nanos): FrameTransform[] {
  const mk = (child: string, t: Vec3, r = IDENTITY): FrameTransform => ({
    kind: "transform",
    topic: TOPICS.tf,
    stamp,
    parentFrameId: EGO_FRAME,
    childFrameId: child,
    translation: t,
    rotation: r,
  });
  return [
    mk(FRAMES.camera, CAMERA_MOUNT, OPTICAL),
    mk(FRAMES.lidar, LIDAR_MOUNT),
    mk(FRAMES.radar, RADAR_MOUNT),
    mk(FRAMES.audio, MIC_ARRAY_MOUNT),
  ];
}

export function cameraCalibration(cfg: Scenario["sensors"]["camera"], stamp: Nanos): CameraCalibration {
  const k = cameraIntrinsics(cfg);
  return {
    kind: "cameraCalibration",
    topic: TOPICS.cameraInfo,
    stamp,
    frameId: FRAMES.camera,
    width: k.width,
    height: k.height,
    distortionModel: "plumb_bob",
    D: [0, 0, 0, 0, 0],
    K: [k.fx, 0, k.cx, 0, k.fy, k.cy, 0, 0, 1],
    R: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    P: [k.fx, 0, k.cx, 0, 0, k.fy, k.cy, 0, 0, 0, 1, 0],
  };
}
