import type { ObjectClass, SensorKind } from "../../types";
import type { CandidateSensor, FusionCandidate } from "../fusionHead";

/*
 * The fusion head's input: per candidate (a live track after this tick's association), one
 * fixed-size feature block per object-sensor modality (camera, LiDAR, radar; audio carries no
 * positions) and a block of track-level features. Several sensors of one kind are reduced to the
 * most informative one (detected with the highest score, else missed, else out of view). A
 * modality with no evidence this tick is all zeros ("absent"), which is also what modality
 * dropout in training produces.
 */

export const HEAD_MODALITIES = ["camera", "lidar", "radar"] as const satisfies readonly SensorKind[];
export type HeadModality = (typeof HEAD_MODALITIES)[number];

/** The classes the head reads and predicts (every object class but `unknown`, which is "no opinion"). */
export const HEAD_CLASSES = [
  "car",
  "truck",
  "pedestrian",
  "cyclist",
  "motorcycle",
  "emergency_vehicle",
  "static_clutter",
] as const satisfies readonly ObjectClass[];

/** Per-modality features, in order. */
export const SLOT_FEATURES = [
  "present",
  "detected",
  "missed",
  "out_of_view",
  "score",
  "quality",
  ...HEAD_CLASSES.map((c) => `p_${c}`),
  "p_no_opinion",
  "residual_m/5 (detection vs track, capped at 10 m)",
  "detection_range_m/100",
  "has_range_rate",
  "range_rate_mps/30",
  "ever_detected_track",
  "log1p(s since its last detection of the track)/3",
  "is_camera",
  "is_lidar",
  "is_radar",
] as const;
export const SLOT_SIZE = SLOT_FEATURES.length;

/**
 * Track-level features, in order. Deliberately nothing that carries the track's existence
 * history (prior or posterior existence): the head judges this tick's evidence, and the
 * existence recursion stays in the tracker's Bayesian form (see model.ts), so that a head in the
 * loop sees the same inputs it was trained on.
 */
export const TRACK_FEATURES = [
  "tracker_tick_log_odds/5 (logit(model_existence) - logit(prior_existence), capped at ±5)",
  "is_new",
  "log1p(hits)/3",
  "log1p(age_s)/3",
  "range_m/100",
  "|bearing|/pi",
  "speed_over_ground_mps/30",
  ...HEAD_CLASSES.map((c) => `track_p_${c}`),
  "sensors_detected/3",
] as const;
export const TRACK_SIZE = TRACK_FEATURES.length;

/** Features of one candidate: `slots` is HEAD_MODALITIES.length × SLOT_SIZE, `track` is TRACK_SIZE. */
export type CandidateFeatures = { slots: Float32Array; track: Float32Array };

const finite = (v: number, fallback = 0): number => (Number.isFinite(v) ? v : fallback);
const clamp01 = (v: number): number => Math.min(1, Math.max(0, finite(v)));

/** log(p / (1 − p)) with p kept inside [1e-6, 1 − 1e-6]; 0 for a non-finite p. */
export function logit(p: number): number {
  if (!Number.isFinite(p)) return 0;
  const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(q / (1 - q));
}

const OUTCOME_RANK: Record<CandidateSensor["outcome"], number> = { detected: 3, missed: 2, outOfView: 1 };

/** The sensor of `kind` that says the most about the candidate, or undefined when none has evidence. */
export function representative(sensors: readonly CandidateSensor[], kind: HeadModality): CandidateSensor | undefined {
  let best: CandidateSensor | undefined;
  for (const s of sensors) {
    if (s.kind !== kind) continue;
    if (best === undefined) {
      best = s;
      continue;
    }
    const a = OUTCOME_RANK[s.outcome];
    const b = OUTCOME_RANK[best.outcome];
    if (a > b || (a === b && (s.detection?.score ?? 0) > (best.detection?.score ?? 0))) best = s;
  }
  return best;
}

/** Writes one modality's block at `out[offset..]`; all zeros when `s` is undefined (absent). */
export function writeSlot(
  out: Float32Array,
  offset: number,
  kind: HeadModality,
  s: CandidateSensor | undefined,
  track: FusionCandidate,
): void {
  out.fill(0, offset, offset + SLOT_SIZE);
  if (s === undefined) return;
  out[offset] = 1;
  out[offset + 1] = s.outcome === "detected" ? 1 : 0;
  out[offset + 2] = s.outcome === "missed" ? 1 : 0;
  out[offset + 3] = s.outcome === "outOfView" ? 1 : 0;
  out[offset + 5] = clamp01(s.quality);
  const d = s.outcome === "detected" ? s.detection : undefined;
  if (d !== undefined) {
    out[offset + 4] = clamp01(d.score);
    let mass = 0;
    HEAD_CLASSES.forEach((c, i) => {
      const p = clamp01(d.classProbabilities[c] ?? 0);
      out[offset + 6 + i] = p;
      mass += p;
    });
    const k = 6 + HEAD_CLASSES.length;
    out[offset + k] = Math.max(0, 1 - mass);
    const residual = Math.hypot(finite(d.position.x) - finite(track.position.x), finite(d.position.y) - finite(track.position.y));
    out[offset + k + 1] = Math.min(10, finite(residual, 10)) / 5;
    out[offset + k + 2] = Math.min(3, Math.hypot(finite(d.position.x), finite(d.position.y)) / 100);
    if (d.rangeRateMps !== undefined && Number.isFinite(d.rangeRateMps)) {
      out[offset + k + 3] = 1;
      out[offset + k + 4] = Math.max(-3, Math.min(3, d.rangeRateMps / 30));
    }
  }
  const since = s.sinceDetectedSec;
  if (since !== undefined && Number.isFinite(since)) {
    out[offset + SLOT_SIZE - 5] = 1;
    out[offset + SLOT_SIZE - 4] = Math.log1p(Math.max(0, since)) / 3;
  }
  out[offset + SLOT_SIZE - 3 + HEAD_MODALITIES.indexOf(kind)] = 1;
}

/** The feature vector of one candidate (see SLOT_FEATURES / TRACK_FEATURES). */
export function candidateFeatures(c: FusionCandidate): CandidateFeatures {
  const slots = new Float32Array(HEAD_MODALITIES.length * SLOT_SIZE);
  let detected = 0;
  HEAD_MODALITIES.forEach((kind, i) => {
    const s = representative(c.sensors, kind);
    if (s?.outcome === "detected") detected++;
    writeSlot(slots, i * SLOT_SIZE, kind, s, c);
  });
  const track = new Float32Array(TRACK_SIZE);
  const p = c.tickPosition ?? c.position;
  track[0] = Math.max(-5, Math.min(5, logit(c.modelExistence) - logit(c.priorExistence))) / 5;
  track[1] = c.isNew ? 1 : 0;
  track[2] = Math.log1p(Math.max(0, finite(c.hits))) / 3;
  track[3] = Math.log1p(Math.max(0, finite(c.ageSec))) / 3;
  track[4] = Math.min(3, finite(Math.hypot(p.x, p.y), 300) / 100);
  track[5] = Math.abs(finite(Math.atan2(p.y, p.x))) / Math.PI;
  track[6] = Math.min(3, finite(Math.hypot(c.velocity.x, c.velocity.y)) / 30);
  HEAD_CLASSES.forEach((cls, i) => {
    track[7 + i] = clamp01(c.classProbabilities[cls] ?? 0);
  });
  track[7 + HEAD_CLASSES.length] = detected / 3;
  return { slots, track };
}
