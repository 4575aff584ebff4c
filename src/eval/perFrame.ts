/**
 * Per-frame evaluation (`avfusion eval --per-frame`), as detection benchmarks are scored: each
 * ground-truth frame against what one tick of fusion makes of that tick's evidence alone — a fresh
 * tracker every tick, so nothing is carried from frame to frame, and every live track (tentative
 * ones included, as nothing can be confirmed in one frame) a prediction scored by its existence
 * (after the head, for the pipelines that have one). For recordings of single annotated frames
 * (an `import kitti` without `--repeat`), where tracking has nothing to work with.
 */
import type { FusionHead } from "../fusion/fusionHead";
import { createFusionStage, type PipelinePlan } from "../pipeline";
import type { GroundTruthFrame, SensorKind } from "../types";
import { onlyModality, withoutModality, type CachedTick } from "./cachedFusion";
import { LEAVE_ONE_OUT, SINGLE_SENSOR_PIPELINES, type EvalPipeline } from "./evalReport";
import { evaluateBoxes, type SceneDetectionMetrics } from "./evaluateScenes";
import { gtBoxes, pairTicks, sampleFrames, trackBox, type Sample } from "./lossBudget";
import type { EvalBox } from "./types";

export type PerFrameOptions = {
  pipeline: EvalPipeline;
  learnedHead?: FusionHead | undefined;
  naiveHead?: FusionHead | undefined;
  maxStampDeltaMs?: number;
};

export function perFrameMetrics(
  plan: PipelinePlan,
  ticks: readonly CachedTick[],
  groundTruth: readonly GroundTruthFrame[],
  options: PerFrameOptions,
): SceneDetectionMetrics {
  const { pipeline } = options;
  const only = SINGLE_SENSOR_PIPELINES.includes(pipeline) ? (pipeline as SensorKind) : undefined;
  const without = LEAVE_ONE_OUT[pipeline];
  const head = pipeline === "fused" || without ? options.learnedHead : pipeline === "naive" ? options.naiveHead : undefined;
  const samples: Sample[] = [];
  const pred: EvalBox[] = [];
  let withoutTick = 0;
  for (const { gt, tick } of pairTicks(groundTruth, ticks, options.maxStampDeltaMs ?? 50)) {
    const token = String(gt.stamp);
    samples.push({ token, gt: gtBoxes(gt.objects, token) });
    if (tick < 0) {
      withoutTick++;
      continue;
    }
    const t = ticks[tick]!;
    const fuse = createFusionStage(plan, head ? { fusionHead: head } : {});
    const r = fuse(only ? onlyModality(t.encoded, only) : without ? withoutModality(t.encoded, without) : t.encoded, t.decode);
    for (const track of r.tracked.tracks) {
      const box = trackBox(track, token);
      if (box && [...box.translation, ...box.velocity, box.score].every(Number.isFinite)) pred.push(box);
    }
  }
  const frames = { ...sampleFrames(samples), matched: samples.length - withoutTick, withoutScene: withoutTick };
  return evaluateBoxes(
    samples.flatMap((s) => s.gt),
    pred,
    frames,
  );
}
