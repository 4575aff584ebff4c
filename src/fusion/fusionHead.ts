import type { Nanos, ObjectClass, SensorKind, Vec3 } from "../types";

/**
 * The plug-in point for a learned late-fusion head (issue 6). After association and the Kalman
 * updates of a tick, the tracker describes every live track as a `FusionCandidate`: what each
 * sensor said about it this tick (detected it, could have but missed it, or could not see it),
 * with the sensor's quality. A head may return a refined existence probability and class
 * probabilities per candidate; `undefined` keeps the tracker's own (Bayesian) values.
 *
 * Synchronous on purpose: a tick is one synchronous step (use `dataSync()` in tfjs).
 */

export type CandidateSensor = {
  sensorId: string;
  kind: SensorKind;
  /** The sensor's frame quality this tick, 0..1. */
  quality: number;
  /**
   * `detected`: one of its detections was associated with the track this tick; `missed`: the track
   * is in its field of view but it reported nothing there; `outOfView`: it could not see the track.
   */
  outcome: "detected" | "missed" | "outOfView";
  /**
   * Seconds from this sensor's latest detection associated with the track (this tick's included)
   * to the tick stamp; absent when this sensor has never detected it.
   */
  sinceDetectedSec?: number;
  /** The associated detection, for `detected`. */
  detection?: {
    /** Ego frame (m); z is 0 when the sensor gave no height. */
    position: Vec3;
    score: number;
    /** As the sensor reported them (mass not given to a class = no opinion). */
    classProbabilities: Partial<Record<ObjectClass, number>>;
    rangeRateMps?: number;
  };
};

export type FusionCandidate = {
  trackId: number;
  /** Born this tick. */
  isNew: boolean;
  /** Existence before this tick's evidence (after survival), and after the tracker's own update. */
  priorExistence: number;
  modelExistence: number;
  /** Filter state at its latest measurement (ego frame, m and m/s over ground). */
  position: Vec3;
  velocity: Vec3;
  /** Time of `position` / `velocity` (the track's latest measurement), ns. */
  stamp: Nanos;
  /** The position extrapolated (not stored) to the tick stamp, in the tick's ego frame (what the tick reports). */
  tickPosition: Vec3;
  /** Ticks with at least one associated detection, this one included. */
  hits: number;
  /** Seconds from the track's first detection to the tick stamp (0 when born this tick). */
  ageSec: number;
  classProbabilities: Partial<Record<ObjectClass, number>>;
  /** One entry per sensor with evidence this tick (tracked kinds), sorted by sensor id. */
  sensors: CandidateSensor[];
};

export type CandidateRefinement = {
  /** Replaces the track's existence probability (0..1). */
  existence?: number;
  /** Replaces the track's class belief (probabilities 0..1; mass left over = no opinion). */
  classProbabilities?: Partial<Record<ObjectClass, number>>;
  /**
   * A refined position at the tick stamp (ego frame of the tick, m), with the variance (m²) of its
   * error per axis. The tracker applies it as a pseudo-measurement of x,y (Kalman update with
   * R = variance·I) of the offset `position − tickPosition` at the track's own time; it is skipped
   * when it is more than the gate away from the track (a chi-square test on the innovation).
   */
  position?: { x: number; y: number; varianceM2: number };
};

export type FusionHead = {
  /** One entry per candidate, same order; `undefined` = keep the tracker's values. */
  refine(stamp: Nanos, candidates: readonly FusionCandidate[]): readonly (CandidateRefinement | undefined)[];
};
