/**
 * Per-match error functions of the nuScenes devkit (eval/common/utils.py), in float64 with the
 * devkit's operation order.
 */
import type { EvalBox } from "./types";
import { pyMod } from "./numpyMath";

type Quat = readonly [number, number, number, number];

/** Euclidean distance of the box centres in the xy plane (z ignored). */
export function centerDistance(gt: Pick<EvalBox, "translation">, pred: Pick<EvalBox, "translation">): number {
  const dx = pred.translation[0] - gt.translation[0];
  const dy = pred.translation[1] - gt.translation[1];
  return Math.sqrt(dx * dx + dy * dy);
}

/** L2 norm of the velocity difference (2-D). */
export function velocityL2(gt: Pick<EvalBox, "velocity">, pred: Pick<EvalBox, "velocity">): number {
  const dx = pred.velocity[0] - gt.velocity[0];
  const dy = pred.velocity[1] - gt.velocity[1];
  return Math.sqrt(dx * dx + dy * dy);
}

/**
 * IoU of two boxes aligned at the same centre and heading: Π min(size) / (Π gt + Π pred − Π min).
 * Throws when a size is not > 0 (the devkit asserts it).
 */
export function scaleIou(gtSize: readonly number[], predSize: readonly number[]): number {
  for (const [what, size] of [
    ["ground-truth", gtSize],
    ["predicted", predSize],
  ] as const) {
    if (size.length !== 3 || !size.every((s) => s > 0)) {
      throw new RangeError(`scaleIou: ${what} size [${size.join(", ")}] must be three values > 0 (width, length, height in m)`);
    }
  }
  const vGt = gtSize[0]! * gtSize[1]! * gtSize[2]!;
  const vPred = predSize[0]! * predSize[1]! * predSize[2]!;
  const inter = Math.min(gtSize[0]!, predSize[0]!) * Math.min(gtSize[1]!, predSize[1]!) * Math.min(gtSize[2]!, predSize[2]!);
  return inter / (vGt + vPred - inter);
}

/**
 * Yaw of a quaternion [w, x, y, z] the pyquaternion way: normalise unless within 1e-14 of unit
 * (a zero quaternion stays zero), rotate (1, 0, 0), take atan2 of the result's y and x.
 */
export function quaternionYaw(rotation: Quat): number {
  let [w, x, y, z] = rotation;
  const sumSq = w * w + x * x + y * y + z * z;
  if (!(Math.abs(1 - sumSq) < 1e-14)) {
    const n = Math.sqrt(sumSq);
    if (n > 0) {
      w /= n;
      x /= n;
      y /= n;
      z /= n;
    }
  }
  // Column 0 of the rotation matrix, i.e. rows 1 and 2 of Q·Q̄ᵀ, summed in index order.
  const vx = x * x + w * w + -z * z + y * -y;
  const vy = y * x + z * w + w * z + -x * -y;
  return Math.atan2(vy, vx);
}

/** The quaternion [w, x, y, z] of a rotation by `yawRad` about +z. */
export function yawToQuaternion(yawRad: number): [number, number, number, number] {
  return [Math.cos(yawRad / 2), 0, 0, Math.sin(yawRad / 2)];
}

/**
 * The devkit's `angle_diff(x, y, period)`: (x − y + P/2) mod P − P/2 (Python modulo), then
 * minus 2π if above π. Signed; the orientation error is its absolute value.
 */
export function angleDiff(x: number, y: number, period: number): number {
  let diff = pyMod(x - y + period / 2, period) - period / 2;
  if (diff > Math.PI) diff = diff - 2 * Math.PI;
  return diff;
}

/** |angle difference| of the two boxes' yaws (rad); `period` π for headings defined modulo π. */
export function yawDiff(gtRotation: Quat, predRotation: Quat, period = 2 * Math.PI): number {
  return Math.abs(angleDiff(quaternionYaw(gtRotation), quaternionYaw(predRotation), period));
}

/** 1 when the attributes agree, 0 when not, NaN when the GT has none (`""`). */
export function attrAcc(gtAttribute: string, predAttribute: string): number {
  if (gtAttribute === "") return NaN;
  return gtAttribute === predAttribute ? 1 : 0;
}

/**
 * NaN-aware cumulative mean: NaNs are skipped, positions before the first number are 0, and an
 * all-NaN input gives all ones.
 */
export function cummean(x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(x.length);
  let allNaN = true;
  for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i]!)) allNaN = false;
  if (allNaN) return out.fill(1);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (!Number.isNaN(v)) {
      sum += v;
      count++;
    }
    out[i] = count === 0 ? 0 : sum / count;
  }
  return out;
}
