export { BufferReadable } from "./BufferReadable";
export { FileReadable } from "./FileReadable";
export { isMcapReadError, mcapReadError, type McapReadErrorKind } from "./errors";
export type { RecordingReadable } from "./types";
export {
  createDiagnostics,
  readMessageBatches,
  readRecording,
  type Pacing,
  type ReadDiagnostics,
  type ReadRecordingOptions,
} from "./readRecording";
export { streamRecordBatches, streamRecords, type RecordBatch, type StreamRecordsOptions } from "./streamRecords";
export {
  inspectRecording,
  inspectionToJson,
  type InspectionJson,
  type InspectOptions,
  type RecordingInspection,
  type TopicInspection,
} from "./inspectRecording";
export { buildRecording, type BuildOptions, type BuiltMessage } from "./buildRecording";
