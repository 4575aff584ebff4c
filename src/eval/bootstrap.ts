/*
 * Bootstrap intervals for the suite's mean metrics, so that "fused ≥ LiDAR" is a statement with a
 * margin. Two stages, as the data has two levels of variation:
 * - within a drive, frames are resampled in blocks of consecutive frames (a second at 10 Hz:
 *   neighbouring frames see the same objects, so single frames are not independent draws), and the
 *   drive's metric is recomputed on each resample (`frameReplicates`);
 * - across drives, the drives of a condition are resampled with replacement and one of each
 *   drawn drive's frame replicates is taken (`twoStageInterval`).
 * Paired differences (fused − LiDAR on the same drives and the same frame draws) come from
 * replicates drawn with the same seed. Everything is seeded: a report is reproducible.
 */

import { seededRandom } from "../fusion/syntheticEvidence";
import type { GroundTruthFrame, SceneState } from "../types";
import { evaluateBoxes, sceneBoxes, type SceneDetectionMetrics, type SceneEvalOptions } from "./evaluateScenes";

/** Frame-block resamples per run: enough for a 95 % interval of a mean over several drives. */
export const FRAME_RESAMPLES = 100;
/** Frames per block: a second at the suite's 10 Hz. */
export const BLOCK_FRAMES = 10;

/** A 32-bit seed from a label (FNV-1a), so each drive × pipeline has its own reproducible draw. */
export function seedOf(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Frame-block resamples of one drive: `resamples` lists of frame indices (0..frames-1), each
 * drawn as whole blocks of `blockFrames` consecutive frames, with replacement, until it has as
 * many frames as the drive. The same `seed` gives the same draws, so pipelines scored on the same
 * draws are paired.
 */
export function frameBlockDraws(frames: number, blockFrames: number, resamples: number, seed: number): number[][] {
  if (frames <= 0) return [];
  const block = Math.max(1, Math.min(blockFrames, frames));
  const starts = frames - block + 1;
  const rand = seededRandom(seed);
  const out: number[][] = [];
  for (let r = 0; r < resamples; r++) {
    const draw: number[] = [];
    while (draw.length < frames) {
      const s = Math.floor(rand() * starts);
      for (let i = s; i < s + block && draw.length < frames; i++) draw.push(i);
    }
    out.push(draw);
  }
  return out;
}

/** The `level` percentile interval of `values` (linear interpolation between order statistics). */
export function percentileInterval(values: readonly number[], level = 0.95): { low: number; high: number } {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return { low: NaN, high: NaN };
  const at = (p: number): number => {
    const x = p * (v.length - 1);
    const i = Math.floor(x);
    const f = x - i;
    return i + 1 < v.length ? v[i]! * (1 - f) + v[i + 1]! * f : v[i]!;
  };
  const tail = (1 - level) / 2;
  return { low: at(tail), high: at(1 - tail) };
}

/**
 * The two-stage bootstrap interval of the mean over drives: each resample draws as many drives as
 * there are, with replacement, and one frame replicate of each drawn drive (a drive without
 * replicates contributes its point value; replicates are centred on their drive's point value). `replicates[d]` and `points[d]` belong to drive d.
 */
export function twoStageInterval(
  points: readonly number[],
  replicates: readonly (readonly number[])[],
  options: { resamples?: number; level?: number; seed?: number } = {},
): { low: number; high: number } {
  const n = points.length;
  if (n === 0) return { low: NaN, high: NaN };
  const rand = seededRandom(options.seed ?? 1);
  // AP on a resample that repeats frames is biased (upwards, mostly): each drive's replicates are
  // centred on its point value, so they carry the spread of the frames and not that bias.
  const shift = replicates.map((reps, d) => (reps.length ? points[d]! - reps.reduce((a, b) => a + b, 0) / reps.length : 0));
  const means: number[] = [];
  for (let b = 0; b < (options.resamples ?? 2000); b++) {
    let sum = 0;
    for (let k = 0; k < n; k++) {
      const d = Math.floor(rand() * n);
      const reps = replicates[d] ?? [];
      sum += reps.length ? reps[Math.floor(rand() * reps.length)]! + shift[d]! : points[d]!;
    }
    means.push(sum / n);
  }
  return percentileInterval(means, options.level ?? 0.95);
}

/** Boxes whose `sample` names a frame. */
type Sampled = { sample: string };

/**
 * The boxes of the frames a draw picked, in its order: a frame drawn twice appears twice, under
 * distinct sample names (`name#k`), so the evaluation sees it as two frames.
 */
export function drawBoxes<B extends Sampled>(
  byFrame: ReadonlyMap<string, readonly B[]>,
  frames: readonly string[],
  draw: readonly number[],
): B[] {
  const out: B[] = [];
  draw.forEach((f, k) => {
    const name = frames[f]!;
    for (const b of byFrame.get(name) ?? []) out.push({ ...b, sample: `${name}#${k}` });
  });
  return out;
}

/** Boxes grouped by their frame (sample name). */
export function byFrame<B extends Sampled>(boxes: readonly B[]): Map<string, B[]> {
  const out = new Map<string, B[]>();
  for (const b of boxes) {
    const list = out.get(b.sample);
    if (list) list.push(b);
    else out.set(b.sample, [b]);
  }
  return out;
}

/** The frames named in any of `groups`, in time order when the names are nanosecond stamps. */
export function frameNames(...groups: readonly ReadonlyMap<string, unknown>[]): string[] {
  const names = new Set<string>();
  for (const g of groups) for (const k of g.keys()) names.add(k);
  return inTimeOrder(names);
}

/** Frame names in time order when they are nanosecond stamps, else in string order. */
function inTimeOrder(names: ReadonlySet<string>): string[] {
  const numeric = [...names].every((n) => /^\d+$/.test(n));
  return [...names].sort(numeric ? (a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0) : undefined);
}

/**
 * One drive's metric on each frame-block draw: `score(gt, pred)` is called on the boxes of the
 * drawn frames. Pipelines scored with the same seed and the same `frames` (every frame of the
 * drive, boxes or not; default the frames that have boxes) are scored on the same draws: paired.
 */
export function frameReplicates<B extends Sampled>(
  gt: readonly B[],
  pred: readonly B[],
  score: (gt: B[], pred: B[]) => number,
  options: { seed: number; resamples: number; blockFrames: number; frames?: readonly string[] },
): number[] {
  const g = byFrame(gt);
  const p = byFrame(pred);
  const frames = options.frames ?? frameNames(g, p);
  return frameBlockDraws(frames.length, options.blockFrames, options.resamples, options.seed).map((draw) =>
    score(drawBoxes(g, frames, draw), drawBoxes(p, frames, draw)),
  );
}

/**
 * One run scored as `evaluateScenes` scores it, and its mAP on `FRAME_RESAMPLES` frame-block draws
 * of its ground-truth frames (the boxes are paired once for both), with the class set of the whole
 * run (a class that a draw happens to miss still counts), rounded to 1e-4.
 */
export function scoreWithReplicates(
  groundTruth: readonly GroundTruthFrame[],
  scenes: readonly SceneState[],
  seed: number,
  options: SceneEvalOptions = {},
): { metrics: SceneDetectionMetrics; replicates: number[] } {
  const { gt, pred, frames } = sceneBoxes(groundTruth, scenes, options);
  const metrics = evaluateBoxes(gt, pred, frames, options);
  const classes = metrics.classes;
  if (classes.length === 0) return { metrics, replicates: [] };
  const replicates = frameReplicates(gt, pred, (g, p) => Math.round(evaluateBoxes(g, p, frames, { ...options, classes }).mAP * 1e4) / 1e4, {
    seed,
    resamples: FRAME_RESAMPLES,
    blockFrames: BLOCK_FRAMES,
    frames: inTimeOrder(new Set(groundTruth.map((f) => String(f.stamp)))),
  });
  return { metrics, replicates };
}
