import {
  BACKSCATTER_GAIN,
  BACKSCATTER_MAX_RANGE_M,
  BACKSCATTER_MEAN_EXTRA_M,
  BACKSCATTER_RATE_PER_BETA,
  LIDAR_POWER_THRESHOLD,
} from "./fog";
import { buildPartTable, hit, intersectPart, PART_STRIDE } from "./geometry";
import type { Prng } from "./Prng";
import { groundAlbedo } from "./renderCamera";
import { LIDAR_MOUNT } from "./rig";
import type { Scenario } from "./scenario";
import type { World, WorldSnapshot } from "./world";

// Globals are looked up through a slow path inside Jest's sandbox; module constants are not.
const M = Math;
const INF = 1 / 0;

export type LidarModel = {
  beams: number;
  columns: number;
  maxRangeM: number;
  /** Per beam: sin and cos of the elevation. */
  sinEl: Float64Array;
  cosEl: Float64Array;
  /** Per column: azimuth (rad, 0 forward, + left), its sin and cos. */
  azimuth: Float64Array;
  sinAz: Float64Array;
  cosAz: Float64Array;
};

export function lidarModel(cfg: Scenario["sensors"]["lidar"]): LidarModel {
  const columns = M.round(360 / cfg.azimuthResolutionDeg);
  const sinEl = new Float64Array(cfg.beams);
  const cosEl = new Float64Array(cfg.beams);
  for (let b = 0; b < cfg.beams; b++) {
    const el = cfg.beams === 1 ? 0 : cfg.minElevationDeg + ((cfg.maxElevationDeg - cfg.minElevationDeg) * b) / (cfg.beams - 1);
    sinEl[b] = M.sin((el * M.PI) / 180);
    cosEl[b] = M.cos((el * M.PI) / 180);
  }
  const azimuth = new Float64Array(columns);
  const sinAz = new Float64Array(columns);
  const cosAz = new Float64Array(columns);
  for (let c = 0; c < columns; c++) {
    // Sweep starts behind the vehicle (−180°) and turns counter-clockwise, like most spinning units.
    const az = -M.PI + (2 * M.PI * c) / columns;
    azimuth[c] = az;
    sinAz[c] = M.sin(az);
    cosAz[c] = M.cos(az);
  }
  return { beams: cfg.beams, columns, maxRangeM: cfg.maxRangeM, sinEl, cosEl, azimuth, sinAz, cosAz };
}

export type LidarSweepOptions = {
  beta: number;
  rng: Prng;
  /** Blocked azimuth sectors [from, to] (rad, counter-clockwise from `from` to `to`). */
  occludedSectors: Array<[number, number]>;
  rangeNoiseM?: number;
};

export type LidarSweep = {
  count: number;
  /** x, y, z (m, lidar frame), intensity (0..255): 4 floats per point. */
  points: Float32Array;
  ring: Uint16Array;
  /** What each point hit: body index in the snapshot, −1 ground, −2 fog backscatter. Not recorded. */
  source: Int32Array;
  /** Points per body index. */
  hitsPerBody: Int32Array;
  backscatterCount: number;
};

export const SOURCE_GROUND = -1;
export const SOURCE_FOG = -2;

function inSector(az: number, sectors: Array<[number, number]>): boolean {
  for (const [from, to] of sectors) {
    const span = (((to - from) % (2 * M.PI)) + 2 * M.PI) % (2 * M.PI);
    const rel = (((az - from) % (2 * M.PI)) + 2 * M.PI) % (2 * M.PI);
    if (rel <= span) return true;
  }
  return false;
}

/**
 * Per azimuth column, the bodies whose bounding circle it crosses (culling for the ray cast), as
 * CSR arrays: column c's bodies are colBodies[colStart[c] .. colStart[c + 1]).
 */
function bodiesByColumn(snap: WorldSnapshot, model: LidarModel, ox: number, oy: number): { colStart: Int32Array; colBodies: Int32Array } {
  const { columns, maxRangeM } = model;
  const colStart = new Int32Array(columns + 1);
  const spans: Array<[number, number, number]> = [];
  const colStep = (2 * M.PI) / columns;
  for (let bi = 0; bi < snap.bodies.length; bi++) {
    const b = snap.bodies[bi]!;
    const rx = b.x - ox;
    const ry = b.y - oy;
    const r = 0.5 * M.hypot(b.body.length, b.body.width) + 0.05;
    const dist = M.hypot(rx, ry);
    if (dist - r > maxRangeM) continue;
    let c0: number;
    let c1: number;
    if (dist <= r) {
      c0 = 0;
      c1 = columns - 1;
    } else {
      const half = M.asin(r / dist);
      const az = M.atan2(ry, rx);
      c0 = M.floor((az - half + M.PI) / colStep);
      c1 = M.ceil((az + half + M.PI) / colStep);
    }
    spans.push([bi, c0, c1]);
    for (let c = c0; c <= c1; c++) colStart[(((c % columns) + columns) % columns) + 1]!++;
  }
  for (let c = 0; c < columns; c++) colStart[c + 1]! += colStart[c]!;
  const colBodies = new Int32Array(colStart[columns]!);
  const fill = colStart.slice(0, columns);
  for (const [bi, c0, c1] of spans) {
    for (let c = c0; c <= c1; c++) {
      const cc = ((c % columns) + columns) % columns;
      colBodies[fill[cc]!++] = bi;
    }
  }
  return { colStart, colBodies };
}

/** The fog soft-target echo of the last `fogEcho` call that beat the hard target (module scratch, like geometry's `hit`). */
const echo = { range: 0, power: 0 };

/**
 * Whether fog backscatter close to the sensor gives a stronger echo than the hard target at
 * `range` with `power` (drawn for the rays that see backscatter at all); the echo is left in `echo`.
 */
function fogEcho(rng: Prng, beta: number, range: number, power: number): boolean {
  const rs = M.min(BACKSCATTER_MAX_RANGE_M, 0.8 + rng.exponential(BACKSCATTER_MEAN_EXTRA_M));
  if (!(rs < range)) return false;
  const ps = ((BACKSCATTER_GAIN * beta * M.exp(-2 * beta * rs)) / (rs * rs)) * (0.3 + rng.next());
  if (!(ps > power && ps >= LIDAR_POWER_THRESHOLD)) return false;
  echo.range = rs;
  echo.power = ps;
  return true;
}

/**
 * One full revolution of a spinning multi-beam LiDAR, ray-cast against the ground plane and the
 * bodies' boxes from one world snapshot (motion during the sweep is not modelled). Each ray keeps
 * the strongest echo: the hard target attenuated by e^(−2βR) and dropped below the detection
 * threshold, or a fog soft-target echo close to the sensor when that is stronger.
 */
export function castLidarSweep(world: World, snap: WorldSnapshot, model: LidarModel, opts: LidarSweepOptions): LidarSweep {
  const ox = snap.ego.x + LIDAR_MOUNT.x;
  const oy = snap.ego.y + LIDAR_MOUNT.y;
  const h = LIDAR_MOUNT.z;
  const table = buildPartTable(snap.bodies, ox, oy, h);
  const { columns, beams, maxRangeM } = model;
  const { colStart, colBodies } = bodiesByColumn(snap, model, ox, oy);

  const out = sweepBuffers(columns * beams, snap.bodies.length);
  const { points, ring, source, hitsPerBody } = out;
  const { beta, rng } = opts;
  const noiseStd = opts.rangeNoiseM ?? 0.02;
  const pBackscatter = M.min(0.8, BACKSCATTER_RATE_PER_BETA * beta);
  const albedo = new Float32Array(3);
  const data = table.data;
  let count = 0;
  let backscatterCount = 0;

  for (let c = 0; c < columns; c++) {
    if (opts.occludedSectors.length > 0 && inSector(model.azimuth[c]!, opts.occludedSectors)) continue;
    const ca = model.cosAz[c]!;
    const sa = model.sinAz[c]!;
    const cb0 = colStart[c]!;
    const cb1 = colStart[c + 1]!;
    for (let beam = 0; beam < beams; beam++) {
      const ce = model.cosEl[beam]!;
      const dx = ce * ca;
      const dy = ce * sa;
      const dz = model.sinEl[beam]!;
      let range = INF;
      let cosInc = 0;
      let refl = 0;
      let src = SOURCE_GROUND;
      if (dz < -1e-9) {
        range = h / -dz;
        cosInc = -dz;
      }
      for (let j = cb0; j < cb1; j++) {
        const bi = colBodies[j]!;
        const pEnd = table.bodyEnd[bi]!;
        for (let p = table.bodyStart[bi]!; p < pEnd; p++) {
          const t = intersectPart(data, p, 0, 0, 0, dx, dy, dz);
          if (t < range) {
            range = t;
            cosInc = M.abs(hit.nx * dx + hit.ny * dy + hit.nz * dz);
            refl = data[p * PART_STRIDE + 8]!;
            src = bi;
          }
        }
      }
      let power = 0;
      if (range <= maxRangeM) {
        if (src === SOURCE_GROUND) refl = groundAlbedo(world, ox + dx * range, oy + dy * range, albedo);
        power = (refl * cosInc * M.exp(-2 * beta * range)) / (range * range);
      }
      if (pBackscatter > 0 && rng.next() < pBackscatter && fogEcho(rng, beta, range, power)) {
        range = echo.range;
        power = echo.power;
        src = SOURCE_FOG;
        refl = 0;
      }
      if (power < LIDAR_POWER_THRESHOLD) continue;
      const r = range + (noiseStd > 0 ? rng.normal(0, noiseStd) : 0);
      const o = count * 4;
      points[o] = dx * r;
      points[o + 1] = dy * r;
      points[o + 2] = dz * r;
      // Reported intensity: calibrated-reflectivity style, range-compensated but still losing the
      // fog's two-way attenuation, as real units do.
      const inten = src === SOURCE_FOG ? power * range * range * 1e5 : refl * cosInc * M.exp(-2 * beta * range) * 255;
      points[o + 3] = M.min(255, M.round(inten));
      ring[count] = beam;
      source[count] = src;
      if (src >= 0) hitsPerBody[src]!++;
      else if (src === SOURCE_FOG) backscatterCount++;
      count++;
    }
  }
  return trimmed(out, count, backscatterCount);
}

/** Buffers for every ray's point; `trimmed` cuts them to the points that came back. */
function sweepBuffers(maxPoints: number, bodies: number): Omit<LidarSweep, "count" | "backscatterCount"> {
  return {
    points: new Float32Array(maxPoints * 4),
    ring: new Uint16Array(maxPoints),
    source: new Int32Array(maxPoints),
    hitsPerBody: new Int32Array(bodies),
  };
}

function trimmed(b: Omit<LidarSweep, "count" | "backscatterCount">, count: number, backscatterCount: number): LidarSweep {
  return {
    count,
    points: b.points.slice(0, count * 4),
    ring: b.ring.slice(0, count),
    source: b.source.slice(0, count),
    hitsPerBody: b.hitsPerBody,
    backscatterCount,
  };
}
