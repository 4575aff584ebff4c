/** Evaluation: nuScenes-style detection metrics (devkit-exact), siren metrics, reports, the held-out suite. Pure, no IO (runSuite.ts, not exported here, keeps the suite cache). */
export type { DetectionConfig, DetectionMetricData, DetectionMetrics, EvalBox, TpMetric } from "./types";
export { TP_METRICS } from "./types";
export { accumulate, calcAp, calcTp, maxRecallInd, noPredictions, groupBySample, CURVE_POINTS } from "./accumulate";
export { angleDiff, attrAcc, centerDistance, cummean, quaternionYaw, scaleIou, velocityL2, yawDiff, yawToQuaternion } from "./boxErrors";
export {
  combineMetrics,
  evaluateDetections,
  filterByRange,
  NUSCENES_DETECTION_CONFIG,
  type DetectionEvaluation,
} from "./evaluateDetections";
export {
  DEFAULT_CLASS_RANGE_M,
  EVAL_CLASSES,
  evalClassOf,
  evaluateScenes,
  groundTruthBox,
  nearestByStamp,
  pairFrames,
  sceneBoxes,
  sceneDetectionConfig,
  sceneObjectBox,
  type EvalClass,
  type SceneDetectionMetrics,
  type SceneEvalOptions,
} from "./evaluateScenes";
export { angularErrorDeg, evaluateSiren, median, mergeSirenMetrics, type SirenEvalOptions, type SirenMetrics } from "./evaluateSiren";
export {
  buildEvalReport,
  EVAL_PIPELINES,
  formatEvalMarkdown,
  jsonNumber,
  resultEntry,
  robustnessRatios,
  sirenSummary,
  type EvalPipeline,
  type EvalReport,
  type EvalResultEntry,
  type RobustnessRow,
  type SirenSummary,
} from "./evalReport";
export { linspace01, npInterp, npMean, npNanMean, npSum, pairwiseSum, pyMod, pyRound } from "./numpyMath";
export { captureEncodedTicks, fuseCached, onlyModality, type CachedTick, type CapturedRun, type FuseCachedOptions } from "./cachedFusion";
export {
  applyCondition,
  expandSuite,
  parseCondition,
  parseSuite,
  recoveryRun,
  SUITE_MIN_RANDOM_SEED,
  validateSuite,
  type SuiteCondition,
  type SuiteDefinition,
  type SuiteRun,
} from "./suite";
export {
  aggregateResults,
  buildSuiteReport,
  checkTargets,
  formatSuiteMarkdown,
  missingSensorMeasure,
  recoveryMeasure,
  sceneCadence,
  type AggregateEntry,
  type SuiteReport,
  type TargetCheck,
} from "./suiteReport";
// runSuite.ts (the suite's recording and evidence cache) does IO: import it directly.
