import type { Quaternion, Vec3 } from "./sensors";

/*
 * Rotation helpers every tier shares (decode, pipeline and the encoders each turn quaternions
 * into matrices): pure arithmetic on the shared types, nothing else.
 */

/** Row-major 3×3 rotation matrix of a unit quaternion (not normalised here: see `normalized`). */
export function rotationMatrix(q: Quaternion): number[] {
  const { x, y, z, w } = q;
  return [
    1 - 2 * (y * y + z * z),
    2 * (x * y - z * w),
    2 * (x * z + y * w),
    2 * (x * y + z * w),
    1 - 2 * (x * x + z * z),
    2 * (y * z - x * w),
    2 * (x * z - y * w),
    2 * (y * z + x * w),
    1 - 2 * (x * x + y * y),
  ];
}

/** The quaternion scaled to unit length (a zero quaternion is left as it is). */
export function normalized(q: Quaternion): Quaternion {
  const n = Math.hypot(q.x, q.y, q.z, q.w) || 1;
  return { x: q.x / n, y: q.y / n, z: q.z / n, w: q.w / n };
}

/** R·v for a row-major 3×3 R. */
export function rotate(R: readonly number[], v: Vec3): Vec3 {
  return {
    x: R[0]! * v.x + R[1]! * v.y + R[2]! * v.z,
    y: R[3]! * v.x + R[4]! * v.y + R[5]! * v.z,
    z: R[6]! * v.x + R[7]! * v.y + R[8]! * v.z,
  };
}

/** Yaw (rad, about +z) of a rotation. */
export function yawOf(q: Quaternion): number {
  return Math.atan2(2 * (q.w * q.z + q.x * q.y), 1 - 2 * (q.y * q.y + q.z * q.z));
}
