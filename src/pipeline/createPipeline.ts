import { share } from "rxjs";
import { createDiagnostics, readRecording } from "../sources/mcap/readRecording";
import type { RecordingReadable } from "../sources/mcap/types";
import { decodeAndAlign } from "./decodeAndAlign";
import type { PipelineOptions, PipelinePlan, PipelineRun } from "./types";

/**
 * The pipe stopped after time alignment: recording → decode → sync, for tools that need aligned
 * frames only. Calibration and ground truth are side channels (`calibration`, `onGroundTruth`).
 */
export function createPipeline(source: RecordingReadable, plan: PipelinePlan, options: PipelineOptions = {}): PipelineRun {
  const readDiagnostics = createDiagnostics(source.name);
  const aligned = decodeAndAlign(plan, options);
  const bundles = readRecording(source, { ...options.read, diagnostics: readDiagnostics }).pipe(aligned.operator, share());
  return { bundles, readDiagnostics, decodeStats: aligned.decodeStats, calibration: aligned.calibration };
}
