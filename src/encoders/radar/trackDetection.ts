import type { Detection, ObjectClass, RadarFrame, RadarObject, Vec3 } from "../../types";
import { rotate, rotateCovariance, transformPoint } from "../common/extrinsics";
import type { RADAR_CLASSES } from "./model";

/*
 * One radar track, with the network's class split, → an ego-frame detection: the box centre
 * (moved back from the track's reference point along the line of sight), its covariance (with
 * the polar noise of the returns behind the track as a floor), velocity, classes and range rate.
 */

/**
 * Expected distance (m) from a track's reference point (the mean of the returns, on the faces
 * turned towards the radar) to the box centre, along the line of sight, per class.
 */
export const HALF_DEPTH_M: Record<(typeof RADAR_CLASSES)[number], number> = { vehicle: 1.8, pedestrian: 0.2, cyclist: 0.5, clutter: 0 };

const VEHICLE_SUBCLASSES: readonly ObjectClass[] = ["car", "truck", "motorcycle"];

/** Where the radar is: ego ← radar rotation (row-major 3×3), translation, and yaw. */
export type RadarMount = { R: number[]; translation: Vec3; yaw: number };

/** The network's probabilities for one track: vehicle, pedestrian, cyclist, and score = 1 − p(clutter). */
export type TrackScores = { pV: number; pP: number; pC: number; score: number };

/** Sums over the detections behind a track (`near`), for its measurement noise and range rate. */
type Returns = { n: number; rr: number; rrVar: number; rSum: number; sr2: number; sa2: number };

export function trackDetection(
  frame: RadarFrame,
  o: RadarObject,
  near: readonly number[],
  s: TrackScores,
  mount: RadarMount,
  centreOffset: boolean,
): Detection {
  const { R, translation, yaw } = mount;
  const real = Math.max(1e-6, s.score);
  const { pos, cov } = boxCentre(o, s, real, mount, centreOffset);
  const ret = returnsBehind(frame, near);
  const bearing = Math.atan2(o.position.y, o.position.x) + yaw;
  if (ret.n > 0) polarNoiseFloor(cov, ret, bearing);
  const vel = rotate(R, o.velocity);
  const vStd = o.velocityStd;
  const vCov = rotateCovariance(R, [vStd.x ** 2, 0, 0, 0, vStd.y ** 2, 0, 0, 0, Math.max(vStd.z, 0) ** 2]);
  const det: Detection = {
    position: pos,
    positionCovariance: cov,
    velocity: { value: vel, covariance: [vCov[0]!, vCov[1]!, vCov[3]!, vCov[4]!], reference: "ground" },
    classProbabilities: classProbabilities(o, s, real),
    score: s.score,
  };
  if (ret.n > 0) {
    det.rangeRate = {
      rangeRateMps: ret.rr / ret.n,
      variance: ret.rrVar / ret.n / ret.n,
      rangeM: ret.rSum / ret.n,
      bearingRad: bearing,
      sensorPosition: { x: translation.x, y: translation.y },
    };
  }
  if (Math.hypot(o.velocity.x, o.velocity.y) > 1 && Number.isFinite(o.yawRad)) det.yawRad = o.yawRad + yaw;
  return det;
}

/**
 * The track's position in the ego frame with its covariance; with `centreOffset`, moved back by
 * the class-weighted half depth along the line of sight, with about half that offset as extra
 * uncertainty along it.
 */
function boxCentre(o: RadarObject, s: TrackScores, real: number, mount: RadarMount, centreOffset: boolean): { pos: Vec3; cov: number[] } {
  const { R, translation } = mount;
  let pos = transformPoint(R, translation, o.position);
  const losX = pos.x - translation.x;
  const losY = pos.y - translation.y;
  const range = Math.hypot(losX, losY);
  const halfDepth = (s.pV * HALF_DEPTH_M.vehicle + s.pP * HALF_DEPTH_M.pedestrian + s.pC * HALF_DEPTH_M.cyclist) / real;
  const covSensor = [o.positionStd.x ** 2, 0, 0, 0, o.positionStd.y ** 2, 0, 0, 0, Math.max(o.positionStd.z, 0) ** 2];
  const cov = rotateCovariance(R, covSensor);
  if (centreOffset && range > 1e-6) {
    const ux = losX / range;
    const uy = losY / range;
    pos = { x: pos.x + ux * halfDepth, y: pos.y + uy * halfDepth, z: pos.z };
    const v = (0.5 * halfDepth) ** 2;
    cov[0]! += v * ux * ux;
    cov[1]! += v * ux * uy;
    cov[3]! += v * ux * uy;
    cov[4]! += v * uy * uy;
  }
  return { pos, cov };
}

function returnsBehind(frame: RadarFrame, near: readonly number[]): Returns {
  let rr = 0;
  let rrVar = 0;
  let rSum = 0;
  let sr2 = 0;
  let sa2 = 0;
  for (const i of near) {
    const d = frame.detections[i]!;
    rr += d.rangeRateMps;
    rrVar += Number.isFinite(d.rangeRateStdMps) ? d.rangeRateStdMps ** 2 : 1;
    rSum += d.rangeM;
    sr2 += Number.isFinite(d.rangeStdM) ? d.rangeStdM ** 2 : 1;
    sa2 += Number.isFinite(d.azimuthStdRad) ? d.azimuthStdRad ** 2 : 1e-4;
  }
  return { n: near.length, rr, rrVar, rSum, sr2, sa2 };
}

/** Polar measurement noise of the returns behind the track, J·diag(σr², σθ²)·Jᵀ in ego axes, as a floor on the x and y variances. */
function polarNoiseFloor(cov: number[], ret: Returns, bearing: number): void {
  const r = ret.rSum / ret.n;
  const c = Math.cos(bearing);
  const s = Math.sin(bearing);
  const vr = ret.sr2 / ret.n;
  const va = (r * r * ret.sa2) / ret.n;
  cov[0] = Math.max(cov[0]!, c * c * vr + s * s * va);
  cov[4] = Math.max(cov[4]!, s * s * vr + c * c * va);
}

/**
 * The network separates vehicles from vulnerable road users; the radar's own sub-class split of
 * vehicles is kept (all car when it gives none).
 */
function classProbabilities(o: RadarObject, s: TrackScores, real: number): Partial<Record<ObjectClass, number>> {
  const out: Partial<Record<ObjectClass, number>> = {};
  const sub = VEHICLE_SUBCLASSES.map((c) => Math.max(0, o.classProbabilities[c] ?? 0));
  const subSum = sub.reduce((a, b) => a + b, 0);
  const vehicle = s.pV / real;
  VEHICLE_SUBCLASSES.forEach((c, k) => {
    const share = subSum > 0 ? sub[k]! / subSum : c === "car" ? 1 : 0;
    if (share > 0) out[c] = vehicle * share;
  });
  out.pedestrian = s.pP / real;
  out.cyclist = s.pC / real;
  return out;
}
