/**
 * The loss budget (`avfusion eval --explain`): where average precision is lost on its way through
 * the pipeline. One recording's captured ticks (the encoders ran once, cachedFusion.ts) are
 * scored at every stage, with the same classes, ranges and thresholds as `eval`:
 *
 * - `detections@capture`: every detection of the pipeline's sensors; each sensor frame is one
 *   sample, scored against the ground truth moved to that frame's capture time;
 * - `detections@tick`: the same samples against the ground truth at the tick time, i.e. the
 *   detections as they would be if nothing moved them to the tick (the drop is the time skew);
 * - `tracks`: every live track of the tracker alone (tentative ones included: after
 *   association, birth and deletion), score = the tracker's existence;
 * - `confirmed`: the tracker's confirmed tracks only (what confirmation holds back);
 * - `head` (fused only): every live track once the learned head refined existence and class;
 * - `scene`: the scene's objects, exactly what `eval` scores for that pipeline.
 *
 * Moving the ground truth to a capture time uses the object's velocity less the ego's (the
 * ground truth carries the ego speed, not its yaw rate: straight-line ego motion). Detections,
 * tracks and objects without a class count only in the class-agnostic AP (`anyClassAP`).
 */
import type { FusionHead } from "../fusion/fusionHead";
import { createFusionStage, type PipelinePlan } from "../pipeline";
import type { Detection, GroundTruthFrame, GroundTruthObject, Nanos, ObjectClass, SensorKind, Vec3 } from "../types";
import { OBJECT_CLASSES } from "../types";
import type { FusedTrack } from "../types/tracked";
import { yawToQuaternion } from "./boxErrors";
import { onlyModality, type CachedTick } from "./cachedFusion";
import {
  evalClassOf,
  evaluateBoxes,
  groundTruthBox,
  nearestByStamp,
  sceneObjectBox,
  type BoxedObject,
  type EvalClass,
  type SceneDetectionMetrics,
  type SceneEvalOptions,
} from "./evaluateScenes";
import type { EvalBox } from "./types";

export const LOSS_STAGES = ["detections@capture", "detections@tick", "tracks", "confirmed", "head", "scene"] as const;
export type LossStage = (typeof LOSS_STAGES)[number];

/** The pipelines a budget is made for: fused, and each sensor kind alone. */
export type LossBudgetPipeline = "fused" | Exclude<SensorKind, "audio">;

export type LossStageScore = {
  stage: LossStage;
  /** Mean over `classes` of the per-class AP (nuScenes: mean over the distance thresholds). */
  mAP: number;
  apByClass: Partial<Record<EvalClass, number>>;
  /** AP with every class (and no class) counted as one: did the stage find the objects at all. */
  anyClassAP: number;
  /** Predicted boxes in range (all classes) and samples scored. */
  predictions: number;
  samples: number;
};

export type LossBudget = {
  recording: string;
  condition: string;
  pipeline: LossBudgetPipeline;
  /** The classes that enter mAP: those with ground truth in range (as in `eval`). */
  classes: EvalClass[];
  /** In LOSS_STAGES order; `head` only for the fused pipeline with a head. */
  stages: LossStageScore[];
};

export type LossBudgetOptions = {
  recording: string;
  condition: string;
  /** The fused pipeline's learned head; without it the fused budget has no `head` stage. */
  head?: FusionHead | undefined;
  /** Which pipelines (default: fused and every planned kind that detects objects). */
  pipelines?: readonly LossBudgetPipeline[];
  /** Largest |ground-truth stamp − tick stamp| for a pair (ms). Default 50, as `eval`. */
  maxStampDeltaMs?: number;
};

export type Sample = { token: string; gt: readonly EvalBox[] };
type StageBoxes = { samples: Sample[]; pred: EvalBox[] };

const DETECTING_KINDS: readonly LossBudgetPipeline[] = ["camera", "lidar", "radar"];

/** The ground truth frame paired with each tick (index into `ticks`), dropping repeated stamps, as `eval` pairs them. */
export function pairTicks(groundTruth: readonly GroundTruthFrame[], ticks: readonly CachedTick[], maxStampDeltaMs: number) {
  const seen = new Set<Nanos>();
  const frames = groundTruth.filter((f) => !seen.has(f.stamp) && seen.add(f.stamp));
  const idx = nearestByStamp(
    frames.map((f) => f.stamp),
    ticks.map((t) => t.encoded.evidence.stamp),
    BigInt(Math.round(maxStampDeltaMs * 1e6)),
  );
  return frames.map((gt, i) => ({ gt, tick: idx[i]! }));
}

/** A ground-truth object `dtS` seconds later in the ego frame of then: own velocity less the ego's straight-line motion. */
export function movedObject(o: GroundTruthObject, dtS: number, egoSpeedMps: number): GroundTruthObject {
  const rel: Vec3 = { x: o.velocity.x - egoSpeedMps, y: o.velocity.y, z: 0 };
  return { ...o, position: { x: o.position.x + rel.x * dtS, y: o.position.y + rel.y * dtS, z: o.position.z } };
}

export function gtBoxes(objects: readonly GroundTruthObject[], token: string): EvalBox[] {
  return objects.map((o) => groundTruthBox(o, token)).filter((b): b is EvalBox => b !== null);
}

/** The most probable class of a detection; `unknown` when it has no opinion. */
export function detectionClass(d: Pick<Detection, "classProbabilities">): ObjectClass {
  let best: ObjectClass = "unknown";
  let p = 0;
  for (const c of OBJECT_CLASSES) {
    const q = d.classProbabilities[c] ?? 0;
    if (q > p) [best, p] = [c, q];
  }
  return best;
}

/**
 * A detection as a devkit prediction, its class mapped as `eval` maps classes (an emergency vehicle
 * is a car). No opinion stays `unknown`: scored in the class-agnostic AP only. Static clutter is
 * the encoder saying "not an object": null, left out of both.
 */
export function detectionBox(d: Detection, token: string): EvalBox | null {
  const cls = detectionClass(d);
  if (cls === "static_clutter") return null;
  const size = d.size && [d.size.y, d.size.x, d.size.z].every((v) => Number.isFinite(v) && v > 0) ? d.size : undefined;
  return {
    sample: token,
    translation: [d.position.x, d.position.y, d.position.z],
    size: size ? [size.y, size.x, size.z] : null,
    rotation: d.yawRad === undefined || !Number.isFinite(d.yawRad) ? null : yawToQuaternion(d.yawRad),
    velocity: d.velocity ? [d.velocity.value.x, d.velocity.value.y] : [0, 0],
    detectionName: evalClassOf(cls) ?? "unknown",
    attribute: "",
    score: d.score,
  };
}

/**
 * A track or scene object as a prediction, as `eval` boxes it; one of no class (`unknown`) is kept
 * as `unknown`, so the class-agnostic AP sees it (the class-aware AP does not, as in `eval`).
 */
export function predictionBox(o: BoxedObject, token: string): EvalBox | null {
  const box = sceneObjectBox(o, token);
  if (box || o.classification !== "unknown") return box;
  return { ...sceneObjectBox({ ...o, classification: "car" }, token)!, detectionName: "unknown" };
}

export function trackBox(t: FusedTrack, token: string): EvalBox | null {
  return predictionBox({ ...t, size: t.size ?? null, yawRad: t.yawRad ?? null }, token);
}

/** Detection stages: one sample per (paired tick, sensor frame of the pipeline's kinds). */
function detectionStages(pairs: ReturnType<typeof pairTicks>, ticks: readonly CachedTick[], kinds: ReadonlySet<SensorKind>) {
  const capture: StageBoxes = { samples: [], pred: [] };
  const atTick: StageBoxes = { samples: [], pred: [] };
  for (const { gt, tick } of pairs) {
    if (tick < 0) continue;
    for (const ev of ticks[tick]!.encoded.evidence.evidence) {
      if (!kinds.has(ev.kind)) continue;
      const token = `${gt.stamp}/${ev.sensorId}`;
      const dtS = Number(ev.stamp - gt.stamp) / 1e9;
      capture.samples.push({
        token,
        gt: gtBoxes(
          gt.objects.map((o) => movedObject(o, dtS, gt.egoSpeedMps)),
          token,
        ),
      });
      atTick.samples.push({ token, gt: gtBoxes(gt.objects, token) });
      for (const d of ev.detections) {
        const box = detectionBox(d, token);
        if (!box) continue;
        capture.pred.push(box);
        atTick.pred.push(box);
      }
    }
  }
  return { capture, atTick };
}

/** Tracker stages over the paired ticks: every frame of ground truth is a sample, unpaired ones with no predictions. */
function trackStages(
  plan: PipelinePlan,
  pairs: ReturnType<typeof pairTicks>,
  ticks: readonly CachedTick[],
  only: SensorKind | undefined,
  head: FusionHead | undefined,
) {
  const run = (withHead: FusionHead | undefined) => {
    const fuse = createFusionStage(plan, withHead ? { fusionHead: withHead } : {});
    return ticks.map((t) => fuse(only ? onlyModality(t.encoded, only) : t.encoded, t.decode));
  };
  const plain = run(undefined);
  const headed = head ? run(head) : undefined;
  const stage = (pick: (tick: number, token: string) => EvalBox[]): StageBoxes => {
    const out: StageBoxes = { samples: [], pred: [] };
    for (const { gt, tick } of pairs) {
      const token = String(gt.stamp);
      out.samples.push({ token, gt: gtBoxes(gt.objects, token) });
      if (tick >= 0) out.pred.push(...pick(tick, token));
    }
    return out;
  };
  const tracksOf = (ts: readonly FusedTrack[], token: string, confirmedOnly: boolean) =>
    ts.filter((t) => !confirmedOnly || t.status === "confirmed").flatMap((t) => trackBox(t, token) ?? []);
  const scenes = headed ?? plain;
  return {
    tracks: stage((i, token) => tracksOf(plain[i]!.tracked.tracks, token, false)),
    confirmed: stage((i, token) => tracksOf(plain[i]!.tracked.tracks, token, true)),
    head: headed ? stage((i, token) => tracksOf(headed[i]!.tracked.tracks, token, false)) : undefined,
    scene: stage((i, token) => scenes[i]!.scene.objects.flatMap((o) => predictionBox(o, token) ?? [])),
  };
}

/** Every class (and none) as one class, `car`, with the vehicles' 50 m range: the class-agnostic AP. */
function anyClass(boxes: readonly EvalBox[]): EvalBox[] {
  return boxes.map((b) => ({ ...b, detectionName: "car" }));
}

export function sampleFrames(samples: readonly Sample[]): SceneDetectionMetrics["frames"] {
  return { groundTruth: samples.length, matched: samples.length, withoutScene: 0, duplicateStamps: 0, invalidObjects: 0 };
}

function score(stage: LossStage, boxes: StageBoxes, classes: EvalClass[]): LossStageScore {
  const gt = boxes.samples.flatMap((s) => s.gt);
  const usable = (b: EvalBox) => [...b.translation, ...b.velocity, b.score].every(Number.isFinite);
  const pred = boxes.pred.filter(usable);
  const options: SceneEvalOptions = { classes };
  const classAware = classes.length ? evaluateBoxes(gt, pred, sampleFrames(boxes.samples), options) : undefined;
  const agnostic = evaluateBoxes(anyClass(gt), anyClass(pred), sampleFrames(boxes.samples), { classes: ["car"] });
  return {
    stage,
    mAP: classAware?.mAP ?? NaN,
    apByClass: classAware?.apByClass ?? {},
    anyClassAP: agnostic.apByClass.car ?? NaN,
    predictions: agnostic.boxes.car?.pred ?? 0,
    samples: boxes.samples.length,
  };
}

/** The pipelines of a plan that can have a budget: fused and each kind that detects objects. */
export function budgetPipelines(plan: PipelinePlan): LossBudgetPipeline[] {
  const kinds = new Set(plan.sensors.map((s) => s.kind));
  return ["fused", ...DETECTING_KINDS.filter((k) => kinds.has(k as SensorKind))];
}

/**
 * The loss budget of one captured recording, per pipeline. Pure apart from running the fusion
 * stage (deterministic): the same ticks give the same budget.
 */
export function lossBudget(
  plan: PipelinePlan,
  ticks: readonly CachedTick[],
  groundTruth: readonly GroundTruthFrame[],
  options: LossBudgetOptions,
): LossBudget[] {
  const pairs = pairTicks(groundTruth, ticks, options.maxStampDeltaMs ?? 50);
  const out: LossBudget[] = [];
  for (const pipeline of options.pipelines ?? budgetPipelines(plan)) {
    const only = pipeline === "fused" ? undefined : pipeline;
    const kinds = new Set<SensorKind>(only ? [only] : DETECTING_KINDS.map((k) => k as SensorKind));
    const det = detectionStages(pairs, ticks, kinds);
    const tr = trackStages(plan, pairs, ticks, only, pipeline === "fused" ? options.head : undefined);
    // The classes `eval` would score: those with ground truth in range at the tick times.
    const classes = evaluateBoxes(
      tr.scene.samples.flatMap((s) => s.gt),
      [],
      sampleFrames(tr.scene.samples),
    ).classes;
    const staged: [LossStage, StageBoxes | undefined][] = [
      ["detections@capture", det.capture],
      ["detections@tick", det.atTick],
      ["tracks", tr.tracks],
      ["confirmed", tr.confirmed],
      ["head", tr.head],
      ["scene", tr.scene],
    ];
    out.push({
      recording: options.recording,
      condition: options.condition,
      pipeline,
      classes,
      stages: staged.flatMap(([stage, boxes]) => (boxes ? [score(stage, boxes, classes)] : [])),
    });
  }
  return out;
}
