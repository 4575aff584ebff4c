import type { CameraCalibration, Vec3 } from "../../types";
import { rotationMatrix, type Extrinsics } from "../common/extrinsics";

/*
 * Pinhole geometry between image pixels and the ego frame. Pixel (u, v) is continuous with pixel
 * i spanning [i, i + 1), so u = cx + fx·X/Z in the optical frame (x right, y down, z forward).
 * Extrinsics are ego ← optical: p_ego = R·p_cam + t.
 */

export type Intrinsics = { fx: number; fy: number; cx: number; cy: number; width: number; height: number };

/** Intrinsics from a CameraCalibration (K row-major); throws a RangeError naming the topic when K is unusable. */
export function intrinsicsOf(calib: CameraCalibration): Intrinsics {
  const K = calib.K;
  const fx = K[0];
  const fy = K[4];
  const cx = K[2];
  const cy = K[5];
  if (K.length !== 9 || !(fx! > 0) || !(fy! > 0) || !Number.isFinite(cx) || !Number.isFinite(cy)) {
    throw new RangeError(`camera calibration on ${calib.topic}: K must be 9 finite numbers with fx, fy > 0, got [${K.join(", ")}]`);
  }
  return { fx: fx!, fy: fy!, cx: cx!, cy: cy!, width: calib.width, height: calib.height };
}

/** An ego point in the image: pixel (u, v) and depth along the optical axis (m); depth ≤ 0 is behind the camera. */
export function projectEgoPoint(p: Vec3, k: Intrinsics, e: Extrinsics): { u: number; v: number; depth: number } {
  const R = rotationMatrix(e.rotation);
  const dx = p.x - e.translation.x;
  const dy = p.y - e.translation.y;
  const dz = p.z - e.translation.z;
  // p_cam = Rᵀ·(p − t)
  const X = R[0]! * dx + R[3]! * dy + R[6]! * dz;
  const Y = R[1]! * dx + R[4]! * dy + R[7]! * dz;
  const Z = R[2]! * dx + R[5]! * dy + R[8]! * dz;
  return { u: k.cx + (k.fx * X) / Z, v: k.cy + (k.fy * Y) / Z, depth: Z };
}

/** The ego point at pixel (u, v) and optical-axis depth `depth` (m). */
export function backProject(u: number, v: number, depth: number, k: Intrinsics, e: Extrinsics): Vec3 {
  const R = rotationMatrix(e.rotation);
  const X = ((u - k.cx) / k.fx) * depth;
  const Y = ((v - k.cy) / k.fy) * depth;
  const Z = depth;
  return {
    x: R[0]! * X + R[1]! * Y + R[2]! * Z + e.translation.x,
    y: R[3]! * X + R[4]! * Y + R[5]! * Z + e.translation.y,
    z: R[6]! * X + R[7]! * Y + R[8]! * Z + e.translation.z,
  };
}

/**
 * Optical-axis depth (m) at which the ray through pixel (u, v) meets the ground plane ego z =
 * `groundZ`; undefined when the ray does not go down to it (at or above the horizon).
 */
export function groundPlaneDepth(u: number, v: number, k: Intrinsics, e: Extrinsics, groundZ = 0): number | undefined {
  const R = rotationMatrix(e.rotation);
  // Ego z of the ray point at unit depth, relative to the camera: dz(depth) = depth · (R[6]·x̂ + R[7]·ŷ + R[8]).
  const slope = R[6]! * ((u - k.cx) / k.fx) + R[7]! * ((v - k.cy) / k.fy) + R[8]!;
  const drop = groundZ - e.translation.z;
  if (!(slope < -1e-9) || !(drop < 0)) return undefined;
  return drop / slope;
}

/**
 * 3×3 ego covariance (m², row-major) of a camera detection at `p`, seen from `origin`: `sigmaRange`
 * along the line of sight, `sigmaRange` laterally and vertically from the angular error.
 */
export function lineOfSightCovariance(p: Vec3, origin: Vec3, sigmaRange: number, sigmaAngleRad: number): number[] {
  const dx = p.x - origin.x;
  const dy = p.y - origin.y;
  const dz = p.z - origin.z;
  const r = Math.max(1e-6, Math.hypot(dx, dy, dz));
  const d = [dx / r, dy / r, dz / r];
  const h = Math.max(1e-9, Math.hypot(d[0]!, d[1]!));
  const e = [-d[1]! / h, d[0]! / h, 0];
  // up vector orthogonal to d and e
  const w = [d[1]! * e[2]! - d[2]! * e[1]!, d[2]! * e[0]! - d[0]! * e[2]!, d[0]! * e[1]! - d[1]! * e[0]!];
  const sr = sigmaRange * sigmaRange;
  const sl = (sigmaAngleRad * r) ** 2;
  const C = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) C[i * 3 + j] = sr * d[i]! * d[j]! + sl * e[i]! * e[j]! + sl * w[i]! * w[j]!;
  return C;
}

/**
 * Inverse-variance fusion of two depth estimates; when they disagree by more than `gate` combined
 * standard deviations the second (a geometric prior that fails on slopes and clipped boxes) is dropped.
 */
export function fuseDepths(
  a: { depth: number; sigma: number },
  b: { depth: number; sigma: number } | undefined,
  gate = 3,
): { depth: number; sigma: number } {
  if (!b || !(b.sigma > 0) || !Number.isFinite(b.depth)) return a;
  if (Math.abs(a.depth - b.depth) > gate * Math.hypot(a.sigma, b.sigma)) return a;
  const wa = 1 / (a.sigma * a.sigma);
  const wb = 1 / (b.sigma * b.sigma);
  return { depth: (wa * a.depth + wb * b.depth) / (wa + wb), sigma: Math.sqrt(1 / (wa + wb)) };
}
