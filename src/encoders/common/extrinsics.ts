import { rotate, type FrameTransform, type Quaternion, type Vec3 } from "../../types";

/**
 * Where a sensor sits on the ego vehicle: the rigid transform ego ← sensor (the `/tf`
 * `base_link → <sensor frame>` transform). Points in the sensor frame map to the ego frame as
 * p_ego = R·p_sensor + t.
 */
export type Extrinsics = { translation: Vec3; rotation: Quaternion };

export const IDENTITY_EXTRINSICS: Extrinsics = { translation: { x: 0, y: 0, z: 0 }, rotation: { x: 0, y: 0, z: 0, w: 1 } };

/** Extrinsics from a decoded FrameTransform; `where` names it in the error for a bad quaternion. */
export function extrinsicsFromTransform(t: FrameTransform): Extrinsics {
  return checkExtrinsics(
    { translation: t.translation, rotation: t.rotation },
    `transform ${t.parentFrameId} ← ${t.childFrameId} on ${t.topic}`,
  );
}

/** Validates and normalises; throws a one-line RangeError naming `where`. */
export function checkExtrinsics(e: Extrinsics, where: string): Extrinsics {
  const { translation: t, rotation: q } = e;
  const vals = [t.x, t.y, t.z, q.x, q.y, q.z, q.w];
  if (!vals.every(Number.isFinite))
    throw new RangeError(`${where}: extrinsics must be finite numbers, got t=(${t.x}, ${t.y}, ${t.z}) q=(${q.x}, ${q.y}, ${q.z}, ${q.w})`);
  const n = Math.hypot(q.x, q.y, q.z, q.w);
  if (Math.abs(n - 1) > 1e-3) throw new RangeError(`${where}: rotation must be a unit quaternion, got norm ${n.toFixed(4)}`);
  return { translation: { ...t }, rotation: { x: q.x / n, y: q.y / n, z: q.z / n, w: q.w / n } };
}

export { rotate, rotationMatrix, yawOf } from "../../types";

export function transformPoint(R: readonly number[], t: Vec3, p: Vec3): Vec3 {
  const r = rotate(R, p);
  return { x: r.x + t.x, y: r.y + t.y, z: r.z + t.z };
}

/** R·C·Rᵀ for a row-major 3×3 covariance C. */
export function rotateCovariance(R: readonly number[], C: readonly number[]): number[] {
  const RC = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) RC[i * 3 + j]! += R[i * 3 + k]! * C[k * 3 + j]!;
  const out = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) out[i * 3 + j]! += RC[i * 3 + k]! * R[j * 3 + k]!;
  return out;
}
