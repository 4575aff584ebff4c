/**
 * KITTI's frames in ours. The ego frame `base_link` is on the road below the Velodyne (x forward,
 * y left, z up); the Velodyne sits `VELODYNE_HEIGHT_M` above it (KITTI's setup: 1.73 m); the
 * camera frame `camera_2` is KITTI's rectified camera frame (x right, y down, z forward), in which
 * `P2` projects, so a viewer that applies the transform and then P2 lands on the image exactly.
 */
import type { GroundTruthObject, ObjectClass, Quaternion, Vec3 } from "../../types";
import type { KittiCalibration, KittiLabel } from "./kittiFiles";

export const VELODYNE_HEIGHT_M = 1.73;

/** 4×4 row-major. */
export type Mat4 = number[];

function mat4From3x4(m: readonly number[]): Mat4 {
  return [...m.slice(0, 4), ...m.slice(4, 8), ...m.slice(8, 12), 0, 0, 0, 1];
}

function mat4From3x3(m: readonly number[]): Mat4 {
  return [m[0]!, m[1]!, m[2]!, 0, m[3]!, m[4]!, m[5]!, 0, m[6]!, m[7]!, m[8]!, 0, 0, 0, 0, 1];
}

export function multiply(a: Mat4, b: Mat4): Mat4 {
  const out = new Array<number>(16).fill(0);
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) for (let k = 0; k < 4; k++) out[r * 4 + c]! += a[r * 4 + k]! * b[k * 4 + c]!;
  return out;
}

/** Inverse of a rigid (or near-rigid, as R0_rect·Tr is) transform by full Gauss-Jordan elimination. */
export function invert(m: Mat4): Mat4 {
  const a = m.slice();
  const inv: number[] = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  for (let c = 0; c < 4; c++) {
    let pivot = c;
    for (let r = c + 1; r < 4; r++) if (Math.abs(a[r * 4 + c]!) > Math.abs(a[pivot * 4 + c]!)) pivot = r;
    for (const x of [a, inv]) for (let k = 0; k < 4; k++) [x[c * 4 + k], x[pivot * 4 + k]] = [x[pivot * 4 + k]!, x[c * 4 + k]!];
    const d = a[c * 4 + c]!;
    for (let k = 0; k < 4; k++) {
      a[c * 4 + k]! /= d;
      inv[c * 4 + k]! /= d;
    }
    for (let r = 0; r < 4; r++) {
      if (r === c) continue;
      const f = a[r * 4 + c]!;
      for (let k = 0; k < 4; k++) {
        a[r * 4 + k]! -= f * a[c * 4 + k]!;
        inv[r * 4 + k]! -= f * inv[c * 4 + k]!;
      }
    }
  }
  return inv;
}

export function transformPoint(m: Mat4, p: Vec3): Vec3 {
  return {
    x: m[0]! * p.x + m[1]! * p.y + m[2]! * p.z + m[3]!,
    y: m[4]! * p.x + m[5]! * p.y + m[6]! * p.z + m[7]!,
    z: m[8]! * p.x + m[9]! * p.y + m[10]! * p.z + m[11]!,
  };
}

function rotateVector(m: Mat4, v: Vec3): Vec3 {
  return {
    x: m[0]! * v.x + m[1]! * v.y + m[2]! * v.z,
    y: m[4]! * v.x + m[5]! * v.y + m[6]! * v.z,
    z: m[8]! * v.x + m[9]! * v.y + m[10]! * v.z,
  };
}

/** The unit quaternion of a 4×4's rotation part (re-orthonormalised by the formula's normalisation). */
export function quaternionOf(m: Mat4): Quaternion {
  const [r00, r01, r02, r10, r11, r12, r20, r21, r22] = [m[0]!, m[1]!, m[2]!, m[4]!, m[5]!, m[6]!, m[8]!, m[9]!, m[10]!];
  const trace = r00 + r11 + r22;
  let q: Quaternion;
  if (trace > 0) {
    const s = Math.sqrt(trace + 1) * 2;
    q = { w: s / 4, x: (r21 - r12) / s, y: (r02 - r20) / s, z: (r10 - r01) / s };
  } else if (r00 > r11 && r00 > r22) {
    const s = Math.sqrt(1 + r00 - r11 - r22) * 2;
    q = { w: (r21 - r12) / s, x: s / 4, y: (r01 + r10) / s, z: (r02 + r20) / s };
  } else if (r11 > r22) {
    const s = Math.sqrt(1 + r11 - r00 - r22) * 2;
    q = { w: (r02 - r20) / s, x: (r01 + r10) / s, y: s / 4, z: (r12 + r21) / s };
  } else {
    const s = Math.sqrt(1 + r22 - r00 - r11) * 2;
    q = { w: (r10 - r01) / s, x: (r02 + r20) / s, y: (r12 + r21) / s, z: s / 4 };
  }
  const n = Math.hypot(q.x, q.y, q.z, q.w);
  return { x: q.x / n, y: q.y / n, z: q.z / n, w: q.w / n };
}

/** The transforms of one calibration: base_link ← velodyne, base_link ← camera_2 (rectified camera), as 4×4s. */
export function rigTransforms(cal: KittiCalibration): { baseFromVelo: Mat4; baseFromCam: Mat4; veloFromCam: Mat4 } {
  const camFromVelo = multiply(mat4From3x3(cal.R0), mat4From3x4(cal.TrVeloToCam));
  const veloFromCam = invert(camFromVelo);
  const baseFromVelo: Mat4 = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, VELODYNE_HEIGHT_M, 0, 0, 0, 1];
  return { baseFromVelo, baseFromCam: multiply(baseFromVelo, veloFromCam), veloFromCam };
}

/**
 * KITTI's classes in ours. A van is a car (as nuScenes counts vans); a tram, `Misc` and
 * `DontCare` have no class of ours and are left out of the ground truth.
 */
const CLASS_OF: Readonly<Record<string, ObjectClass>> = {
  Car: "car",
  Van: "car",
  Truck: "truck",
  Pedestrian: "pedestrian",
  Person_sitting: "pedestrian",
  Cyclist: "cyclist",
};

export function kittiClass(type: string): ObjectClass | undefined {
  return CLASS_OF[type];
}

/** A label as a ground-truth object in base_link: the box centre (KITTI gives its bottom), yaw from rotation_y. */
export function labelToObject(label: KittiLabel, id: number, baseFromCam: Mat4): GroundTruthObject | undefined {
  const classification = kittiClass(label.type);
  if (!classification) return undefined;
  const centre = transformPoint(baseFromCam, { x: label.x, y: label.y - label.h / 2, z: label.z });
  // The heading in the camera frame (rotation about its y axis, which points down), then in ours.
  const heading = rotateVector(baseFromCam, { x: Math.cos(label.ry), y: 0, z: -Math.sin(label.ry) });
  return {
    id,
    classification,
    position: centre,
    size: { x: label.l, y: label.w, z: label.h },
    yawRad: Math.atan2(heading.y, heading.x),
    velocity: { x: 0, y: 0, z: 0 },
    sirenOn: false,
    visibility: {},
  };
}
