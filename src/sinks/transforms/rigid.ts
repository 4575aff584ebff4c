import type { FrameTransform, Quaternion, Vec3 } from "../../types";

/** A rigid transform `parent ← child`: p_parent = R(rotation) · p_child + translation. */
export type Rigid = { translation: Vec3; rotation: Quaternion };

export const IDENTITY: Rigid = { translation: { x: 0, y: 0, z: 0 }, rotation: { x: 0, y: 0, z: 0, w: 1 } };

function normalised(q: Quaternion): Quaternion {
  const n = Math.hypot(q.x, q.y, q.z, q.w);
  return n > 0 ? { x: q.x / n, y: q.y / n, z: q.z / n, w: q.w / n } : IDENTITY.rotation;
}

/** Rotates `v` by the unit quaternion `q`. */
export function rotate(q: Quaternion, v: Vec3): Vec3 {
  const { x, y, z, w } = normalised(q);
  // v' = v + 2w (u × v) + 2 u × (u × v), u = (x, y, z)
  const cx = y * v.z - z * v.y;
  const cy = z * v.x - x * v.z;
  const cz = x * v.y - y * v.x;
  return {
    x: v.x + 2 * (w * cx + y * cz - z * cy),
    y: v.y + 2 * (w * cy + z * cx - x * cz),
    z: v.z + 2 * (w * cz + x * cy - y * cx),
  };
}

function multiply(a: Quaternion, b: Quaternion): Quaternion {
  return {
    w: a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z,
    x: a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
    y: a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x,
    z: a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w,
  };
}

/** `a ∘ b`: (root ← mid) ∘ (mid ← child) = root ← child. */
export function compose(a: Rigid, b: Rigid): Rigid {
  const t = rotate(a.rotation, b.translation);
  return {
    translation: { x: a.translation.x + t.x, y: a.translation.y + t.y, z: a.translation.z + t.z },
    rotation: normalised(multiply(a.rotation, b.rotation)),
  };
}

/** A point of the parent frame in the child frame: p_child = Rᵀ (p_parent − t). */
export function toChild(tf: Rigid, p: Vec3): Vec3 {
  const q = normalised(tf.rotation);
  return rotate({ x: -q.x, y: -q.y, z: -q.z, w: q.w }, { x: p.x - tf.translation.x, y: p.y - tf.translation.y, z: p.z - tf.translation.z });
}

/**
 * `root ← frame` through the mountings (each child's parent, as the recording's /tf gives it), or
 * undefined when `frame` does not hang below `root` (a loop or a missing link).
 */
export function lookupTransform(transforms: ReadonlyMap<string, FrameTransform>, root: string, frame: string): Rigid | undefined {
  let tf: Rigid = IDENTITY;
  let at = frame;
  for (let hops = 0; hops <= transforms.size; hops++) {
    if (at === root) return tf;
    const link = transforms.get(at);
    if (link === undefined) return undefined;
    tf = compose({ translation: link.translation, rotation: link.rotation }, tf);
    at = link.parentFrameId;
  }
  return undefined;
}
