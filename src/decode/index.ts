export * from "../config/topicMapping";
export { type DecodeContext, type Fields } from "./common";
export { unpackPoints, type PackedField, type PackedLayout, type NumericType } from "./pointFields";
export { createRos2Reader, type Ros2Reader } from "./ros2";
export * from "./createDecoder";
export * from "./decodeFrames";
