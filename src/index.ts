/**
 * avfusion's library entry. The pipeline and the shared types at the top level; each stage as a
 * namespace named after its folder (so names never clash and a reader finds the stage by name).
 */
export * from "./types";
export * from "./pipeline";
export * as config from "./config";
export * as mcap from "./sources/mcap";
export * as bridge from "./sources/bridge";
export * as decode from "./decode";
export * as vendor from "./decode/vendor";
export * as sync from "./sync";
export * as runtime from "./runtime";
export * as fusion from "./fusion";
export * as scene from "./scene";
export * as foxgloveSink from "./sinks/foxglove";
export * as jsonlSink from "./sinks/jsonl";
export { McapSink } from "./sinks/mcap/McapSink";
export { FileWritable } from "./sinks/mcap/FileWritable";
export { toSceneUpdate } from "./sinks/mcap/sceneUpdate";
export { createSensorEncoders, type SensorEncoders } from "./encoders/sensorEncoders";
export { createBundleEncoder, type EncodedTick } from "./encoders/encodeBundle";
export { runSimulation, simulateToMcap, type SimulateOptions, type SimulationStats } from "./sim/simulate";
export { listScenarios, loadScenario } from "./sim/loadScenario";
