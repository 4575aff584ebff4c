import { buildPartTable, hit, intersectPart, type PartTable } from "./geometry";
import { hashNoise, type Prng } from "./Prng";
import { CAMERA_MOUNT, type CameraIntrinsics } from "./rig";
import type { BodyState, World, WorldSnapshot } from "./world";

// Globals are looked up through a slow path inside Jest's sandbox; module constants are not.
const M = Math;
const INF = 1 / 0;

export type CameraRenderOptions = {
  /** Fog extinction coefficient β (1/m); 0 = clear. */
  beta: number;
  night: boolean;
  /** Per-pixel sensor noise source; null renders noise-free (tests). */
  noise: Prng | null;
};

export type CameraRender = {
  width: number;
  height: number;
  /** RGB8, row-major, after fog and noise. */
  rgb: Uint8Array;
  /** Fog-free radiance J per pixel (float RGB), kept for physics checks. */
  radiance: Float32Array;
  /** Euclidean distance from the camera along each pixel's ray (m); Infinity for sky. */
  depth: Float32Array;
  /** Body index (into snapshot.bodies) seen at each pixel, −1 for road and sky. */
  bodyIndex: Int32Array;
  /** Per body index: pixels where the body is the nearest surface. */
  visiblePixels: Int32Array;
  /** Per body index: pixels the body covers ignoring occlusion by other bodies. */
  coveredPixels: Int32Array;
};

const SUN = (() => {
  const v = [-0.35, 0.45, 0.82];
  const n = M.hypot(v[0]!, v[1]!, v[2]!);
  return [v[0]! / n, v[1]! / n, v[2]! / n] as const;
})();

const SKY_HORIZON = [205, 215, 232] as const;
const SKY_ZENITH = [95, 140, 210] as const;
/** Fog airlight A (day): the horizon sky's brightness, slightly bluish white. */
export const AIRLIGHT_DAY = [200, 202, 208] as const;
export const AIRLIGHT_NIGHT = [18, 18, 22] as const;

const NEAR = 0.05;
const cornerX = new Float64Array(8);
const cornerY = new Float64Array(8);
const cornerZ = new Float64Array(8);
/** The 12 edges of a box whose corners are numbered by bits (x = 1, y = 2, z = 4). */
const BOX_EDGES: ReadonlyArray<readonly [number, number]> = (() => {
  const edges: Array<[number, number]> = [];
  for (let i = 0; i < 8; i++) for (const bit of [1, 2, 4]) if (!(i & bit)) edges.push([i, i | bit]);
  return edges;
})();

type RayCache = { key: string; dx: Float32Array; dy: Float32Array; dz: Float32Array };
let rayCache: RayCache | undefined;

/** Unit ray directions in ego-aligned axes (x forward, y left, z up) through pixel centres. */
function pixelRays(k: CameraIntrinsics): RayCache {
  const key = `${k.width}x${k.height}:${k.fx}:${k.fy}:${k.cx}:${k.cy}`;
  if (rayCache?.key === key) return rayCache;
  const n = k.width * k.height;
  const dx = new Float32Array(n);
  const dy = new Float32Array(n);
  const dz = new Float32Array(n);
  for (let v = 0; v < k.height; v++) {
    for (let u = 0; u < k.width; u++) {
      const i = v * k.width + u;
      const a = 1;
      const b = -(u + 0.5 - k.cx) / k.fx;
      const c = -(v + 0.5 - k.cy) / k.fy;
      const len = M.hypot(a, b, c);
      dx[i] = a / len;
      dy[i] = b / len;
      dz[i] = c / len;
    }
  }
  rayCache = { key, dx, dy, dz };
  return rayCache;
}

/** Road surface albedo at world (x, y): asphalt with lane markings, gravel shoulder, grass. */
export function groundAlbedo(world: World, x: number, y: number, out: Float32Array): number {
  // returns LiDAR reflectivity; writes albedo RGB into out[0..2]
  const n = 0.88 + 0.24 * hashNoise(M.floor(x * 3), M.floor(y * 3), 7);
  if (y <= world.roadLeftY && y >= world.roadRightY) {
    for (const ly of world.edgeLinesY) {
      const centre = ly > 0 ? ly - 0.15 : ly + 0.15;
      if (M.abs(y - centre) < 0.08) {
        out[0] = out[1] = out[2] = 230;
        return 0.6;
      }
    }
    for (const ly of world.dashedLinesY) {
      if (M.abs(y - ly) < 0.075 && ((x % 12) + 12) % 12 < 4) {
        out[0] = out[1] = out[2] = 230;
        return 0.6;
      }
    }
    out[0] = 82 * n;
    out[1] = 82 * n;
    out[2] = 86 * n;
    return 0.1;
  }
  const shoulder = world.scenario.road.shoulderM;
  if (y <= world.roadLeftY + shoulder && y >= world.roadRightY - shoulder) {
    out[0] = 125 * n;
    out[1] = 115 * n;
    out[2] = 100 * n;
    return 0.2;
  }
  out[0] = 62 * n;
  out[1] = 112 * n;
  out[2] = 50 * n;
  return 0.25;
}

/**
 * Renders the front camera by casting one ray per pixel against the ground plane and the
 * bodies' boxes (culled by their projected bounding rectangle), shading with a fixed sun, then
 * applying Koschmieder fog per pixel with the ray's true length.
 */
export function renderCamera(world: World, snap: WorldSnapshot, k: CameraIntrinsics, opts: CameraRenderOptions): CameraRender {
  const n = k.width * k.height;
  const rays = pixelRays(k);
  const ox = snap.ego.x + CAMERA_MOUNT.x;
  const oy = snap.ego.y + CAMERA_MOUNT.y;
  const camH = CAMERA_MOUNT.z;
  const radiance = new Float32Array(n * 3);
  const depth = new Float32Array(n);
  const bodyIndex = new Int32Array(n).fill(-1);
  const ambient = opts.night ? 0.06 : 1;
  const frame: Frame = { W: k.width, H: k.height, rays, radiance, depth, bodyIndex, night: opts.night, ambient };
  shadeGroundAndSky(world, frame, ox, oy, camH);

  // Bodies, with a depth test against what is already drawn.
  const table = buildPartTable(snap.bodies, ox, oy, camH);
  const visiblePixels = new Int32Array(snap.bodies.length);
  const coveredPixels = new Int32Array(snap.bodies.length);
  for (let bi = 0; bi < snap.bodies.length; bi++) {
    const rect = projectedRect(snap.bodies[bi]!, ox, oy, camH, k);
    if (rect !== undefined) drawBody(frame, table, bi, rect, coveredPixels);
  }
  for (let i = 0; i < n; i++) {
    const bi = bodyIndex[i]!;
    if (bi >= 0) visiblePixels[bi]!++;
  }
  const rgb = fogNoiseAndQuantise(frame, opts);
  return { width: k.width, height: k.height, rgb, radiance, depth, bodyIndex, visiblePixels, coveredPixels };
}

/** The image being rendered and what every pass needs of it. */
type Frame = {
  W: number;
  H: number;
  rays: RayCache;
  radiance: Float32Array;
  depth: Float32Array;
  bodyIndex: Int32Array;
  night: boolean;
  ambient: number;
};

/** Pixel rectangle [ua, ub] × [va, vb] (inclusive) to ray-cast a body in. */
type PixelRect = { ua: number; ub: number; va: number; vb: number };

/** First pass: every pixel gets the road surface (lit by the sun, and the headlights at night) or the sky. */
function shadeGroundAndSky(world: World, f: Frame, ox: number, oy: number, camH: number): void {
  const { rays, radiance, depth, night, ambient } = f;
  const albedo = new Float32Array(3);
  const n = f.W * f.H;
  for (let i = 0; i < n; i++) {
    const dz = rays.dz[i]!;
    if (dz < -1e-6) {
      const t = camH / -dz;
      const gx = ox + rays.dx[i]! * t;
      const gy = oy + rays.dy[i]! * t;
      groundAlbedo(world, gx, gy, albedo);
      let light = ambient * (0.55 + 0.45 * SUN[2]);
      if (night) light += headlight(t);
      radiance[i * 3] = albedo[0]! * light;
      radiance[i * 3 + 1] = albedo[1]! * light;
      radiance[i * 3 + 2] = albedo[2]! * light;
      depth[i] = t;
    } else {
      const h = M.min(1, M.max(0, dz * 3));
      const s = night ? 0.08 : 1;
      radiance[i * 3] = s * (SKY_HORIZON[0] + (SKY_ZENITH[0] - SKY_HORIZON[0]) * h);
      radiance[i * 3 + 1] = s * (SKY_HORIZON[1] + (SKY_ZENITH[1] - SKY_HORIZON[1]) * h);
      radiance[i * 3 + 2] = s * (SKY_HORIZON[2] + (SKY_ZENITH[2] - SKY_HORIZON[2]) * h);
      depth[i] = INF;
    }
  }
}

/**
 * Projected bounding rectangle of the body's box, clipped against the near plane x = NEAR so
 * that boxes reaching behind the camera (guard rails alongside) still get a tight rectangle;
 * undefined when the body is behind the camera, too far, or off the image.
 */
function projectedRect(b: BodyState, ox: number, oy: number, camH: number, k: CameraIntrinsics): PixelRect | undefined {
  const maxDist = 400;
  const rx = b.x - ox;
  const ry = b.y - oy;
  const radius = 0.5 * M.hypot(b.body.length, b.body.width);
  if (rx + radius < NEAR || M.hypot(rx, ry) - radius > maxDist) return undefined;
  const c = M.cos(b.yaw);
  const s = M.sin(b.yaw);
  for (let corner = 0; corner < 8; corner++) {
    const lx = (corner & 1 ? 0.5 : -0.5) * b.body.length;
    const ly = (corner & 2 ? 0.5 : -0.5) * b.body.width;
    const lz = (corner & 4 ? 0.5 : -0.5) * b.body.height;
    cornerX[corner] = rx + c * lx - s * ly;
    cornerY[corner] = ry + s * lx + c * ly;
    cornerZ[corner] = b.z + lz - camH;
  }
  let u0 = INF;
  let u1 = -INF;
  let v0 = INF;
  let v1 = -INF;
  const addPoint = (px: number, py: number, pz: number): void => {
    const u = k.cx - (k.fx * py) / px;
    const v = k.cy - (k.fy * pz) / px;
    if (u < u0) u0 = u;
    if (u > u1) u1 = u;
    if (v < v0) v0 = v;
    if (v > v1) v1 = v;
  };
  for (let corner = 0; corner < 8; corner++) {
    if (cornerX[corner]! >= NEAR) addPoint(cornerX[corner]!, cornerY[corner]!, cornerZ[corner]!);
  }
  for (const [a, e] of BOX_EDGES) {
    const xa = cornerX[a]!;
    const xe = cornerX[e]!;
    if (xa < NEAR === xe < NEAR) continue;
    const f = (NEAR - xa) / (xe - xa);
    addPoint(NEAR, cornerY[a]! + f * (cornerY[e]! - cornerY[a]!), cornerZ[a]! + f * (cornerZ[e]! - cornerZ[a]!));
  }
  if (u0 === INF) return undefined;
  const rect = {
    ua: M.max(0, M.floor(u0)),
    ub: M.min(k.width - 1, M.ceil(u1)),
    va: M.max(0, M.floor(v0)),
    vb: M.min(k.height - 1, M.ceil(v1)),
  };
  return rect.ua > rect.ub || rect.va > rect.vb ? undefined : rect;
}

/** Ray-casts body `bi` in its rectangle; where it is nearer than what is drawn, it is shaded and becomes the pixel's body. */
function drawBody(f: Frame, table: PartTable, bi: number, rect: PixelRect, coveredPixels: Int32Array): void {
  const { W, rays, radiance, depth, bodyIndex, night, ambient } = f;
  const b = table.bodies[bi]!;
  const pStart = table.bodyStart[bi]!;
  const pEnd = table.bodyEnd[bi]!;
  for (let v = rect.va; v <= rect.vb; v++) {
    for (let u = rect.ua; u <= rect.ub; u++) {
      const i = v * W + u;
      const dx = rays.dx[i]!;
      const dy = rays.dy[i]!;
      const dz = rays.dz[i]!;
      let best = INF;
      let bp = -1;
      let nx = 0;
      let ny = 0;
      let nz = 0;
      for (let p = pStart; p < pEnd; p++) {
        const t = intersectPart(table.data, p, 0, 0, 0, dx, dy, dz);
        if (t < best) {
          best = t;
          bp = p;
          nx = hit.nx;
          ny = hit.ny;
          nz = hit.nz;
        }
      }
      if (bp < 0) continue;
      coveredPixels[bi]!++;
      if (best >= depth[i]!) continue;
      const part = b.body.parts[bp - pStart]!;
      const lambert = M.max(0, nx * SUN[0] + ny * SUN[1] + nz * SUN[2]);
      let light = ambient * (0.42 + 0.58 * lambert);
      if (night) light += headlight(best) * M.max(0.2, -nx);
      const emissive = night && b.body.classification === "emergency_vehicle" && part.reflectivity >= 0.7 ? 1 : 0;
      const lum = emissive ? 1 : light;
      radiance[i * 3] = part.color[0] * lum;
      radiance[i * 3 + 1] = part.color[1] * lum;
      radiance[i * 3 + 2] = part.color[2] * lum;
      depth[i] = best;
      bodyIndex[i] = bi;
    }
  }
}

/** Fog (Koschmieder per pixel with true depth), sensor noise and quantisation to RGB8. */
function fogNoiseAndQuantise(f: Frame, opts: CameraRenderOptions): Uint8Array {
  const n = f.W * f.H;
  const { radiance, depth } = f;
  const A = f.night ? AIRLIGHT_NIGHT : AIRLIGHT_DAY;
  const rgb = new Uint8Array(n * 3);
  const beta = opts.beta;
  const rng = opts.noise;
  for (let i = 0; i < n; i++) {
    const d = depth[i]!;
    const tr = beta > 0 ? M.exp(-beta * d) : 1;
    const e = rng ? (rng.next() - 0.5) * 4 : 0;
    for (let ch = 0; ch < 3; ch++) {
      const J = radiance[i * 3 + ch]!;
      const I = beta > 0 ? J * tr + A[ch]! * (1 - tr) : J;
      const q = M.round(I + e);
      rgb[i * 3 + ch] = q < 0 ? 0 : q > 255 ? 255 : q;
    }
  }
  return rgb;
}

/** Dipped-beam illumination falling off with distance (night only). */
function headlight(d: number): number {
  return 0.9 / (1 + (d / 22) * (d / 22));
}
