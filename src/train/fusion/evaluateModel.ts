import type * as tf from "@tensorflow/tfjs";
import { HEAD_MODALITIES, SLOT_SIZE, TRACK_SIZE } from "../../fusion/head/features";
import { decodeRow, OUTPUT_SIZE, runModel } from "../../fusion/head/model";
import type { Examples } from "./dataset";
import { classAccuracy, existenceMetrics, positionRms, type ExistenceMetrics } from "./metrics";

export type HeadEvaluation = {
  existence: ExistenceMetrics;
  trackerExistence: ExistenceMetrics;
  classAccuracy: number;
  trackerClassAccuracy: number;
  positionRmsM: number;
  trackerPositionRmsM: number;
};

/** Candidate-level comparison of the model's outputs with the tracker's own on labelled examples. */
export function evaluateModel(
  model: tf.LayersModel,
  ex: Examples,
  mask?: ArrayLike<number>,
): HeadEvaluation & { offsets: Float32Array; scores: Float32Array } {
  const out = new Float32Array(ex.count * OUTPUT_SIZE);
  const chunk = 4096;
  for (let o = 0; o < ex.count; o += chunk) {
    const n = Math.min(chunk, ex.count - o);
    const S = HEAD_MODALITIES.length * SLOT_SIZE;
    out.set(
      runModel(model, ex.slots.subarray(o * S, (o + n) * S), ex.track.subarray(o * TRACK_SIZE, (o + n) * TRACK_SIZE), n),
      o * OUTPUT_SIZE,
    );
  }
  const scores = new Float32Array(ex.count);
  const cls = new Int32Array(ex.count);
  const offsets = new Float32Array(2 * ex.count);
  for (let i = 0; i < ex.count; i++) {
    const p = decodeRow(out, i);
    scores[i] = p.existence;
    cls[i] = p.classes.indexOf(Math.max(...p.classes));
    offsets[2 * i] = p.offset.x;
    offsets[2 * i + 1] = p.offset.y;
  }
  return {
    existence: existenceMetrics(scores, ex.exist, mask),
    trackerExistence: existenceMetrics(ex.modelExistence, ex.exist, mask),
    classAccuracy: classAccuracy(cls, ex, mask),
    trackerClassAccuracy: classAccuracy(ex.trackerCls, ex, mask),
    positionRmsM: positionRms(offsets, ex, mask),
    trackerPositionRmsM: positionRms(null, ex, mask),
    offsets,
    scores,
  };
}

/** The evaluation without the per-candidate arrays (for the metadata). */
export function withoutArrays(e: HeadEvaluation & { offsets: Float32Array; scores: Float32Array }): HeadEvaluation {
  const { offsets: _o, scores: _s, ...rest } = e;
  return rest;
}

/** Figures as the metadata keeps them: three decimals. */
export const r3 = (v: number): number => Math.round(v * 1000) / 1000;
export const roundAll = <T extends object>(o: T): T =>
  JSON.parse(JSON.stringify(o, (_k, v: unknown) => (typeof v === "number" ? r3(v) : v))) as T;
