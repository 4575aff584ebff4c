import type { SyncStatus } from "./bundles";
import type { Nanos } from "./time";
import type { ObjectClass, SensorKind, Vec3 } from "./sensors";

/**
 * What the encoders hand to fusion (DESIGN.md "encoders" row).
 *
 * Frames and units, everywhere in this file:
 * - positions are in the **ego frame** (x forward, y left, z up; metres), origin at the ego
 *   reference point, at the evidence `stamp`;
 * - covariances are row-major, in the square of the quantity's unit (m², (m/s)²);
 * - angles are radians, counter-clockwise from +x (positive to the left);
 * - time is bigint nanoseconds.
 */

/**
 * Radar Doppler measurement of a detection: the rate of change of the distance between the sensor
 * and the target, relative to the (moving) sensor. Carried separately from `velocity` because a
 * single radar only observes the radial component.
 */
export type RangeRateMeasurement = {
  /** Range rate (m/s); negative when the target approaches the sensor. */
  rangeRateMps: number;
  /** Variance of `rangeRateMps` ((m/s)²). */
  variance: number;
  /** Range from the sensor to the target (m). */
  rangeM: number;
  /** Line-of-sight bearing from the sensor to the target, expressed in the ego frame (rad). */
  bearingRad: number;
  /**
   * Mounting position of the sensor in the ego frame (m); the ego rotation moves it, which adds to
   * the range rate. Absent = at the ego origin.
   */
  sensorPosition?: { x: number; y: number };
};

/** A measured velocity of a detection. */
export type VelocityMeasurement = {
  /** Velocity (m/s), components along the ego axes. */
  value: Vec3;
  /** 3×3 row-major ((m/s)²), or 2×2 for x,y only (z then treated as unknown). */
  covariance: readonly number[];
  /**
   * `ground`: over-ground velocity expressed in ego axes (what an ego-motion-compensated tracker
   * reports); `ego`: velocity relative to the moving ego frame (raw sensor-relative velocity).
   */
  reference: "ground" | "ego";
};

/** One object hypothesis from one sensor's encoder at one tick. */
export type Detection = {
  /** Box centre in the ego frame (m). */
  position: Vec3;
  /**
   * Position covariance (m²), row-major: 9 numbers (3×3, x,y,z) or 4 numbers (2×2, x,y; the
   * height is then unknown to the tracker).
   */
  positionCovariance: readonly number[];
  /** Full velocity where the sensor measures it (radar objects, LiDAR scene flow). */
  velocity?: VelocityMeasurement;
  /** Radar radial velocity where the sensor measures it. */
  rangeRate?: RangeRateMeasurement;
  /** Box length (along yaw), width, height (m); absent when the sensor cannot tell. */
  size?: Vec3;
  /** Heading of the box, rad, ego frame; absent when the sensor cannot tell. */
  yawRad?: number;
  /** Class probabilities (0..1, summing to ≤ 1); missing classes are 0. Empty = no opinion. */
  classProbabilities: Partial<Record<ObjectClass, number>>;
  /** The encoder's confidence that this is a real object, 0..1. */
  score: number;
};

/** Where a sensor can see, so that fusion only counts a missed detection where one was possible. */
export type FieldOfView = {
  /** Sensor position in the ego frame (m). */
  originX: number;
  originY: number;
  /** Azimuth interval (rad, ego frame, counter-clockwise from +x); min > max wraps through ±π. */
  azimuthMinRad: number;
  azimuthMaxRad: number;
  /** Maximum detection range (m). */
  maxRangeM: number;
};

/**
 * A sound the audio encoder classified (siren, horn), with its direction of arrival. A two-microphone
 * array cannot tell front from back: `bearingRad` is the front solution (−π/2..π/2) and
 * `mirroredBearingRad` = π − bearing the other one.
 */
export type AcousticHazard = {
  kind: "siren" | "horn";
  /** Classifier probability, 0..1. */
  probability: number;
  /** Direction of arrival (rad, ego frame, counter-clockwise from +x); null when it cannot be estimated. */
  bearingRad: number | null;
  mirroredBearingRad: number | null;
  /** Confidence of the bearing (GCC-PHAT peak height), 0..1. */
  bearingConfidence: number;
};

/** One sensor's evidence for one tick, as its encoder produced it. */
export type SensorEvidence = {
  sensorId: string;
  kind: SensorKind;
  /** Sensor-clock stamp of the frame the evidence came from (ns). */
  stamp: Nanos;
  /** Detections in the ego frame, at `stamp`. */
  detections: Detection[];
  /** The encoder's self-assessed quality of this frame, 0 (useless, e.g. blinded) .. 1 (nominal). */
  quality: number;
  /** Optional frame-level embedding for learned fusion. */
  embedding?: Float32Array;
  /** Where the sensor can see; absent = everywhere within the tracker's range. */
  fieldOfView?: FieldOfView;
  /** Acoustic hazards heard in this frame (audio encoders only); absent = the sensor cannot hear. */
  hazards?: AcousticHazard[];
  /**
   * Meteorological visibility the encoder estimates from this frame (m; Infinity = clear), where
   * it can (e.g. fog from camera contrast or LiDAR backscatter); read by scene health.
   */
  visibilityM?: number;
  encoder: {
    name: string;
    modelVersion: string;
    /** Inference backend that ran it (`tensorflow`, `wasm`, `cpu`, `none` for non-learned encoders). */
    backend: string;
  };
  /** Time spent per encoder phase (ms), e.g. `{ preprocess: 1.2, infer: 8.5 }`; display only. */
  timingMs: Record<string, number>;
};

/** How a sensor's data relates to a tick: the sync stage's verdict (`SyncStatus`, bundles.ts). */
export type EvidenceSyncStatus = SyncStatus;

/** Per-sensor sync outcome carried along with the evidence. */
export type EvidenceSyncInfo = {
  sensorId: string;
  kind: SensorKind;
  status: EvidenceSyncStatus;
  /** Frame stamp minus tick stamp (ns); 0n when missing. */
  skew: Nanos;
};

/** Ego motion over the tick, for ego-motion compensation in the tracker. */
export type EgoMotion = {
  /** Longitudinal speed over ground (m/s). */
  speedMps: number;
  /** Yaw rate (rad/s, positive = turning left). */
  yawRateRadps: number;
};

/** One tick's evidence, all sensors: the encoders' output and fusion's input. */
export type EvidenceBundle = {
  /** Tick time (ns); the time fused objects are reported at. */
  stamp: Nanos;
  /** Monotonic tick counter from the sync stage. */
  tick: number;
  /** Evidence of each sensor included in this tick (at most one per sensor). */
  evidence: SensorEvidence[];
  /** Sync status of every configured sensor, included or not. */
  sync: EvidenceSyncInfo[];
  /** Ego motion during the tick, where known; absent = treated as standing still. */
  ego?: EgoMotion;
};
