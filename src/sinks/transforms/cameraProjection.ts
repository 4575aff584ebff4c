import type { CameraCalibration, SceneObject, Vec3 } from "../../types";
import { rotate, toChild, type Rigid } from "./rigid";

export type Pixel = { x: number; y: number };
export type Segment = [Pixel, Pixel];

/** Points closer to the image plane than this (m, along the optical axis) are behind the camera for drawing. */
const NEAR_M = 0.1;
/** Size drawn for an object no sensor has measured yet (as the 3D boxes). */
const DEFAULT_SIZE: Vec3 = { x: 1, y: 1, z: 1.5 };

/** The intrinsics used to project: K (the raw image) with D for plumb_bob; P's left 3×3 when K is empty. */
type Intrinsics = { fx: number; fy: number; cx: number; cy: number; D: readonly number[] };

function intrinsicsOf(cal: CameraCalibration): Intrinsics | undefined {
  const [fx, , cx, , fy, cy] = cal.K;
  if (fx !== undefined && fy !== undefined && cx !== undefined && cy !== undefined && fx > 0 && fy > 0) {
    const model = cal.distortionModel.toLowerCase();
    const distorted = (model === "plumb_bob" || model === "rational_polynomial") && cal.D.some((d) => d !== 0);
    return { fx, fy, cx, cy, D: distorted ? cal.D : [] };
  }
  const [pfx, , pcx, , , pfy, pcy] = cal.P;
  if (pfx !== undefined && pfy !== undefined && pcx !== undefined && pcy !== undefined && pfx > 0 && pfy > 0)
    return { fx: pfx, fy: pfy, cx: pcx, cy: pcy, D: [] };
  return undefined;
}

/**
 * A point in the camera's optical frame (z forward, x right, y down) to image pixels in
 * Foxglove's convention (the origin at the top-left corner of the top-left pixel, so pixel
 * centres are at +0.5): the pinhole model with plumb_bob / rational_polynomial distortion (the
 * OpenCV model ROS uses). Undefined for a point at or behind the near plane.
 */
export function projectPoint(p: Vec3, cal: CameraCalibration): Pixel | undefined {
  const k = intrinsicsOf(cal);
  if (k === undefined || p.z < NEAR_M - 1e-9) return undefined;
  let x = p.x / p.z;
  let y = p.y / p.z;
  if (k.D.length > 0) {
    const [k1 = 0, k2 = 0, p1 = 0, p2 = 0, k3 = 0, k4 = 0, k5 = 0, k6 = 0] = k.D;
    const r2 = x * x + y * y;
    const radial = (1 + r2 * (k1 + r2 * (k2 + r2 * k3))) / (1 + r2 * (k4 + r2 * (k5 + r2 * k6)));
    const xd = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x);
    const yd = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y;
    x = xd;
    y = yd;
  }
  return { x: k.fx * x + k.cx + 0.5, y: k.fy * y + k.cy + 0.5 };
}

/** The 8 corners of an object's box (centre, size along its yaw, height along z), in the object's frame. */
export function boxCorners(o: SceneObject): Vec3[] {
  const size = o.size ?? DEFAULT_SIZE;
  const yaw = o.yawRad ?? 0;
  const q = { x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) };
  const out: Vec3[] = [];
  for (const sz of [-1, 1])
    for (const [sx, sy] of [
      [1, 1],
      [1, -1],
      [-1, -1],
      [-1, 1],
    ] as const) {
      const c = rotate(q, { x: (sx * size.x) / 2, y: (sy * size.y) / 2, z: (sz * size.z) / 2 });
      out.push({ x: o.position.x + c.x, y: o.position.y + c.y, z: o.position.z + c.z });
    }
  return out;
}

/** Corner index pairs of a box's 12 edges: bottom loop, top loop, uprights. */
const EDGES: readonly [number, number][] = [
  [0, 1],
  [1, 2],
  [2, 3],
  [3, 0],
  [4, 5],
  [5, 6],
  [6, 7],
  [7, 4],
  [0, 4],
  [1, 5],
  [2, 6],
  [3, 7],
];

const lerp = (a: Vec3, b: Vec3, t: number): Vec3 => ({ x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t, z: a.z + (b.z - a.z) * t });

/** The part of a 3D segment in front of the near plane, or undefined. */
function clipNear(a: Vec3, b: Vec3): [Vec3, Vec3] | undefined {
  if (a.z < NEAR_M && b.z < NEAR_M) return undefined;
  if (a.z >= NEAR_M && b.z >= NEAR_M) return [a, b];
  const t = (NEAR_M - a.z) / (b.z - a.z);
  const m = lerp(a, b, t);
  return a.z < NEAR_M ? [m, b] : [a, m];
}

/** Liang–Barsky: the part of a 2D segment inside [0, w] × [0, h], or undefined. */
export function clipToImage(a: Pixel, b: Pixel, width: number, height: number): Segment | undefined {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  let t0 = 0;
  let t1 = 1;
  const sides: [number, number][] = [
    [-dx, a.x],
    [dx, width - a.x],
    [-dy, a.y],
    [dy, height - a.y],
  ];
  for (const [p, q] of sides) {
    if (p === 0) {
      if (q < 0) return undefined;
      continue;
    }
    const r = q / p;
    if (p < 0) t0 = Math.max(t0, r);
    else t1 = Math.min(t1, r);
    if (t0 > t1) return undefined;
  }
  return [
    { x: a.x + t0 * dx, y: a.y + t0 * dy },
    { x: a.x + t1 * dx, y: a.y + t1 * dy },
  ];
}

/**
 * An object's box as it appears in one camera: its 12 edges moved into the camera frame
 * (`cameraFromScene` = scene frame ← camera frame), cut at the near plane, projected, and cut to
 * the image. With distortion each edge is drawn as 8 pieces so it bends as the image does; a
 * piece whose ends fall far outside the field of view (where the distortion polynomial folds
 * back) is dropped. Empty when the box is behind the camera or outside the image.
 */
export function projectBox(o: SceneObject, cameraFromScene: Rigid, cal: CameraCalibration): Segment[] {
  const k = intrinsicsOf(cal);
  if (k === undefined || !(cal.width > 0 && cal.height > 0)) return [];
  const corners = boxCorners(o).map((c) => toChild(cameraFromScene, c));
  const pieces = k.D.length > 0 ? 8 : 1;
  // Undistorted normalised coordinates beyond this are outside the lens's useful field of view.
  const reach = 1.5 * Math.max(cal.width / k.fx, cal.height / k.fy);
  const inView = (p: Vec3): boolean => Math.abs(p.x / p.z) <= reach && Math.abs(p.y / p.z) <= reach;
  const out: Segment[] = [];
  for (const [i, j] of EDGES) {
    const front = clipNear(corners[i]!, corners[j]!);
    if (front === undefined) continue;
    for (let s = 0; s < pieces; s++) {
      const a = lerp(front[0], front[1], s / pieces);
      const b = lerp(front[0], front[1], (s + 1) / pieces);
      if (pieces > 1 && !(inView(a) && inView(b))) continue;
      const pa = projectPoint(a, cal);
      const pb = projectPoint(b, cal);
      if (pa === undefined || pb === undefined) continue;
      const seg = clipToImage(pa, pb, cal.width, cal.height);
      if (seg !== undefined) out.push(seg);
    }
  }
  return out;
}
