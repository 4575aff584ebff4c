import type { EncodedTick } from "../encoders/encodeBundle";
import { MultiSensorTracker } from "../fusion/MultiSensorTracker";
import { parseTrackerConfig, type TrackerConfig } from "../fusion/trackerConfig";
import { SceneAssembler } from "../scene/assembleScene";
import type { DecodeCounts } from "../scene/observeSensors";
import type { SceneConfigInput } from "../scene/sceneConfig";
import { nsToMs } from "../types/time";
import type { FusionStageOptions, PipelinePlan, SceneTick } from "./types";

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

/** The scene's health settings for a plan: one monitored sensor per planned sensor, at its measured rate. */
export function sceneConfigForPlan(plan: PipelinePlan, scene?: Partial<SceneConfigInput>): SceneConfigInput {
  return {
    ...scene,
    health: {
      ...scene?.health,
      sensors:
        scene?.health?.sensors ??
        plan.sensors.map((s) => ({
          id: s.sensorId,
          kind: s.kind,
          ...(s.rateHz !== null && s.rateHz > 0.5 ? { expectedRateHz: s.rateHz } : {}),
        })),
    },
  };
}

/** One tick through fusion and scene assembly, given the encoders' output. */
export type FusionStage = (encoded: EncodedTick, decode?: Iterable<DecodeCounts>) => SceneTick;

/**
 * Everything after the encoders: tracker (+ optional fusion head) → scene assembler, stateful
 * across ticks, synchronous. Separate from the encoders so that tools can run the encoders once
 * and fuse the same evidence several ways (evaluation ablations, fusion-head training).
 * `tracker` is the tracker config already parsed (the scene pipeline parses it once per run).
 */
export function createFusionStage(
  plan: PipelinePlan,
  options: FusionStageOptions = {},
  tracker: TrackerConfig = parseTrackerConfig(options.tracker ?? plan.tracker ?? {}),
): FusionStage {
  const fusion = new MultiSensorTracker(tracker, options.fusionHead);
  const assembler = new SceneAssembler(sceneConfigForPlan(plan, options.scene));
  return (encoded, decode) => {
    const bundle = encoded.synced;
    let t = performance.now();
    const tracked = fusion.step(encoded.evidence);
    const fusionMs = performance.now() - t;
    const latencyMs: Record<string, number> = { syncWait: round3(nsToMs(bundle.emittedAt - bundle.tick)) };
    for (const e of encoded.evidence.evidence) {
      const total = Object.values(e.timingMs).reduce((a, b) => a + b, 0);
      latencyMs[`encode.${e.sensorId}`] = round3(total);
    }
    latencyMs.encode = round3(encoded.encodeMs);
    latencyMs.fusion = round3(fusionMs);
    t = performance.now();
    const scene = assembler.step({ tracked, synced: bundle, evidence: encoded.evidence, decode, latencyMs });
    scene.latencyMs.scene = round3(performance.now() - t);
    return { scene, synced: bundle, evidence: encoded.evidence, tracked, failures: encoded.failures };
  };
}
