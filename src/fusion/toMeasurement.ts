import type { Detection, Nanos, SensorKind, Vec3 } from "../types";
import { classVectorOf, type ClassVector } from "./classBelief";

/**
 * A validated detection in the form the filter uses: x,y with a 2×2 covariance, optional height,
 * velocity and range rate, a dense class vector. Positions and covariances as in `Detection`.
 */
export type Measurement = {
  sensorId: string;
  kind: SensorKind;
  stamp: Nanos;
  /** Index of the detection in its `SensorEvidence.detections`. */
  detectionIndex: number;
  /** The sensor's self-assessed quality for this frame, 0..1. */
  quality: number;
  x: number;
  y: number;
  /** 2×2 row-major x,y covariance (m²). */
  R: Float64Array;
  /** Box-centre height (m) and its variance (m²); absent when the covariance was 2×2. */
  z?: number;
  zVar?: number;
  velocity?: { vx: number; vy: number; R: Float64Array; reference: "ground" | "ego" };
  /**
   * Radar range rate; `bearingVariance` (rad²) is the line-of-sight uncertainty implied by the
   * position covariance across the line of sight, which makes the predicted range rate uncertain
   * by (relative velocity across the line of sight)² · bearingVariance.
   */
  rangeRate?: { rate: number; variance: number; bearingRad: number; bearingVariance: number; sensorX: number; sensorY: number };
  size?: Vec3;
  yawRad?: number;
  /** Class masses (see classBelief.ts); `unknown` = no opinion. */
  classes: ClassVector;
  score: number;
};

export type MeasurementResult = { ok: true; measurement: Measurement } | { ok: false; reason: string };

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
/** Finite and within ±limit: values beyond are no physical measurement and would overflow the filter. */
const within = (v: unknown, limit: number): v is number => finite(v) && Math.abs(v) <= limit;

/** Plausibility limits (generous: they only keep garbage out of the filter's arithmetic). */
export const LIMITS = {
  /** Position and range (m). */
  positionM: 1e5,
  /** Velocity and range rate (m/s). */
  speedMps: 1e3,
  /** Box size (m). */
  sizeM: 1e3,
  /** Angles (rad); any finite angle is wrapped, this only rejects absurd magnitudes. */
  angleRad: 1e3,
  /** Variances (m², (m/s)²): below, the filter would trust a sensor infinitely; above, it is no measurement. */
  minVariance: 1e-12,
  maxVariance: 1e12,
} as const;

/** A failed check: `field` holds `value`, which is not what was `expected`. */
type Fail = (field: string, value: unknown, expected: string) => MeasurementResult;
/** A check of one optional part of a detection: the failure, or undefined when the part is valid (and set on the measurement) or absent. */
type PartCheck = (d: Detection, m: Measurement, fail: Fail, where: string) => MeasurementResult | undefined;

/**
 * Validate one detection. On failure `reason` is a one-line message naming the sensor, the
 * detection index, the stamp, the field, the value and what was expected.
 */
export function toMeasurement(
  d: Detection,
  detectionIndex: number,
  sensorId: string,
  kind: SensorKind,
  stamp: Nanos,
  quality: number,
): MeasurementResult {
  const where = `fusion: sensor ${sensorId} (${kind}) detection ${detectionIndex} at ${stamp} ns`;
  const fail: Fail = (field, value, expected) => ({
    ok: false,
    reason: `${where}: ${field} is ${describe(value)}; expected ${expected}`,
  });
  if (d === null || typeof d !== "object") return fail("the detection", d, "an object");
  const p = d.position;
  if (p === undefined || p === null) return fail("position", p, "{x, y, z} in m");
  for (const axis of ["x", "y", "z"] as const) {
    if (!within(p[axis], LIMITS.positionM)) return fail(`position.${axis}`, p[axis], `a finite number within ±${LIMITS.positionM} (m)`);
  }
  const cov = checkCovariance(d.positionCovariance, "positionCovariance", "m²");
  if (typeof cov === "string") return { ok: false, reason: `${where}: ${cov}` };
  if (!finite(d.score) || d.score < 0 || d.score > 1) return fail("score", d.score, "a number in 0..1");
  const probs = d.classProbabilities ?? {};
  for (const [cls, v] of Object.entries(probs)) {
    if (!finite(v) || v < 0 || v > 1) return fail(`classProbabilities.${cls}`, v, "a number in 0..1");
  }
  const m: Measurement = {
    sensorId,
    kind,
    stamp,
    detectionIndex,
    quality,
    x: p.x,
    y: p.y,
    R: cov.xy,
    classes: classVectorOf(probs),
    score: d.score,
  };
  if (cov.zVar !== undefined) {
    m.z = p.z;
    m.zVar = cov.zVar;
  }
  for (const check of OPTIONAL_PARTS) {
    const failure = check(d, m, fail, where);
    if (failure !== undefined) return failure;
  }
  return { ok: true, measurement: m };
}

const checkVelocity: PartCheck = (d, m, fail, where) => {
  if (d.velocity === undefined || d.velocity === null) return undefined;
  const v = d.velocity.value;
  for (const axis of ["x", "y", "z"] as const) {
    if (!within(v?.[axis], LIMITS.speedMps))
      return fail(`velocity.value.${axis}`, v?.[axis], `a finite number within ±${LIMITS.speedMps} (m/s)`);
  }
  const vc = checkCovariance(d.velocity.covariance, "velocity.covariance", "(m/s)²");
  if (typeof vc === "string") return { ok: false, reason: `${where}: ${vc}` };
  if (d.velocity.reference !== "ground" && d.velocity.reference !== "ego") {
    return fail("velocity.reference", d.velocity.reference, `"ground" or "ego"`);
  }
  m.velocity = { vx: v.x, vy: v.y, R: vc.xy, reference: d.velocity.reference };
  return undefined;
};

const checkRangeRate: PartCheck = (d, m, fail) => {
  if (d.rangeRate === undefined || d.rangeRate === null) return undefined;
  const rr = d.rangeRate;
  if (!within(rr.rangeRateMps, LIMITS.speedMps))
    return fail("rangeRate.rangeRateMps", rr.rangeRateMps, `a finite number within ±${LIMITS.speedMps} (m/s)`);
  if (!finite(rr.variance) || rr.variance < LIMITS.minVariance || rr.variance > LIMITS.maxVariance) {
    return fail("rangeRate.variance", rr.variance, `a number in ${LIMITS.minVariance}..${LIMITS.maxVariance} ((m/s)²)`);
  }
  if (!within(rr.rangeM, LIMITS.positionM) || rr.rangeM < 0)
    return fail("rangeRate.rangeM", rr.rangeM, `a number in 0..${LIMITS.positionM} (m)`);
  if (!within(rr.bearingRad, LIMITS.angleRad)) return fail("rangeRate.bearingRad", rr.bearingRad, "a finite angle (rad)");
  const sx = rr.sensorPosition?.x ?? 0;
  const sy = rr.sensorPosition?.y ?? 0;
  if (!within(sx, LIMITS.positionM) || !within(sy, LIMITS.positionM))
    return fail("rangeRate.sensorPosition", `(${sx}, ${sy})`, "finite x, y (m)");
  // The position covariance across the line of sight, over range², is the bearing's variance.
  const px = -Math.sin(rr.bearingRad);
  const py = Math.cos(rr.bearingRad);
  const across = px * px * m.R[0]! + 2 * px * py * m.R[1]! + py * py * m.R[3]!;
  const range = Math.max(rr.rangeM, 0.5); // below that the bearing is meaningless anyway
  m.rangeRate = {
    rate: rr.rangeRateMps,
    variance: rr.variance,
    bearingRad: rr.bearingRad,
    bearingVariance: Math.min(across / (range * range), 1),
    sensorX: sx,
    sensorY: sy,
  };
  return undefined;
};

const checkSize: PartCheck = (d, m, fail) => {
  if (d.size === undefined || d.size === null) return undefined;
  for (const axis of ["x", "y", "z"] as const) {
    const s = d.size[axis];
    if (!within(s, LIMITS.sizeM) || s < 0) return fail(`size.${axis}`, s, `a number in 0..${LIMITS.sizeM} (m)`);
  }
  m.size = { x: d.size.x, y: d.size.y, z: d.size.z };
  return undefined;
};

const checkYaw: PartCheck = (d, m, fail) => {
  if (d.yawRad === undefined || d.yawRad === null) return undefined;
  if (!within(d.yawRad, LIMITS.angleRad)) return fail("yawRad", d.yawRad, "a finite angle (rad)");
  m.yawRad = d.yawRad;
  return undefined;
};

/** In this order: the first invalid part is the one reported. */
const OPTIONAL_PARTS: readonly PartCheck[] = [checkVelocity, checkRangeRate, checkSize, checkYaw];

/** x,y block (must be positive definite) and z variance of a 2×2 or 3×3 covariance, or an error. */
function checkCovariance(c: readonly number[] | undefined, field: string, unit: string): { xy: Float64Array; zVar?: number } | string {
  if (c === undefined || c === null || (c.length !== 4 && c.length !== 9)) {
    return `${field} has ${c?.length ?? "no"} entries; expected 9 (3×3) or 4 (2×2) row-major (${unit})`;
  }
  const n = c.length === 9 ? 3 : 2;
  for (let i = 0; i < c.length; i++) {
    if (!finite(c[i])) return `${field}[${i}] is ${describe(c[i])}; expected a finite number (${unit})`;
  }
  for (let r = 0; r < n; r++) {
    for (let k = r + 1; k < n; k++) {
      const a = c[r * n + k]!;
      const b = c[k * n + r]!;
      if (Math.abs(a - b) > 1e-9 * Math.max(1, Math.abs(a), Math.abs(b))) {
        return `${field} is not symmetric ([${r}][${k}] = ${a}, [${k}][${r}] = ${b}); expected a covariance`;
      }
    }
  }
  const xx = c[0]!;
  const xy = c[1]!;
  const yy = c[n + 1]!;
  const variances = n === 3 ? [xx, yy, c[8]!] : [xx, yy];
  for (const v of variances) {
    if (v < LIMITS.minVariance || v > LIMITS.maxVariance) {
      return `${field} has variance ${v}; expected variances in ${LIMITS.minVariance}..${LIMITS.maxVariance} (${unit})`;
    }
  }
  // Correlation must stay clear of ±1, or the inverse the gate needs is numerically meaningless.
  if (!(xx * yy - xy * xy > 1e-9 * xx * yy)) {
    return `${field} x,y block [[${xx}, ${xy}], [${xy}, ${yy}]] is not positive definite; expected a covariance (${unit})`;
  }
  const out: { xy: Float64Array; zVar?: number } = { xy: Float64Array.of(xx, xy, xy, yy) };
  if (n === 3) out.zVar = c[8]!;
  return out;
}

function describe(v: unknown): string {
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return String(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (v === undefined) return "missing";
  if (v === null) return "null";
  return typeof v;
}
