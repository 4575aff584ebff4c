/** Evaluation: nuScenes-style detection metrics (devkit-exact), siren metrics, reports. Pure, no IO. */
export type { DetectionConfig, DetectionMetricData, DetectionMetrics, EvalBox, TpMetric } from "./types";
export { TP_METRICS } from "./types";
export { accumulate, calcAp, calcTp, maxRecallInd, noPredictions, groupBySample, CURVE_POINTS } from "./accumulate";
export { angleDiff, attrAcc, centerDistance, cummean, quaternionYaw, scaleIou, velocityL2, yawDiff, yawToQuaternion } from "./boxErrors";
export { combineMetrics, evaluateDetections, EvalInputError, filterByRange, NUSCENES_DETECTION_CONFIG, type DetectionEvaluation } from "./evaluateDetections";
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
