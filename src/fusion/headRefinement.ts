import { nsToSec, OBJECT_CLASSES, type Nanos, type ObjectClass, type SensorKind } from "../types";
import type { FusionDiagnostics } from "../types/tracked";
import { classVectorOf, pignistic, UNKNOWN_INDEX } from "./classBelief";
import type { CandidateRefinement, CandidateSensor, FusionCandidate, FusionHead } from "./fusionHead";
import { H_POSITION, predict, update, type EgoStep, type KalmanState } from "./kalman";
import type { Measurement } from "./toMeasurement";
import { bySensorId, clampExistence, type Track } from "./track";
import type { TrackerConfig } from "./trackerConfig";

/*
 * The learned fusion head in the tracker's loop (fusionHead.ts): each track goes out as a
 * candidate with what every sensor said about it this tick, and what the head refines (existence,
 * class, position) comes back into the track. The head is not trusted: a malformed refinement is
 * ignored and counted.
 */

/** One track as the head sees it at the tick. */
export function candidateOf(
  track: Track,
  isNew: boolean,
  prior: number,
  sensors: CandidateSensor[],
  tick: Nanos,
  ego: EgoStep | undefined,
  cfg: TrackerConfig,
): FusionCandidate {
  const probabilities = pignistic(track.classes);
  const classProbabilities: Partial<Record<ObjectClass, number>> = {};
  for (let i = 0; i < OBJECT_CLASSES.length; i++) if (i !== UNKNOWN_INDEX) classProbabilities[OBJECT_CLASSES[i]!] = probabilities[i]!;
  const x = track.state.x;
  const atTick = positionAt(track, tick, ego, cfg);
  return {
    trackId: track.id,
    isNew,
    priorExistence: prior,
    modelExistence: track.existence,
    position: { x: x[0]!, y: x[1]!, z: track.z },
    velocity: { x: x[2]!, y: x[3]!, z: 0 },
    stamp: track.t,
    tickPosition: { x: atTick.x, y: atTick.y, z: track.z },
    hits: track.hits,
    ageSec: Math.max(0, nsToSec(tick - track.firstSeen)),
    classProbabilities,
    sensors: sensors.sort(bySensorId),
  };
}

/** What one sensor said about a candidate this tick (its detection, when it had one). */
export function candidateSensor(
  sensorId: string,
  kind: SensorKind,
  quality: number,
  outcome: CandidateSensor["outcome"],
  m: Measurement | undefined,
): CandidateSensor {
  const c: CandidateSensor = { sensorId, kind, quality, outcome };
  if (m !== undefined) {
    const classProbabilities: Partial<Record<ObjectClass, number>> = {};
    for (let i = 0; i < OBJECT_CLASSES.length; i++) {
      if (i !== UNKNOWN_INDEX && m.classes[i]! > 0) classProbabilities[OBJECT_CLASSES[i]!] = m.classes[i]!;
    }
    c.detection = { position: { x: m.x, y: m.y, z: m.z ?? 0 }, score: m.score, classProbabilities };
    if (m.rangeRate !== undefined) c.detection.rangeRateMps = m.rangeRate.rate;
  }
  return c;
}

/** The track's x,y extrapolated (on a copy) to `t`, in the ego frame at `t`. */
function positionAt(track: Track, t: Nanos, ego: EgoStep | undefined, cfg: TrackerConfig): { x: number; y: number } {
  if (t === track.t) return { x: track.state.x[0]!, y: track.state.x[1]! };
  const state: KalmanState = { x: Float64Array.from(track.state.x), P: Float64Array.from(track.state.P) };
  predict(state, nsToSec(t - track.t), cfg.accelerationNoise, ego);
  return { x: state.x[0]!, y: state.x[1]! };
}

/** Applies the head's refinements to `tracks` (candidates in the same order); a malformed one is ignored and counted. */
export function applyHead(
  head: FusionHead,
  stamp: Nanos,
  tracks: readonly Track[],
  candidates: FusionCandidate[],
  diag: FusionDiagnostics,
  cfg: TrackerConfig,
  gate: number,
): void {
  const refinements = head.refine(stamp, candidates);
  let invalid = 0;
  if (refinements.length !== candidates.length) {
    diag.headInvalid = candidates.length;
    return;
  }
  for (let i = 0; i < tracks.length; i++) {
    const r = refinements[i];
    if (r === undefined) continue;
    const track = tracks[i]!;
    if (r.existence !== undefined) {
      if (Number.isFinite(r.existence) && r.existence >= 0 && r.existence <= 1) {
        track.existence = clampExistence(r.existence, cfg);
      } else {
        invalid++;
      }
    }
    if (r.classProbabilities !== undefined) {
      const values = Object.values(r.classProbabilities);
      if (values.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)) track.classes = classVectorOf(r.classProbabilities);
      else invalid++;
    }
    if (r.position !== undefined && !applyPosition(track, candidates[i]!, r.position, gate)) invalid++;
  }
  diag.headInvalid = invalid;
}

/**
 * A head's refined position as a pseudo-measurement: the offset from the track's position at the
 * tick is applied at the track's own time with R = variance·I. Returns false when malformed;
 * an offset outside the association gate is skipped (not counted as malformed).
 */
function applyPosition(track: Track, candidate: FusionCandidate, p: NonNullable<CandidateRefinement["position"]>, gate: number): boolean {
  if (p === null || typeof p !== "object") return false;
  const { x, y, varianceM2 } = p;
  if (
    !Number.isFinite(x) ||
    !Number.isFinite(y) ||
    !Number.isFinite(varianceM2) ||
    Math.abs(x) > 1e5 ||
    Math.abs(y) > 1e5 ||
    !(varianceM2 >= 1e-6 && varianceM2 <= 1e6)
  ) {
    return false;
  }
  const zx = track.state.x[0]! + (x - candidate.tickPosition.x);
  const zy = track.state.x[1]! + (y - candidate.tickPosition.y);
  const P = track.state.P;
  const s00 = P[0]! + varianceM2;
  const s01 = P[1]!;
  const s11 = P[5]! + varianceM2;
  const det = s00 * s11 - s01 * s01;
  const dx = zx - track.state.x[0]!;
  const dy = zy - track.state.x[1]!;
  const d2 = (s11 * dx * dx - 2 * s01 * dx * dy + s00 * dy * dy) / det;
  if (!(det > 0) || !(d2 <= gate)) return true;
  update(track.state, H_POSITION, [zx, zy], [varianceM2, 0, 0, varianceM2]);
  return true;
}
