/** Fusion core: association, tracking and the tracking stage operator. */
export { MultiSensorTracker } from "./MultiSensorTracker";
export { trackObjects } from "./trackObjects";
export { parseTrackerConfig, trackerConfigSchema, type TrackerConfig, type TrackerConfigInput } from "./trackerConfig";
export { solveAssignment, costMatrix, type Assignment, type AssignmentOptions, type CostMatrix } from "./solveAssignment";
export { assignMeasurements, clusterMeasurements, pairCost, type Cluster, type GateParams, type PositionHypothesis } from "./associate";
export { toMeasurement, type Measurement, type MeasurementResult } from "./toMeasurement";
export { chiSquareQuantile } from "./gating";
export type {
  FusedTrack,
  FusionDiagnostics,
  SensorFusionDiagnostics,
  SensorMeasurementRecord,
  TrackedObjects,
  TrackStatus,
} from "../types/tracked";
export { polarDetection, type PolarMeasurement, type SensorMount } from "./polarDetection";
export type { CandidateRefinement, CandidateSensor, FusionCandidate, FusionHead } from "./fusionHead";
export {
  createLearnedFusionHead,
  createNaiveFusionHead,
  loadFusionHead,
  selectFusionHead,
  parseFusionHeadChoice,
  candidateFeatures,
  FUSION_HEAD_CHOICES,
  type FusionHeadChoice,
  type LearnedFusionHead,
  type FusionHeadMetadata,
} from "./head";
