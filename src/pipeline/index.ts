/**
 * The composition tier: the stages joined into one pipe. `planPipeline` makes a plan over a
 * catalogue of topics; `createScenePipeline` runs a recording through decode → sync → encoders →
 * fusion → scene; `createScenePipelineFromFeed` does the same for any feed (live sources); the
 * rest are the pieces, for tools that drive stages themselves.
 */
export * from "./types";
export { planPipeline, NOMINAL_RATE_HZ } from "./planPipeline";
export { describePlan } from "./describePlan";
export { decodeAndAlign } from "./decodeAndAlign";
export { createPipeline } from "./createPipeline";
export { createFusionStage, sceneConfigForPlan, type FusionStage } from "./createFusionStage";
export { createScenePipeline, createScenePipelineFromFeed } from "./createScenePipeline";
export { createTickPacer, type TickPacer } from "./paceTicks";
export { recordingFeed } from "./recordingFeed";
