import type { CameraCalibration } from "../../types";
import type { Extrinsics } from "../common/extrinsics";
import type { ModelFiles } from "../../runtime/modelFiles";
import type { ContrastCalibration } from "./preprocess";
import type { CocoDetector } from "./coco/cocoDetector";

/** What `models/camera/metadata.json` holds (the parts the encoder reads are checked at load). */
export type CameraModelMetadata = {
  kind: "camera";
  modelVersion: string;
  date: string;
  command: string;
  input: {
    layout: "NHWC";
    /** [height, width, 3], RGB scaled to 0..1. */
    shape: [number, number, number];
    /** Intrinsics the network learnt depth with (pixels); other lenses need retraining. */
    intrinsics: { fx: number; fy: number; cx: number; cy: number };
  };
  classes: string[];
  headStride: number;
  quality: ContrastCalibration;
  /** Depth uncertainty: relative std of the network depth, std of the box-bottom row (pixels). */
  depth: { sigmaRel: number; bottomSigmaPx: number };
  training?: unknown;
  heldOut?: unknown;
};

export type CameraEncoderConfig = {
  files: ModelFiles;
  /** Directory of the model inside `files`; default `models/camera`. */
  dir?: string;
  /** Intrinsics; default the simulator's front camera (320×192, 80° horizontal field of view). */
  calibration?: CameraCalibration;
  /** ego ← optical-frame transform; default the simulator rig's cam_front_optical mount. */
  extrinsics?: Extrinsics;
  /** Minimum centre score for a detection (0..1); default 0.3. */
  scoreThreshold?: number;
  /** At most this many detections per frame; default 64. */
  maxDetections?: number;
  /**
   * Run the stem convolution as a 2×2 convolution on the space-to-depth image
   * (src/runtime/convChain.ts): the same result up to float rounding (held-out AP unchanged), but
   * not measurably faster on wasm here (bench/runtimeConvChain.ts); default false.
   */
  spaceToDepthStem?: boolean;
  /**
   * What detects objects in a camera other than the network's own (the simulator's 320 × 192,
   * 80° pinhole): `coco` (default) the detector of the card in `detectorDir` (shipped: the
   * COCO-trained detector of `@vladmandic/human`, coco/cocoDetector.ts) where there is one, else
   * the network through its virtual camera; `network` always the network. Quality comes from the
   * network's image statistics either way.
   */
  realCamera?: "coco" | "network";
  /**
   * The folder of the real-camera detector's card (`card.json`, coco/detectorCard.ts) inside
   * `files`; default `camera-coco` beside `dir`. A folder without a card means no detector.
   */
  detectorDir?: string;
  /** A COCO detector already loaded (tests, or one shared by several cameras); the encoder disposes it. */
  cocoDetector?: CocoDetector;
};
