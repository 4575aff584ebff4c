import { nsToSec, type Nanos } from "../types";
import type { FusionDiagnostics } from "../types/tracked";
import { applyMeasurement } from "./applyMeasurement";
import { ignorance } from "./classBelief";
import { predict, type EgoStep } from "./kalman";
import type { Measurement } from "./toMeasurement";
import { UNKNOWN_HEIGHT_VARIANCE, type Track } from "./track";
import type { TrackerConfig } from "./trackerConfig";

/** A track's life: born from a cluster of left-over detections, predicted, confirmed, deleted. */

/**
 * A new tentative track from a cluster of detections no track claimed: the first member gives the
 * position (and its covariance), the velocity starts at 0 with a wide prior, then every member is
 * applied as a measurement. The track's time is the latest member's stamp.
 */
export function birthTrack(id: number, members: readonly Measurement[], ego: EgoStep | undefined, cfg: TrackerConfig): Track {
  const first = members[0]!;
  const sv2 = cfg.initialVelocityStdMps ** 2;
  const P = new Float64Array(16);
  P[0] = first.R[0]!;
  P[1] = first.R[1]!;
  P[4] = first.R[2]!;
  P[5] = first.R[3]!;
  P[10] = sv2;
  P[15] = sv2;
  const t = members.reduce((acc, m) => (m.stamp > acc ? m.stamp : acc), first.stamp);
  const track: Track = {
    id,
    state: { x: Float64Array.of(first.x, first.y, 0, 0), P },
    t,
    z: 0,
    zVar: UNKNOWN_HEIGHT_VARIANCE,
    hasZ: false,
    existence: cfg.initialExistence,
    hits: 0,
    status: "tentative",
    firstSeen: t,
    lastUpdated: t,
    classes: ignorance(),
    lastBySensor: new Map(),
    recent: [],
  };
  members.forEach((m, i) => applyMeasurement(track, m, ego, cfg, i === 0));
  return track;
}

/** Predicts the track to `t`; a stamp a few ms behind the track's time (skew) leaves it, the measurement counts as if at track time. */
export function predictTo(track: Track, t: Nanos, ego: EgoStep | undefined, cfg: TrackerConfig): void {
  if (t <= track.t) return;
  const dt = nsToSec(t - track.t);
  predict(track.state, dt, cfg.accelerationNoise, ego);
  track.zVar += cfg.heightNoise * dt;
  track.t = t;
}

/** Tentative tracks that are likely enough and were hit often enough become confirmed. */
export function confirmTracks(tracks: readonly Track[], cfg: TrackerConfig): void {
  for (const track of tracks) {
    if (track.status === "tentative" && track.existence >= cfg.confirmExistence && track.hits >= cfg.minHitsToConfirm) {
      track.status = "confirmed";
    }
  }
}

/** The tracks that live on: unlikely, long-unseen, too uncertain or too far tracks are deleted (and counted). */
export function pruneTracks(tracks: readonly Track[], stamp: Nanos, cfg: TrackerConfig, diag: FusionDiagnostics): Track[] {
  const kept: Track[] = [];
  for (const track of tracks) {
    const P = track.state.P;
    const x = track.state.x;
    const dead =
      track.existence < cfg.deleteExistence ||
      nsToSec(stamp - track.lastUpdated) > cfg.maxCoastSec ||
      Math.sqrt(P[0]!) > cfg.maxPositionStdM ||
      Math.sqrt(P[5]!) > cfg.maxPositionStdM ||
      Math.hypot(x[0]!, x[1]!) > cfg.maxRangeM;
    if (dead) diag.deleted++;
    else kept.push(track);
  }
  return kept;
}
