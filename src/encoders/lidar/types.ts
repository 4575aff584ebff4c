import type { Extrinsics } from "../common/extrinsics";
import type { ModelFiles } from "../../runtime/modelFiles";

/** What `models/lidar/metadata.json` holds (the parts the encoder reads are checked at load). */
export type LidarModelMetadata = {
  kind: "lidar";
  modelVersion: string;
  /** When it was trained (ISO 8601) and the exact command that did it. */
  date: string;
  command: string;
  input: { layout: "NHWC"; shape: [number, number, number]; cellM: number; xMinM: number; yHalfM: number; channels: string[] };
  classes: string[];
  headStride: number;
  /**
   * Quality calibration: `farFractionClear`, the fraction of a clear-air sweep's returns that lie
   * beyond 30 m (median over the training sweeps; resolution-independent), and the backscatter
   * fraction that counts as fully blind. `farReturnsClear` (the count, which depends on the
   * LiDAR's resolution) is informative only.
   */
  quality: { farFractionClear: number; backscatterFullScale: number; farReturnsClear?: number };
  training?: unknown;
  heldOut?: unknown;
};

export type LidarEncoderConfig = {
  files: ModelFiles;
  /** Directory of the model inside `files`; default `models/lidar`. */
  dir?: string;
  /** ego ← lidar transform; default the simulator rig's lidar_top mount. */
  extrinsics?: Extrinsics;
  /** Minimum centre score for a detection (0..1); default 0.3. */
  scoreThreshold?: number;
  /** At most this many detections per frame; default 64. */
  maxDetections?: number;
};
