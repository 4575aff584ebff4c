import { nsToSec, OBJECT_CLASSES, type Nanos, type ObjectClass } from "../types";
import type { FusedTrack } from "../types/tracked";
import { pignistic, UNKNOWN_INDEX } from "./classBelief";
import { predict, type EgoStep, type KalmanState } from "./kalman";
import { bySensorId, UNKNOWN_HEIGHT_VARIANCE, type Track } from "./track";
import type { TrackerConfig } from "./trackerConfig";

/** The public view of a track, extrapolated (not stored) to the tick stamp. */
export function reportTrack(track: Track, stamp: Nanos, ego: EgoStep | undefined, cfg: TrackerConfig): FusedTrack {
  const state: KalmanState = { x: Float64Array.from(track.state.x), P: Float64Array.from(track.state.P) };
  let zVar = track.zVar;
  if (stamp !== track.t) {
    const dt = nsToSec(stamp - track.t);
    predict(state, dt, cfg.accelerationNoise, ego);
    zVar += cfg.heightNoise * Math.abs(dt);
  }
  const { x, P } = state;
  const probabilities = pignistic(track.classes);
  const probs: Partial<Record<ObjectClass, number>> = {};
  let best = -1;
  for (let i = 0; i < OBJECT_CLASSES.length; i++) {
    if (i === UNKNOWN_INDEX) continue;
    probs[OBJECT_CLASSES[i]!] = probabilities[i]!;
    if (best < 0 || probabilities[i]! > probabilities[best]!) best = i;
  }
  const out: FusedTrack = {
    id: track.id,
    status: track.status,
    existence: track.existence,
    position: { x: x[0]!, y: x[1]!, z: track.z },
    velocity: { x: x[2]!, y: x[3]!, z: 0 },
    positionCovariance: [P[0]!, P[1]!, 0, P[4]!, P[5]!, 0, 0, 0, track.hasZ ? zVar : UNKNOWN_HEIGHT_VARIANCE],
    velocityCovariance: [P[10]!, P[11]!, P[14]!, P[15]!],
    classification: probabilities[best]! >= cfg.minClassProbability ? OBJECT_CLASSES[best]! : "unknown",
    classProbabilities: probs,
    firstSeen: track.firstSeen,
    lastUpdated: track.lastUpdated,
    hits: track.hits,
    sensors: [...track.lastBySensor.values()].sort(bySensorId),
    measurements: track.recent.slice(),
  };
  if (track.size !== undefined) out.size = { ...track.size };
  if (track.yawRad !== undefined) out.yawRad = track.yawRad;
  return out;
}
