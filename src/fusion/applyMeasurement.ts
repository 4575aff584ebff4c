import type { SensorMeasurementRecord } from "../types/tracked";
import { combine, discount } from "./classBelief";
import { H_POSITION, H_VELOCITY, update, type EgoStep } from "./kalman";
import type { Measurement } from "./toMeasurement";
import { detectionWeight, wrapAngle, type Track } from "./track";
import type { TrackerConfig } from "./trackerConfig";

/** Range-rate innovations beyond this χ² (1 dof, p ≈ 0.9999) are treated as Doppler outliers. */
const RANGE_RATE_OUTLIER_NIS = 15.1;

/**
 * Kalman updates with everything the measurement carries (position, height, velocity, range rate),
 * then class, size, yaw and provenance. `positionAlreadySet`: a new track's first measurement,
 * whose position is the track's initial state.
 */
export function applyMeasurement(
  track: Track,
  m: Measurement,
  ego: EgoStep | undefined,
  cfg: TrackerConfig,
  positionAlreadySet = false,
): void {
  const nis = positionAlreadySet ? 0 : update(track.state, H_POSITION, [m.x, m.y], m.R).nis;
  updateHeight(track, m);
  const speed = ego?.speedMps ?? 0;
  const omega = ego?.yawRateRadps ?? 0;
  updateVelocity(track, m, speed, omega);
  const rangeRateMps = updateRangeRate(track, m, speed, omega);
  updateClassAndShape(track, m, cfg);
  if (m.stamp > track.lastUpdated) track.lastUpdated = m.stamp;
  recordProvenance(track, m, nis, rangeRateMps, cfg);
}

/** Box-centre height: the first measured height is taken as is, later ones are averaged in by their variances. */
function updateHeight(track: Track, m: Measurement): void {
  if (m.z === undefined || m.zVar === undefined) return;
  if (!track.hasZ) {
    track.z = m.z;
    track.zVar = m.zVar;
    track.hasZ = true;
  } else {
    const k = track.zVar / (track.zVar + m.zVar);
    track.z += k * (m.z - track.z);
    track.zVar = (1 - k) * track.zVar;
  }
}

function updateVelocity(track: Track, m: Measurement, speed: number, omega: number): void {
  if (m.velocity === undefined) return;
  let { vx, vy } = m.velocity;
  if (m.velocity.reference === "ego") {
    // Relative to the rotating ego frame → over ground: add the velocity of the ego-fixed point.
    vx += speed - omega * m.y;
    vy += omega * m.x;
  }
  update(track.state, H_VELOCITY, [vx, vy], m.velocity.R);
}

/** A radar range rate as a scalar update of the velocity along the line of sight; returns the rate for the provenance record. */
function updateRangeRate(track: Track, m: Measurement, speed: number, omega: number): number | undefined {
  if (m.rangeRate === undefined) return undefined;
  const rr = m.rangeRate;
  const ux = Math.cos(rr.bearingRad);
  const uy = Math.sin(rr.bearingRad);
  // The sensor moves with the ego: its over-ground velocity is v_ego + ω × s.
  const sensorVx = speed - omega * rr.sensorY;
  const sensorVy = omega * rr.sensorX;
  const H = Float64Array.of(0, 0, ux, uy);
  const offset = [-(sensorVx * ux + sensorVy * uy)];
  const x = track.state.x;
  const P = track.state.P;
  const predicted = ux * x[2]! + uy * x[3]! + offset[0]!;
  // The line of sight is only known to the bearing's accuracy: that adds the velocity across
  // it, squared, times the bearing variance to the measurement noise.
  const across = -(x[2]! - sensorVx) * uy + (x[3]! - sensorVy) * ux;
  const noise = rr.variance + across * across * rr.bearingVariance;
  const S = ux * ux * P[10]! + 2 * ux * uy * P[11]! + uy * uy * P[15]! + noise;
  const innovation = rr.rate - predicted;
  if ((innovation * innovation) / S <= RANGE_RATE_OUTLIER_NIS) {
    update(track.state, H, [rr.rate], [noise], offset);
  }
  return rr.rate;
}

function updateClassAndShape(track: Track, m: Measurement, cfg: TrackerConfig): void {
  // Class belief: forget a little (mass back to `unknown`), then combine with the detection's
  // class evidence discounted by the frame quality (Dempster's rule, see classBelief.ts).
  track.classes = combine(
    discount(track.classes, 1 - cfg.classForgetting),
    discount(m.classes, cfg.classEvidenceWeight * detectionWeight(m.quality, cfg)),
  );
  const w = cfg.sizeSmoothing * Math.max(m.quality, 1e-3);
  if (m.size !== undefined) {
    track.size =
      track.size === undefined
        ? { ...m.size }
        : {
            x: track.size.x + w * (m.size.x - track.size.x),
            y: track.size.y + w * (m.size.y - track.size.y),
            z: track.size.z + w * (m.size.z - track.size.z),
          };
  }
  if (m.yawRad !== undefined) {
    if (track.yawRad === undefined) {
      track.yawRad = wrapAngle(m.yawRad);
    } else {
      // Box detectors often confuse front and back; a box 180° off is the same box axis, and
      // averaging it in would turn the estimate sideways.
      let diff = wrapAngle(m.yawRad - track.yawRad);
      if (Math.abs(diff) > Math.PI / 2) diff = wrapAngle(diff + Math.PI);
      track.yawRad = wrapAngle(track.yawRad + w * diff);
    }
  }
}

/** The track's per-sensor provenance: the latest measurement of each sensor, and the last few overall. */
function recordProvenance(track: Track, m: Measurement, nis: number, rangeRateMps: number | undefined, cfg: TrackerConfig): void {
  const record: SensorMeasurementRecord = {
    sensorId: m.sensorId,
    kind: m.kind,
    stamp: m.stamp,
    detectionIndex: m.detectionIndex,
    position: { x: m.x, y: m.y, z: m.z ?? 0 },
    score: m.score,
    quality: m.quality,
    nis,
  };
  if (rangeRateMps !== undefined) record.rangeRateMps = rangeRateMps;
  track.lastBySensor.set(m.sensorId, record);
  if (cfg.maxMeasurementsPerTrack > 0) {
    track.recent.push(record);
    if (track.recent.length > cfg.maxMeasurementsPerTrack) track.recent.shift();
  }
}
