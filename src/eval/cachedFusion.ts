/**
 * Run the encoders once, fuse many ways: `captureEncodedTicks` replays a recording through the
 * whole pipeline (`createScenePipeline`) and keeps, per tick, what the encoders produced (the
 * `EncodedTick`: synced bundle, evidence, failures) and the decoder's counters; `fuseCached`
 * replays those through a fresh `createFusionStage` with any fusion head, or with only one
 * modality's evidence. The encoders, by far the slowest stage, then run once per recording
 * instead of once per evaluated pipeline.
 */
import { lastValueFrom, tap, toArray } from "rxjs";
import type { EncodedTick } from "../encoders/encodeBundle";
import type { FusionHead } from "../fusion/fusionHead";
import { createFusionStage, createScenePipeline, type FusionStageOptions, type PipelinePlan, type ScenePipelineOptions } from "../pipeline";
import type { DecodeCounts } from "../scene/observeSensors";
import type { RecordingReadable } from "../sources/mcap/types";
import type { GroundTruthFrame, SceneState, SensorKind } from "../types";

/** One tick as the encoders left it, with the decoder's cumulative counters at that tick. */
export type CachedTick = { encoded: EncodedTick; decode: DecodeCounts[] };

export type CapturedRun = {
  ticks: CachedTick[];
  groundTruth: GroundTruthFrame[];
  /** The scenes of the capturing run itself (with `options.fusionHead`, if given). */
  scenes: SceneState[];
};

/**
 * Replays `source` losslessly through the whole pipeline once and keeps every tick's encoder
 * output. Decoder counters are snapshotted as each tick is emitted, and encoder failures are
 * counted per sensor exactly as the pipeline counts them (they feed the scene's FAILED status).
 */
export async function captureEncodedTicks(
  source: RecordingReadable,
  plan: PipelinePlan,
  options: ScenePipelineOptions,
): Promise<CapturedRun> {
  const groundTruth: GroundTruthFrame[] = [];
  const run = createScenePipeline(source, plan, {
    ...options,
    read: { ...options.read, pacing: { mode: "lossless" } },
    onGroundTruth: (gt) => {
      groundTruth.push(gt);
      options.onGroundTruth?.(gt);
    },
  });
  const encoderErrors = new Map<string, DecodeCounts>();
  const ticks: CachedTick[] = [];
  try {
    const all = await lastValueFrom(
      run.ticks.pipe(
        tap((t) => {
          for (const [sensorId, why] of t.failures) {
            const e = encoderErrors.get(sensorId) ?? { sensorId, decoded: 0, errors: 0 };
            encoderErrors.set(sensorId, { ...e, errors: e.errors + 1, lastReason: `encoder: ${why}` });
          }
          const decode: DecodeCounts[] = [];
          for (const s of run.decodeStats.byTopic.values())
            decode.push({ sensorId: s.sensorId, decoded: s.decoded, errors: s.errors, lastReason: s.lastReason });
          decode.push(...[...encoderErrors.values()].map((e) => ({ ...e })));
          const encodeMs = Number(t.scene.latencyMs.encode ?? 0);
          ticks.push({ encoded: { synced: t.synced, evidence: t.evidence, failures: t.failures, encodeMs }, decode });
        }),
        toArray(),
      ),
      { defaultValue: [] },
    );
    return { ticks, groundTruth, scenes: all.map((t) => t.scene) };
  } finally {
    await run.dispose();
  }
}

/** The tick with only `kind`'s evidence: the tracker sees that modality alone. */
export function onlyModality(encoded: EncodedTick, kind: SensorKind): EncodedTick {
  return { ...encoded, evidence: { ...encoded.evidence, evidence: encoded.evidence.evidence.filter((e) => e.kind === kind) } };
}

/** The tick without `kind`'s evidence: the fusion as if that modality were absent (leave one out). */
export function withoutModality(encoded: EncodedTick, kind: SensorKind): EncodedTick {
  return { ...encoded, evidence: { ...encoded.evidence, evidence: encoded.evidence.evidence.filter((e) => e.kind !== kind) } };
}

export type FuseCachedOptions = Omit<FusionStageOptions, "fusionHead"> & {
  fusionHead?: FusionHead | undefined;
  /** Feed the tracker only this modality's evidence (single-sensor ablations). */
  only?: SensorKind | undefined;
  /** Leave this modality's evidence out (leave-one-sensor-out ablations). */
  without?: SensorKind | undefined;
};

/** The cached ticks through a fresh fusion stage (tracker + head + scene): one scene per tick. */
export function fuseCached(plan: PipelinePlan, ticks: readonly CachedTick[], options: FuseCachedOptions = {}): SceneState[] {
  const { only, without, fusionHead, ...rest } = options;
  const fuse = createFusionStage(plan, { ...rest, ...(fusionHead ? { fusionHead } : {}) });
  const select = (e: EncodedTick): EncodedTick => (only ? onlyModality(e, only) : without ? withoutModality(e, without) : e);
  return ticks.map((t) => fuse(select(t.encoded), t.decode).scene);
}
