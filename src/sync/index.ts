export { alignByDeadline } from "./alignByDeadline";
export { alignByDeadlineSchema, planAlignByDeadline } from "./alignByDeadlineSchema";
export type { AlignByDeadlineConfig, AlignByDeadlineOptions, AlignByDeadlinePlan } from "./alignByDeadlineSchema";
export { DeadlineAligner } from "./DeadlineAligner";
export { approximateTimeSync, approximateTimeSyncSchema } from "./approximateTimeSync";
export type {
  ApproximateTimeSyncConfig,
  ApproximateTimeSyncOptions,
  ApproximateTimeSyncStats,
  StampedFrame,
} from "./approximateTimeSync";
export { ApproximateTimeMatcher, UNBOUNDED_INTERVAL } from "./ApproximateTimeMatcher";
export type { ApproximateTimeCounters, ApproximateTimeParams } from "./ApproximateTimeMatcher";
export { ApproximateEpsilonMatcher } from "./ApproximateEpsilonMatcher";
export { ExactTimeMatcher } from "./ExactTimeMatcher";
export { SlopMatcher } from "./SlopMatcher";
