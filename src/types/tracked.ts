import type { Nanos } from "./time";
import type { ObjectClass, SensorKind, Vec3 } from "./sensors";

/**
 * What the tracker emits per tick. Units: m, m/s, rad, m² / (m/s)²; ego frame at the tick stamp;
 * velocities are over ground, expressed in ego axes.
 */

/** One sensor's measurement that updated a track (Apollo's `measurements[]`). */
export type SensorMeasurementRecord = {
  sensorId: string;
  kind: SensorKind;
  /** Sensor stamp of the measurement (ns). */
  stamp: Nanos;
  /** Index in that tick's `SensorEvidence.detections`. */
  detectionIndex: number;
  /** Measured position in the ego frame at `stamp` (m); z is NaN-free: 0 when the sensor gave none. */
  position: Vec3;
  /** Radar range rate (m/s) where the detection had one. */
  rangeRateMps?: number;
  score: number;
  /** The sensor's frame quality when it was measured, 0..1. */
  quality: number;
  /** Normalised innovation squared of the position update (χ², 2 dof); a consistency check. */
  nis: number;
};

export type TrackStatus = "tentative" | "confirmed";

export type FusedTrack = {
  /** Stable id, unique over the tracker's life, never reused. */
  id: number;
  status: TrackStatus;
  /** Probability that the object exists, 0..1 (documented model in docs/fusion.md). */
  existence: number;
  /** Box centre (m). */
  position: Vec3;
  /** Over-ground velocity (m/s); z is always 0 (planar model). */
  velocity: Vec3;
  /** 3×3 row-major position covariance (m²); x,y from the filter, z from the height filter. */
  positionCovariance: number[];
  /** 2×2 row-major x,y velocity covariance ((m/s)²). */
  velocityCovariance: number[];
  /** Length, width, height (m); absent until a sensor measured one. */
  size?: Vec3;
  yawRad?: number;
  /** Most probable class if its probability reaches `minClassProbability`, else `unknown`. */
  classification: ObjectClass;
  /** Fused class belief over the known classes (sums to 1). */
  classProbabilities: Partial<Record<ObjectClass, number>>;
  firstSeen: Nanos;
  /** Stamp of the last associated measurement (ns). */
  lastUpdated: Nanos;
  /** Ticks with at least one associated detection. */
  hits: number;
  /** Latest measurement of each sensor that ever saw the object, sorted by sensor id. */
  sensors: SensorMeasurementRecord[];
  /** Most recent measurements of any sensor, oldest first, bounded by `maxMeasurementsPerTrack`. */
  measurements: SensorMeasurementRecord[];
};

export type SensorFusionDiagnostics = {
  sensorId: string;
  kind: SensorKind;
  /** Valid detections received this tick. */
  detections: number;
  /** Of those, associated with an existing track. */
  associated: number;
  /** Of those, that started a new track (alone or in a cluster). */
  births: number;
  /** Detections rejected as malformed this tick. */
  rejected: number;
};

export type FusionDiagnostics = {
  /** Per sensor with evidence this tick, sorted by sensor id. */
  sensors: SensorFusionDiagnostics[];
  /** Malformed detections this tick (all sensors). */
  rejectedDetections: number;
  /** Malformed detections since the tracker started. */
  rejectedTotal: number;
  /** One line per rejected detection, bounded by `maxRejectionMessages`. */
  rejections: string[];
  /** Tracks created and deleted this tick. */
  created: number;
  deleted: number;
  /** With a fusion head: its refinements that were malformed and ignored this tick. */
  headInvalid?: number;
};

/** The tracker's output for one tick. */
export type TrackedObjects = {
  stamp: Nanos;
  tick: number;
  /** All live tracks, tentative ones included, sorted by id. */
  tracks: FusedTrack[];
  diagnostics: FusionDiagnostics;
};
