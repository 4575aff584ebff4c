/** The replay application: a recording through the whole pipeline into its outputs. */
export { replayRecording, type ReplayOptions, type ReplayResult } from "./replayRecording";
export { ReplaySummary, type ReplayFigures } from "./ReplaySummary";
