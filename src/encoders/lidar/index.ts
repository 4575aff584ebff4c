export { load, loadLidarEncoder, lidarEncoderFromModel, DEFAULT_LIDAR_EXTRINSICS, LIDAR_ENCODER_NAME, type LidarEncoder } from "./encoder";
export { LIDAR_CLASSES } from "./model";
export { BEV, pointsToBev } from "./preprocess";
export type { LidarEncoderConfig, LidarModelMetadata } from "./types";
