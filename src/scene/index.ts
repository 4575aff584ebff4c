/** Scene stage: sensor health, visibility, degradation and SceneState assembly. */
export { assembleScene, buildSceneState, SceneAssembler, toSceneObject, type SceneTickInput } from "./assembleScene";
export { assessDegradation, DegradationHold, sightSpeedKmh, DEFAULT_DEGRADATION_CONFIG, type DegradationAssessment } from "./degradation";
export { frameDigest, digestBytes } from "./frameDigest";
export {
  checkFaultSchedule,
  type FaultResponse,
  type FaultScheduleCheck,
  type ScheduledFault,
  type UnscheduledTransition,
} from "./faultSchedule";
export { HazardTracker } from "./HazardTracker";
export { HealthTimeline, type Segment, type SensorTimeline } from "./HealthTimeline";
export { observeSensors, type DecodeCounts } from "./observeSensors";
export {
  degradationConfigSchema,
  hazardConfigSchema,
  healthConfigSchema,
  parseDegradationConfig,
  parseHazardConfig,
  parseHealthConfig,
  parseSceneConfig,
  parseVisibilityConfig,
  qualityCurveSchema,
  sceneConfigSchema,
  visibilityConfigSchema,
  type DegradationConfig,
  type DegradationConfigInput,
  type HazardConfig,
  type HazardConfigInput,
  type HealthConfig,
  type HealthConfigInput,
  type QualityCurve,
  type QualityCurveInput,
  type SceneConfig,
  type SceneConfigInput,
  type VisibilityConfig,
  type VisibilityConfigInput,
} from "./sceneConfig";
export { SensorHealthMonitor } from "./SensorHealthMonitor";
export { VisibilityEstimator, visibilityFromQuality } from "./VisibilityEstimator";
export { loadQualityCurves, qualityCurveFromMetadata, VISIBILITY_KINDS, type VisibilityKind } from "./qualityCurves";
export * from "./types";
