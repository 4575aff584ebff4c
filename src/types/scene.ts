import type { Nanos } from "./time";
import type { ObjectClass, SensorKind, Vec3 } from "./sensors";

/**
 * The scene stage's output (proto/avfusion/scene.proto `avfusion.SceneState`), in the ego frame
 * (x forward, y left, z up; m, m/s, rad) at `stamp`. `null` marks a value nobody measured.
 */

/** Health of one sensor, worst last (the order is the severity order used by the hysteresis). */
export type SensorHealthStatus = "OK" | "DEGRADED" | "STALE" | "MISSING" | "FAILED";
export const SENSOR_HEALTH_STATUSES: readonly SensorHealthStatus[] = ["OK", "DEGRADED", "STALE", "MISSING", "FAILED"];

export type DegradationLevel = "NOMINAL" | "DEGRADED" | "MINIMAL_RISK";
export const DEGRADATION_LEVELS: readonly DegradationLevel[] = ["NOMINAL", "DEGRADED", "MINIMAL_RISK"];

/** The last measurement one sensor contributed to an object. */
export type SceneObjectSensor = {
  sensorId: string;
  kind: SensorKind;
  /** Sensor stamp of that measurement (ns). */
  lastMeasured: Nanos;
  /** Measured position, ego frame (m). */
  measuredPosition: Vec3;
  score: number;
};

/** One fused, tracked object. Compatible with the tracker's `FusedTrack` (src/fusion/types.ts). */
export type SceneObject = {
  id: number;
  classification: ObjectClass;
  classProbabilities: Partial<Record<ObjectClass, number>>;
  /** Box centre (m). */
  position: Vec3;
  /** Over-ground velocity in ego axes (m/s). */
  velocity: Vec3;
  /** Length (along yaw), width, height (m) as x, y, z; null until a sensor measured one. */
  size: Vec3 | null;
  /** Heading (rad, counter-clockwise from +x); null until a sensor measured one. */
  yawRad: number | null;
  /** 3×3 row-major position covariance (m²). */
  positionCovariance: number[];
  /** Existence probability, 0..1. */
  existence: number;
  /** Latest measurement of each contributing sensor, sorted by sensor id. */
  sensors: SceneObjectSensor[];
  firstSeen: Nanos;
};

export type HazardKind = "siren" | "horn";

/**
 * An acoustic hazard as the scene reports it: the audio encoders' `AcousticHazard`s merged over
 * sensors and followed over ticks (src/scene/HazardTracker.ts).
 */
export type SceneHazard = {
  kind: HazardKind;
  /** Latest classifier probability, 0..1. */
  probability: number;
  /**
   * Direction of arrival, ego frame, rad, counter-clockwise from +x (positive to the left); the
   * front solution of a two-microphone array. Null when it could not be estimated.
   */
  bearingRad: number | null;
  /** The front/back mirror solution (π − bearing); null when there is none. */
  mirroredBearingRad: number | null;
  /** Confidence of the bearing, 0..1. */
  bearingConfidence: number;
  /** Start of the current episode: when it was first heard after a silence (ns). */
  firstHeard: Nanos;
  /** The last tick it was heard (ns). */
  lastHeard: Nanos;
};

/** Health of one configured sensor at one tick. */
export type SensorHealthReport = {
  sensorId: string;
  kind: SensorKind;
  status: SensorHealthStatus;
  /** One line: why the sensor has this status (`ok` when OK). */
  reason: string;
  /** Since when (tick stamp, ns) the sensor has had `status`. */
  since: Nanos;
  /** Tick minus the stamp of the newest data seen from the sensor (ms); null if never seen. */
  ageMs: number | null;
  /** Messages per second that reached the aligner over the rate window; null until the window is full. */
  rateHz: number | null;
  /** The encoder's latest self-assessed quality, 0..1; null if it never produced evidence. */
  quality: number | null;
  /** The sensor's frame was used for this tick. */
  included: boolean;
  /** Included frame's stamp minus window centre (ms); null when not included. */
  skewMs: number | null;
  /** Frames dropped by the aligner so far (late, reordered, duplicate, overflow). */
  dropped: number;
  /** Messages of the sensor that failed to decode so far. */
  malformed: number;
  /**
   * Clock offset subtracted from the sensor's stamps before alignment (ms; sensor stamp clock −
   * receive clock): the config's `clockOffsetMs` plus what `live` estimated (src/sync/clockSync.ts).
   * Set by `live`; absent elsewhere.
   */
  clockOffsetMs?: number;
};

export type HealthReport = {
  sensors: SensorHealthReport[];
  degradation: DegradationLevel;
  /** e.g. `none`, `reduce speed to 50 km/h`, `stop in lane (minimal risk manoeuvre)`. */
  recommendedFallback: string;
  /** One line: which rule of the degradation table fired. */
  degradationReason: string;
  /** Estimated meteorological visibility (m); null when no encoder gave an estimate recently. */
  visibilityM: number | null;
  /** Largest |skew| among included sensors (ms); 0 when none. */
  syncSkewMs: number;
};

/** The pipeline's output for one fusion tick: tracked objects, hazards and the health report (proto/avfusion/scene.proto). */
export type SceneState = {
  /** Tick stamp (ns). */
  stamp: Nanos;
  /** Tick number from the sync stage. */
  tick: number;
  /** Coordinate frame of positions, e.g. `base_link`. */
  frameId: string;
  objects: SceneObject[];
  hazards: SceneHazard[];
  health: HealthReport;
  /** Time spent per stage for this tick (ms), in pipeline order, e.g. `{ decode: 0.4, sync: 0.1 }`. */
  latencyMs: Record<string, number>;
};
