/**
 * avfusion's library entry: what a user builds with. Open a recording, plan and run the pipeline
 * (or drive its stages one by one), write the scene out, run it live, simulate a drive, evaluate
 * scenes against ground truth; and the types that flow between the stages. Everything else is
 * internal to its folder.
 *
 * @packageDocumentation
 */

// --- recordings and live sources --------------------------------------------------------------
export { FileReadable } from "./sources/mcap/FileReadable";
export { BufferReadable } from "./sources/mcap/BufferReadable";
export type { RecordingReadable } from "./sources/mcap/types";
export { inspectRecording, type RecordingInspection } from "./sources/mcap/inspectRecording";
export { readRecording } from "./sources/mcap/readRecording";
export { foxgloveWebSocketSource } from "./sources/bridge/foxgloveWebSocketSource";
export { udpSource } from "./sources/bridge/udpSource";
export { createVendorDatagramDecoder } from "./decode/vendor/rawPacketDecoders";

// --- set-up: config, inference backend, models -------------------------------------------------
export { loadConfig } from "./config/loadConfig";
export type { AvfusionConfig } from "./config/configSchema";
export { selectBackend } from "./runtime/selectBackend";
export { nodeModelFiles } from "./runtime/nodeModelFiles";
export { selectFusionHead } from "./fusion/head/selectHead";
export { loadQualityCurves } from "./scene/qualityCurves";

// --- the pipeline, whole --------------------------------------------------------------------------
export {
  planPipeline,
  createScenePipeline,
  createScenePipelineFromFeed,
  createPipeline,
  createFusionStage,
  type PipelinePlan,
  type ScenePipelineOptions,
  type ScenePipelineRun,
  type SceneTick,
  type MessageFeed,
  type FrameEntry,
} from "./pipeline";

// --- the stages, one by one -----------------------------------------------------------------------
export { decodeFrames } from "./decode/decodeFrames";
export { alignByDeadline } from "./sync/alignByDeadline";
export { approximateTimeSync } from "./sync/approximateTimeSync";
export { createSensorEncoders } from "./encoders/sensorEncoders";
export { createBundleEncoder } from "./encoders/encodeBundle";
export { MultiSensorTracker } from "./fusion/MultiSensorTracker";
export { SceneAssembler } from "./scene/assembleScene";
export { McapSink } from "./sinks/mcap/McapSink";
export { writeJsonLines } from "./sinks/jsonl/writeJsonLines";
export { toSceneJson } from "./sinks/sceneJson";
export { openSceneOutputs } from "./sinks/sceneOutputs";
export { FoxgloveWsServer } from "./sinks/foxglove/FoxgloveWsServer";

// --- applications and the simulator -------------------------------------------------------------
export { replayRecording } from "./replay/replayRecording";
export { startLive, wsInput, udpInput, publishLiveTick, type LiveTick } from "./live";
export { simulateToMcap } from "./sim/simulate";
export { loadScenario } from "./sim/loadScenario";

// --- evaluation against ground truth (what `avfusion eval` computes) ------------------------------
export { evaluateScenes } from "./eval/evaluateScenes";
export { evaluateSiren } from "./eval/evaluateSiren";
export { resultEntry, buildEvalReport, formatEvalMarkdown } from "./eval/evalReport";

// --- the types between the stages ---------------------------------------------------------------
export type {
  Nanos,
  SensorMessage,
  SensorFrame,
  CameraFrame,
  PointCloudFrame,
  RadarFrame,
  AudioFrame,
  DecodedMessage,
  SyncedBundle,
  ClockTick,
  EvidenceBundle,
  SensorEvidence,
  TrackedObjects,
  SceneState,
} from "./types";
export { BadInputError } from "./types/errors";
