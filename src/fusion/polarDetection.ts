import type { Detection, ObjectClass } from "../types";

/**
 * Build a `Detection` from a radar-style polar measurement (range, azimuth, optional elevation and
 * range rate) taken by a sensor mounted at `sensor` in the ego frame. The x,y covariance is the
 * first-order propagation of the range and azimuth variances, JΣJᵀ, rotated into the ego frame;
 * that makes it long and thin across the line of sight, as radar errors are.
 */
export type PolarMeasurement = {
  rangeM: number;
  /** Azimuth in the sensor frame (rad, counter-clockwise from the sensor's +x). */
  azimuthRad: number;
  rangeStdM: number;
  azimuthStdRad: number;
  /** Elevation (rad) and its σ; absent = the height is unknown (2×2 covariance). */
  elevationRad?: number;
  elevationStdRad?: number;
  /** Doppler range rate (m/s, negative = approaching) and its σ. */
  rangeRateMps?: number;
  rangeRateStdMps?: number;
  score: number;
  classProbabilities?: Partial<Record<ObjectClass, number>>;
};

/** Sensor mounting in the ego frame: position (m) and yaw (rad). */
export type SensorMount = { x: number; y: number; z: number; yawRad: number };

export function polarDetection(m: PolarMeasurement, sensor: SensorMount): Detection {
  const el = m.elevationRad ?? 0;
  const ground = m.rangeM * Math.cos(el); // range projected on the ground plane
  const a = m.azimuthRad;
  const c = Math.cos(a);
  const s = Math.sin(a);
  // Sensor-frame covariance of (x, y) = J diag(σr², σa²) Jᵀ, J = ∂(r cos a, r sin a)/∂(r, a).
  const vr = m.rangeStdM * m.rangeStdM * Math.cos(el) * Math.cos(el);
  const va = m.azimuthStdRad * m.azimuthStdRad * ground * ground;
  const sxx = c * c * vr + s * s * va;
  const sxy = c * s * (vr - va);
  const syy = s * s * vr + c * c * va;
  // Rotate into the ego frame: R Σ Rᵀ.
  const cy = Math.cos(sensor.yawRad);
  const sy = Math.sin(sensor.yawRad);
  const exx = cy * cy * sxx - 2 * cy * sy * sxy + sy * sy * syy;
  const exy = cy * sy * (sxx - syy) + (cy * cy - sy * sy) * sxy;
  const eyy = sy * sy * sxx + 2 * cy * sy * sxy + cy * cy * syy;
  const xs = ground * c;
  const ys = ground * s;
  const position = { x: sensor.x + cy * xs - sy * ys, y: sensor.y + sy * xs + cy * ys, z: sensor.z + m.rangeM * Math.sin(el) };
  let positionCovariance: number[];
  if (m.elevationRad !== undefined && m.elevationStdRad !== undefined) {
    const vz = (m.rangeM * Math.cos(el) * m.elevationStdRad) ** 2 + (m.rangeStdM * Math.sin(el)) ** 2;
    positionCovariance = [exx, exy, 0, exy, eyy, 0, 0, 0, Math.max(vz, 1e-6)];
  } else {
    positionCovariance = [exx, exy, exy, eyy];
  }
  const d: Detection = { position, positionCovariance, classProbabilities: m.classProbabilities ?? {}, score: m.score };
  if (m.rangeRateMps !== undefined && m.rangeRateStdMps !== undefined) {
    d.rangeRate = {
      rangeRateMps: m.rangeRateMps,
      variance: m.rangeRateStdMps * m.rangeRateStdMps,
      rangeM: m.rangeM,
      bearingRad: a + sensor.yawRad,
      sensorPosition: { x: sensor.x, y: sensor.y },
    };
  }
  return d;
}
