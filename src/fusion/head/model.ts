import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { loadModel, modelFileError, modelsDirOf, type ModelFiles } from "../../runtime/modelFiles";
import type { Nanos, ObjectClass } from "../../types";
import type { CandidateRefinement, FusionCandidate, FusionHead } from "../fusionHead";
import { candidateFeatures, logit, HEAD_MODALITIES, SLOT_FEATURES, SLOT_SIZE, TRACK_FEATURES, TRACK_SIZE } from "./features";

/*
 * The learned late-fusion head: a small MLP with a per-modality encoder shared by the camera,
 * LiDAR and radar blocks (one Dense layer applied to each block, so a sensor's evidence means the
 * same to the head whichever slot it is in; the block's modality one-hot lets it differ where it
 * must), the three encodings concatenated with the track-level features, two hidden layers, and
 * one linear output row per candidate:
 *   [0]     logit of q = P(real | this tick's evidence) → existence update (below)
 *   [1..6]  class logits (OUT_CLASSES) → softmax (what the object is, given that it exists)
 *   [7..8]  position offset x, y (m) from the track's position at the tick
 */

/*
 * Existence: the head does not replace the track's existence with q. It turns q into this tick's
 * likelihood ratio against the training base rate π and applies it to the prior, like the
 * tracker's own update: logit(existence) = logit(prior) + logit(q) − logit(π). Evidence that
 * looks like the typical real object raises existence tick by tick; evidence that looks like
 * clutter lowers it until the track is deleted.
 */

/** Classes of the class output: real objects only (a negative is "does not exist", not a class). */
export const OUT_CLASSES = [
  "car",
  "truck",
  "pedestrian",
  "cyclist",
  "motorcycle",
  "emergency_vehicle",
] as const satisfies readonly ObjectClass[];
export const OUTPUT_SIZE = 1 + OUT_CLASSES.length + 2;
export const FUSION_MODEL_VERSION = "fusion-head-mlp-2";

export type FusionModelShape = { slotUnits: number; hidden: number[] };
export const DEFAULT_SHAPE: FusionModelShape = { slotUnits: 16, hidden: [48, 32] };

/** Builds the (untrained) network; weights are initialised from `seed`. */
export function buildFusionModel(seed: number, shape: FusionModelShape = DEFAULT_SHAPE): tf.LayersModel {
  let s = seed >>> 0;
  const init = () => tf.initializers.glorotUniform({ seed: (s = (s * 1_103_515_245 + 12_345) >>> 0) });
  const slots = tf.input({ shape: [HEAD_MODALITIES.length, SLOT_SIZE], name: "slots" });
  const track = tf.input({ shape: [TRACK_SIZE], name: "track" });
  const encoded = tf.layers
    .dense({ units: shape.slotUnits, activation: "relu", kernelInitializer: init(), name: "slot_encoder" })
    .apply(slots) as tf.SymbolicTensor;
  const flat = tf.layers.flatten({ name: "slots_flat" }).apply(encoded) as tf.SymbolicTensor;
  let h = tf.layers.concatenate({ name: "joined" }).apply([flat, track]) as tf.SymbolicTensor;
  shape.hidden.forEach((units, i) => {
    h = tf.layers.dense({ units, activation: "relu", kernelInitializer: init(), name: `hidden_${i}` }).apply(h) as tf.SymbolicTensor;
  });
  const out = tf.layers.dense({ units: OUTPUT_SIZE, kernelInitializer: init(), name: "out" }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: [slots, track], outputs: out, name: "fusion_head" });
}

const metadataSchema = z.object({
  kind: z.literal("fusion"),
  modelVersion: z.string(),
  input: z.object({
    modalities: z.array(z.string()),
    slotFeatures: z.array(z.string()),
    trackFeatures: z.array(z.string()),
  }),
  output: z.object({
    classes: z.array(z.string()),
    /** Whether `refine` returns class probabilities (only if they beat the tracker's on validation). */
    refineClass: z.boolean(),
    /** Whether `refine` returns a position, and the error variance it is given (m²). */
    refinePosition: z.boolean(),
    positionVarianceM2: z.number().positive(),
    /** π: the fraction of real candidates in training (the prior q is measured against). */
    baseRate: z.number().gt(0).lt(1),
    /**
     * Weights of the existence recursion (chosen on the validation drives, with the head in the
     * loop): logit(e) = logit(prior) + trackerWeight·(tracker's own log-odds change this tick)
     * + headWeight·(logit q − logit π). Default 0 and 1: the head's evidence alone.
     */
    trackerWeight: z.number().min(0).max(2).default(0),
    headWeight: z.number().min(0).max(2).default(1),
  }),
});
export type FusionHeadMetadata = z.input<typeof metadataSchema> & Record<string, unknown>;

export function checkMetadata(value: unknown, where: string): FusionHeadMetadata {
  const r = metadataSchema.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw modelFileError(`fusion head ${where}`, `metadata.${i.path.join(".")}: ${i.message}`);
  }
  const m = r.data;
  const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
  if (
    !same(m.input.modalities, HEAD_MODALITIES) ||
    !same(m.input.slotFeatures, SLOT_FEATURES) ||
    !same(m.input.trackFeatures, TRACK_FEATURES)
  ) {
    throw modelFileError(
      `fusion head ${where}`,
      `metadata.input does not match this build's feature vector (${SLOT_SIZE} per modality, ${TRACK_SIZE} per track); retrain with avfusion train --fusion`,
    );
  }
  if (!same(m.output.classes, OUT_CLASSES))
    throw modelFileError(`fusion head ${where}`, `metadata.output.classes: expected ${OUT_CLASSES.join(",")}`);
  return value as FusionHeadMetadata;
}

export type LearnedHeadOptions = {
  /** Override the metadata's choice of refining class / position. */
  refineClass?: boolean;
  refinePosition?: boolean;
  /** Override the metadata's existence recursion weights. */
  trackerWeight?: number;
  headWeight?: number;
};

export type LearnedFusionHead = FusionHead & {
  readonly metadata: FusionHeadMetadata;
  /** Raw outputs for a batch of candidates (existence, class probabilities, offset), for evaluation. */
  predict(candidates: readonly FusionCandidate[]): HeadPrediction[];
  dispose(): void;
};

/** `existence` is q, this tick's probability that the candidate is real (before the recursion). */
export type HeadPrediction = { existence: number; classes: number[]; offset: { x: number; y: number } };

/** Stacks candidates' features into the two input tensors' flat data. */
export function featureBatch(candidates: readonly FusionCandidate[]): { slots: Float32Array; track: Float32Array } {
  const n = candidates.length;
  const slots = new Float32Array(n * HEAD_MODALITIES.length * SLOT_SIZE);
  const track = new Float32Array(n * TRACK_SIZE);
  candidates.forEach((c, i) => {
    const f = candidateFeatures(c);
    slots.set(f.slots, i * f.slots.length);
    track.set(f.track, i * TRACK_SIZE);
  });
  return { slots, track };
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** Runs the network on raw feature arrays (n rows); returns the n × OUTPUT_SIZE outputs. */
export function runModel(model: tf.LayersModel, slots: Float32Array, track: Float32Array, n: number): Float32Array {
  if (n === 0) return new Float32Array(0);
  return tf.tidy(() => {
    const out = model.predict([
      tf.tensor3d(slots, [n, HEAD_MODALITIES.length, SLOT_SIZE]),
      tf.tensor2d(track, [n, TRACK_SIZE]),
    ]) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
}

/** Decodes one output row. */
export function decodeRow(out: Float32Array, i: number): HeadPrediction {
  const o = i * OUTPUT_SIZE;
  const logits = Array.from(out.subarray(o + 1, o + 1 + OUT_CLASSES.length));
  const max = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return {
    existence: sigmoid(out[o]!),
    classes: e.map((v) => v / sum),
    offset: { x: out[o + 1 + OUT_CLASSES.length]!, y: out[o + 2 + OUT_CLASSES.length]! },
  };
}

/** Wraps a trained model as a FusionHead (synchronous: one `dataSync` per tick). */
export function createLearnedFusionHead(
  model: tf.LayersModel,
  metadata: FusionHeadMetadata,
  options: LearnedHeadOptions = {},
): LearnedFusionHead {
  const refineClass = options.refineClass ?? metadata.output.refineClass;
  const refinePosition = options.refinePosition ?? metadata.output.refinePosition;
  const variance = metadata.output.positionVarianceM2;
  const baseLogit = logit(metadata.output.baseRate);
  const trackerWeight = options.trackerWeight ?? metadata.output.trackerWeight ?? 0;
  const headWeight = options.headWeight ?? metadata.output.headWeight ?? 1;
  const predict = (candidates: readonly FusionCandidate[]): HeadPrediction[] => {
    const { slots, track } = featureBatch(candidates);
    const out = runModel(model, slots, track, candidates.length);
    return candidates.map((_, i) => decodeRow(out, i));
  };
  return {
    metadata,
    predict,
    refine(_stamp: Nanos, candidates: readonly FusionCandidate[]): CandidateRefinement[] {
      return predict(candidates).map((p, i) => {
        const r: CandidateRefinement = {};
        const c = candidates[i]!;
        const prior = logit(c.priorExistence);
        const e = sigmoid(prior + trackerWeight * (logit(c.modelExistence) - prior) + headWeight * (logit(p.existence) - baseLogit));
        if (Number.isFinite(e)) r.existence = e;
        if (refineClass && p.classes.every(Number.isFinite)) {
          const classes: Partial<Record<ObjectClass, number>> = {};
          OUT_CLASSES.forEach((c, k) => (classes[c] = p.classes[k]!));
          r.classProbabilities = classes;
        }
        if (refinePosition && Number.isFinite(p.offset.x) && Number.isFinite(p.offset.y)) {
          const c = candidates[i]!;
          r.position = { x: c.tickPosition.x + p.offset.x, y: c.tickPosition.y + p.offset.y, varianceM2: variance };
        }
        return r;
      });
    },
    dispose: () => model.dispose(),
  };
}

/** The shipped head from `<modelsDir>/fusion/` (model.json, weights.bin, metadata.json). */
export async function loadFusionHead(files: ModelFiles, modelsDir?: string, options: LearnedHeadOptions = {}): Promise<LearnedFusionHead> {
  const dir = `${modelsDirOf(files, modelsDir).replace(/\/+$/, "")}/fusion`;
  const { model, metadata } = await loadModel(files, dir);
  try {
    return createLearnedFusionHead(model, checkMetadata(metadata, dir), options);
  } catch (err) {
    model.dispose();
    throw err;
  }
}
