import type { Nanos, SensorEvidence } from "../types";
import type { SensorMeasurementRecord, TrackStatus } from "../types/tracked";
import type { PositionHypothesis } from "./associate";
import type { ClassVector } from "./classBelief";
import type { KalmanState } from "./kalman";
import type { TrackerConfig } from "./trackerConfig";

/** Height variance reported when no sensor measured the height (m², i.e. σ = 10 m). */
export const UNKNOWN_HEIGHT_VARIANCE = 100;

/** The tracker's private state of one track; `FusedTrack` is its public view (reportTrack.ts). */
export type Track = {
  id: number;
  state: KalmanState;
  /** Time the state refers to (ns). */
  t: Nanos;
  z: number;
  zVar: number;
  hasZ: boolean;
  existence: number;
  hits: number;
  status: TrackStatus;
  firstSeen: Nanos;
  lastUpdated: Nanos;
  classes: ClassVector;
  size?: { x: number; y: number; z: number };
  yawRad?: number;
  lastBySensor: Map<string, SensorMeasurementRecord>;
  recent: SensorMeasurementRecord[];
};

/** The frame's quality as the filter uses it: clamped to 0..1, and 0 when it is not a number. */
export function clampedQuality(ev: Pick<SensorEvidence, "quality">): number {
  return Number.isFinite(ev.quality) ? Math.min(1, Math.max(0, ev.quality)) : 0;
}

/** How much a detection from a frame of this quality counts, 0..1 (quality^detectionQualityExponent). */
export function detectionWeight(quality: number, cfg: Pick<TrackerConfig, "detectionQualityExponent">): number {
  return cfg.detectionQualityExponent === 1 ? quality : quality ** cfg.detectionQualityExponent;
}

/** An existence probability kept off 0 (the odds recursion would stick there) and below the configured cap. */
export function clampExistence(p: number, cfg: Pick<TrackerConfig, "maxExistence">): number {
  return Math.min(cfg.maxExistence, Math.max(1e-9, p));
}

/** Comparator by `sensorId`, so that diagnostics and provenance come out in a fixed order. */
export function bySensorId(a: { sensorId: string }, b: { sensorId: string }): number {
  return a.sensorId < b.sensorId ? -1 : a.sensorId > b.sensorId ? 1 : 0;
}

/** What the association sees of a track: position, velocity, their covariances and the class belief. */
export function hypothesisOf(track: Track): PositionHypothesis {
  const P = track.state.P;
  return {
    x: track.state.x[0]!,
    y: track.state.x[1]!,
    P: [P[0]!, P[1]!, P[4]!, P[5]!],
    classes: track.classes,
    velocity: { vx: track.state.x[2]!, vy: track.state.x[3]!, P: [P[10]!, P[11]!, P[14]!, P[15]!] },
  };
}

export function wrapAngle(a: number): number {
  return a - 2 * Math.PI * Math.floor((a + Math.PI) / (2 * Math.PI));
}
