import type { BodyState } from "./world";

// Globals are looked up through a slow path inside Jest's sandbox; module constants are not.
const M = Math;
const INF = 1 / 0;

/**
 * Ray casting against oriented boxes (yaw only) with the slab method. Boxes are flattened into a
 * Float64Array, `PART_STRIDE` numbers each, expressed relative to a sensor origin with axes
 * parallel to the ego frame, so that the inner loops of the LiDAR and camera touch no objects.
 */
export const PART_STRIDE = 10;
// layout: cx, cy, cz, cos(yaw), sin(yaw), hx, hy, hz, reflectivity, body index

export type PartTable = {
  data: Float64Array;
  count: number;
  /** Part index range [start, end) of each body, by body index. */
  bodyStart: Int32Array;
  bodyEnd: Int32Array;
  bodies: BodyState[];
};

/** Flattens every part of every body, relative to `origin` (world coordinates). */
export function buildPartTable(bodies: BodyState[], ox: number, oy: number, oz: number): PartTable {
  let count = 0;
  for (const b of bodies) count += b.body.parts.length;
  const data = new Float64Array(count * PART_STRIDE);
  const bodyStart = new Int32Array(bodies.length);
  const bodyEnd = new Int32Array(bodies.length);
  let k = 0;
  bodies.forEach((b, bi) => {
    const c = M.cos(b.yaw);
    const s = M.sin(b.yaw);
    bodyStart[bi] = k;
    for (const p of b.body.parts) {
      const o = k * PART_STRIDE;
      data[o] = b.x + c * p.cx - s * p.cy - ox;
      data[o + 1] = b.y + s * p.cx + c * p.cy - oy;
      data[o + 2] = b.z + p.cz - oz;
      data[o + 3] = c;
      data[o + 4] = s;
      data[o + 5] = p.length / 2;
      data[o + 6] = p.width / 2;
      data[o + 7] = p.height / 2;
      data[o + 8] = p.reflectivity;
      data[o + 9] = bi;
      k++;
    }
    bodyEnd[bi] = k;
  });
  return { data, count, bodyStart, bodyEnd, bodies };
}

/** Result of the last `intersectPart`: entry distance and the outward normal of the entry face. */
export const hit = { t: INF, nx: 0, ny: 0, nz: 0 };

/**
 * Distance along the ray (origin o, unit direction d, both relative to the table origin) to part
 * `p`, or Infinity. A ray starting inside the box is a miss: sensors are never inside objects.
 * The three slabs are written out (no helper per slab): this is the innermost loop of the LiDAR
 * and the camera.
 */
export function intersectPart(
  data: Float64Array,
  p: number,
  ox: number,
  oy: number,
  oz: number,
  dx: number,
  dy: number,
  dz: number,
): number {
  const o = p * PART_STRIDE;
  const c = data[o + 3]!;
  const s = data[o + 4]!;
  const rx = ox - data[o]!;
  const ry = oy - data[o + 1]!;
  const lx = c * rx + s * ry;
  const ly = -s * rx + c * ry;
  const lz = oz - data[o + 2]!;
  const ldx = c * dx + s * dy;
  const ldy = -s * dx + c * dy;
  const hx = data[o + 5]!;
  const hy = data[o + 6]!;
  const hz = data[o + 7]!;
  let tmin = -INF;
  let tmax = INF;
  let axis = -1;
  let sign = 0;
  // x slab
  if (ldx > -1e-12 && ldx < 1e-12) {
    if (lx < -hx || lx > hx) return INF;
  } else {
    const inv = 1 / ldx;
    const ta = (-hx - lx) * inv;
    const tb = (hx - lx) * inv;
    const swap = ta > tb;
    const t1 = swap ? tb : ta;
    const t2 = swap ? ta : tb;
    if (t1 > tmin) {
      tmin = t1;
      axis = 0;
      sign = ldx > 0 ? -1 : 1;
    }
    if (t2 < tmax) tmax = t2;
  }
  if (ldy > -1e-12 && ldy < 1e-12) {
    if (ly < -hy || ly > hy) return INF;
  } else {
    const inv = 1 / ldy;
    const ta = (-hy - ly) * inv;
    const tb = (hy - ly) * inv;
    const swap = ta > tb;
    const t1 = swap ? tb : ta;
    const t2 = swap ? ta : tb;
    if (t1 > tmin) {
      tmin = t1;
      axis = 1;
      sign = ldy > 0 ? -1 : 1;
    }
    if (t2 < tmax) tmax = t2;
    if (tmin > tmax) return INF;
  }
  if (dz > -1e-12 && dz < 1e-12) {
    if (lz < -hz || lz > hz) return INF;
  } else {
    const inv = 1 / dz;
    const ta = (-hz - lz) * inv;
    const tb = (hz - lz) * inv;
    const swap = ta > tb;
    const t1 = swap ? tb : ta;
    const t2 = swap ? ta : tb;
    if (t1 > tmin) {
      tmin = t1;
      axis = 2;
      sign = dz > 0 ? -1 : 1;
    }
    if (t2 < tmax) tmax = t2;
  }
  if (tmin > tmax || tmin <= 0) return INF;
  setHit(tmin, axis, sign, c, s);
  return tmin;
}

/** Records a hit at `t`: the outward normal of the entry face (slab `axis` of a box turned by yaw (c, s)) goes into `hit`. */
function setHit(t: number, axis: number, sign: number, c: number, s: number): void {
  hit.t = t;
  if (axis === 0) {
    hit.nx = c * sign;
    hit.ny = s * sign;
    hit.nz = 0;
  } else if (axis === 1) {
    hit.nx = -s * sign;
    hit.ny = c * sign;
    hit.nz = 0;
  } else {
    hit.nx = 0;
    hit.ny = 0;
    hit.nz = sign;
  }
}

/** The 8 corners of a body's box in world coordinates, as [x0,y0,z0, x1,...]. */
export function boxCorners(b: BodyState): number[] {
  const c = M.cos(b.yaw);
  const s = M.sin(b.yaw);
  const out: number[] = [];
  for (const sx of [-1, 1]) {
    for (const sy of [-1, 1]) {
      for (const sz of [-1, 1]) {
        const lx = (sx * b.body.length) / 2;
        const ly = (sy * b.body.width) / 2;
        out.push(b.x + c * lx - s * ly, b.y + s * lx + c * ly, b.z + (sz * b.body.height) / 2);
      }
    }
  }
  return out;
}

/** Whether world point (x, y, z) lies inside the body's box grown by `margin` metres. */
export function insideBox(b: BodyState, x: number, y: number, z: number, margin = 0): boolean {
  const c = M.cos(b.yaw);
  const s = M.sin(b.yaw);
  const rx = x - b.x;
  const ry = y - b.y;
  const lx = c * rx + s * ry;
  const ly = -s * rx + c * ry;
  return M.abs(lx) <= b.body.length / 2 + margin && M.abs(ly) <= b.body.width / 2 + margin && M.abs(z - b.z) <= b.body.height / 2 + margin;
}
