import { classCompatibility, combine, type ClassVector } from "./classBelief";
import { costMatrix, solveAssignment } from "./solveAssignment";
import type { Measurement } from "./toMeasurement";

/**
 * Association: which detections belong to which track, and which same-tick detections of
 * different sensors are the same new object.
 *
 * The cost of a pair is the negative log-likelihood of the position difference under the
 * combined covariance, up to a constant: d² + ln det S, plus −2·w·ln(class compatibility).
 * Where the hypothesis has a velocity estimate and the measurement a radar range rate, the
 * range-rate residual adds its own d² + ln S (1 dof), so a parked car and a passing one at the
 * same spot are told apart by their Doppler. A pair is infeasible (gated out) when either d²
 * exceeds its chi-square gate or the class compatibility is below the minimum. Optimal assignment
 * then gives the most pairs at the least total cost.
 */

export type GateParams = {
  /** Squared Mahalanobis distance threshold (chi-square quantile, 2 dof). */
  gate: number;
  minClassCompatibility: number;
  classCostWeight: number;
  /** Squared range-rate residual threshold (chi-square quantile, 1 dof); Infinity = not used. */
  rangeRateGate: number;
  /** Ego motion of the tick, for the sensor's own velocity in the range-rate prediction. */
  egoSpeedMps: number;
  egoYawRateRadps: number;
};

/** A Gaussian x,y estimate with a class belief: a predicted track or a cluster of detections. */
export type PositionHypothesis = {
  x: number;
  y: number;
  /** 2×2 row-major covariance (m²). */
  P: ArrayLike<number>;
  classes: ClassVector;
  /** Over-ground velocity (m/s, ego axes) and its 2×2 covariance, where estimated. */
  velocity?: { vx: number; vy: number; P: ArrayLike<number> };
};

/** Association cost of a hypothesis and a measurement, or +Infinity when gated out. */
export function pairCost(h: PositionHypothesis, m: Measurement, g: GateParams): number {
  const s00 = h.P[0]! + m.R[0]!;
  const s01 = h.P[1]! + m.R[1]!;
  const s11 = h.P[3]! + m.R[3]!;
  const det = s00 * s11 - s01 * s01;
  if (!(det > 0)) return Infinity;
  const dx = m.x - h.x;
  const dy = m.y - h.y;
  const d2 = (s11 * dx * dx - 2 * s01 * dx * dy + s00 * dy * dy) / det;
  if (!(d2 <= g.gate)) return Infinity;
  const compat = classCompatibility(h.classes, m.classes);
  if (compat < g.minClassCompatibility || compat <= 0) return Infinity;
  let cost = d2 + Math.log(det) - 2 * g.classCostWeight * Math.log(compat);
  const rr = m.rangeRate;
  if (rr !== undefined && h.velocity !== undefined && g.rangeRateGate !== Infinity) {
    const ux = Math.cos(rr.bearingRad);
    const uy = Math.sin(rr.bearingRad);
    const v = h.velocity;
    const sensorVx = g.egoSpeedMps - g.egoYawRateRadps * rr.sensorY;
    const sensorVy = g.egoYawRateRadps * rr.sensorX;
    const predicted = (v.vx - sensorVx) * ux + (v.vy - sensorVy) * uy;
    const across = -(v.vx - sensorVx) * uy + (v.vy - sensorVy) * ux;
    const s = ux * ux * v.P[0]! + 2 * ux * uy * v.P[1]! + uy * uy * v.P[3]! + rr.variance + across * across * rr.bearingVariance;
    const residual = rr.rate - predicted;
    const d2rr = (residual * residual) / s;
    if (!(d2rr <= g.rangeRateGate)) return Infinity;
    cost += d2rr + Math.log(s);
  }
  return cost;
}

/**
 * Assign one sensor's measurements to hypotheses (each hypothesis gets at most one).
 * Returns, per measurement, the hypothesis index or -1.
 */
export function assignMeasurements(
  hypotheses: readonly PositionHypothesis[],
  measurements: readonly Measurement[],
  g: GateParams,
): Int32Array {
  const matrix = costMatrix(measurements.length, hypotheses.length);
  for (let i = 0; i < measurements.length; i++) {
    const m = measurements[i]!;
    for (let j = 0; j < hypotheses.length; j++) matrix.data[i * hypotheses.length + j] = pairCost(hypotheses[j]!, m, g);
  }
  return solveAssignment(matrix).rowToCol;
}

/** Same-tick detections of different sensors believed to be one object. */
export type Cluster = {
  /** Member measurements, at most one per sensor, in the order they joined. */
  members: Measurement[];
  /** Information-weighted fused x,y and its 2×2 covariance. */
  x: number;
  y: number;
  P: Float64Array;
  /** The members' class evidence combined by Dempster's rule. */
  classes: ClassVector;
};

/**
 * Group measurements from different sensors into clusters: sensors are taken in order (sorted by
 * sensor id, so the result is deterministic); each sensor's measurements are optimally assigned to
 * the clusters built so far (gated, class-compatible), the unassigned ones start new clusters.
 * A sensor therefore contributes at most one detection to each cluster.
 */
export function clusterMeasurements(measurements: readonly Measurement[], g: GateParams): Cluster[] {
  const bySensor = new Map<string, Measurement[]>();
  for (const m of measurements) {
    const list = bySensor.get(m.sensorId);
    if (list === undefined) bySensor.set(m.sensorId, [m]);
    else list.push(m);
  }
  const sensorIds = [...bySensor.keys()].sort();
  const clusters: Cluster[] = [];
  for (const id of sensorIds) {
    const ms = bySensor.get(id)!;
    const assigned = assignMeasurements(clusters, ms, g);
    const existing = clusters.length;
    for (let i = 0; i < ms.length; i++) {
      const j = assigned[i]!;
      if (j >= 0 && j < existing) addToCluster(clusters[j]!, ms[i]!);
      else clusters.push(newCluster(ms[i]!));
    }
  }
  return clusters;
}

function newCluster(m: Measurement): Cluster {
  return { members: [m], x: m.x, y: m.y, P: Float64Array.from(m.R), classes: Float64Array.from(m.classes) };
}

/** Information-filter fusion of the cluster estimate with one more independent measurement. */
function addToCluster(c: Cluster, m: Measurement): void {
  const a = inverse2(c.P);
  const b = inverse2(m.R);
  const info = Float64Array.of(a[0]! + b[0]!, a[1]! + b[1]!, a[2]! + b[2]!, a[3]! + b[3]!);
  const P = inverse2(info);
  const ix = a[0]! * c.x + a[1]! * c.y + b[0]! * m.x + b[1]! * m.y;
  const iy = a[2]! * c.x + a[3]! * c.y + b[2]! * m.x + b[3]! * m.y;
  c.x = P[0]! * ix + P[1]! * iy;
  c.y = P[2]! * ix + P[3]! * iy;
  c.P = P;
  c.classes = combine(c.classes, m.classes);
  c.members.push(m);
}

function inverse2(S: ArrayLike<number>): Float64Array {
  const det = S[0]! * S[3]! - S[1]! * S[2]!;
  return Float64Array.of(S[3]! / det, -S[1]! / det, -S[2]! / det, S[0]! / det);
}
