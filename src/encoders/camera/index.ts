export {
  load,
  loadCameraEncoder,
  cameraEncoderFromModel,
  defaultCameraCalibration,
  DEFAULT_CAMERA_EXTRINSICS,
  CAMERA_ENCODER_NAME,
  type CameraEncoder,
} from "./encoder";
export { decodeCameraFrame } from "./decodeImage";
export { CAMERA_CLASSES, CAMERA_INPUT } from "./model";
export type { CameraEncoderConfig, CameraModelMetadata } from "./types";
