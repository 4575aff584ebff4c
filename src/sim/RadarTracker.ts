import type { ObjectClass, RadarDetection, RadarObject } from "../types";

// Globals are looked up through a slow path inside Jest's sandbox; module constants are not.
const M = Math;
const INF = 1 / 0;

type Track = {
  id: number;
  x: number;
  y: number;
  /** Velocity relative to the radar (m/s). */
  vx: number;
  vy: number;
  firstT: number;
  lastT: number;
  hits: number;
  misses: number;
  rcsDb: number;
  extent: number;
  /** Time since the previous cycle (s), for the beta gain. */
  dt: number;
};

type Cluster = { x: number; y: number; rr: number; rcsDb: number; extent: number };

const GATE_M = 3.5;
const CLUSTER_DIST_M = 2.5;
const CLUSTER_RR_MPS = 1.5;
const ALPHA = 0.5;
const BETA = 0.25;
const CONFIRM_HITS = 3;
const MAX_MISSES = 4;

/**
 * The object list a radar ECU would report: detections clustered per cycle, tracked with an
 * alpha-beta filter and nearest-neighbour gating, classified from RCS and speed. Deliberately
 * simple: it stands in for the radar's own tracker, not for the fusion stage.
 */
export class RadarTracker {
  private tracks: Track[] = [];
  private nextId = 1;

  update(detections: readonly RadarDetection[], tSec: number, egoSpeedMps: number): RadarObject[] {
    const clusters = cluster(detections.filter((d) => d.existenceProbability >= 0.3));
    for (const tr of this.tracks) {
      const dt = tSec - tr.lastT;
      tr.dt = dt;
      tr.x += tr.vx * dt;
      tr.y += tr.vy * dt;
      tr.lastT = tSec;
    }
    const pairs: Array<[number, number, number]> = [];
    this.tracks.forEach((tr, ti) =>
      clusters.forEach((c, ci) => {
        const d = M.hypot(tr.x - c.x, tr.y - c.y);
        if (d < GATE_M) pairs.push([d, ti, ci]);
      }),
    );
    pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
    const usedT = new Set<number>();
    const usedC = new Set<number>();
    for (const [, ti, ci] of pairs) {
      if (usedT.has(ti) || usedC.has(ci)) continue;
      usedT.add(ti);
      usedC.add(ci);
      const tr = this.tracks[ti]!;
      const c = clusters[ci]!;
      const dt = M.max(1e-3, tr.dt);
      const rx = c.x - tr.x;
      const ry = c.y - tr.y;
      tr.x += ALPHA * rx;
      tr.y += ALPHA * ry;
      tr.vx += (BETA / dt) * rx;
      tr.vy += (BETA / dt) * ry;
      tr.hits++;
      tr.misses = 0;
      tr.rcsDb = 0.8 * tr.rcsDb + 0.2 * c.rcsDb;
      tr.extent = M.max(0.8 * tr.extent, c.extent);
    }
    this.tracks.forEach((tr, ti) => {
      if (!usedT.has(ti)) tr.misses++;
    });
    this.tracks = this.tracks.filter((tr) => tr.misses <= (tr.hits >= CONFIRM_HITS ? MAX_MISSES : 1));
    clusters.forEach((c, ci) => {
      if (usedC.has(ci)) return;
      const r = M.hypot(c.x, c.y) || 1;
      this.tracks.push({
        id: this.nextId++,
        x: c.x,
        y: c.y,
        vx: (c.rr * c.x) / r,
        vy: (c.rr * c.y) / r,
        firstT: tSec,
        lastT: tSec,
        hits: 1,
        misses: 0,
        rcsDb: c.rcsDb,
        extent: c.extent,
        dt: 0,
      });
    });
    return this.tracks.filter((tr) => tr.hits >= CONFIRM_HITS && tr.misses <= 2).map((tr) => toObject(tr, tSec, egoSpeedMps));
  }
}

function cluster(dets: readonly RadarDetection[]): Cluster[] {
  const xs = dets.map((d) => d.rangeM * M.cos(d.azimuthRad));
  const ys = dets.map((d) => d.rangeM * M.sin(d.azimuthRad));
  const label = new Int32Array(dets.length).fill(-1);
  const out: Cluster[] = [];
  for (let i = 0; i < dets.length; i++) {
    if (label[i] !== -1) continue;
    const members = [i];
    label[i] = out.length;
    for (let m = 0; m < members.length; m++) {
      const a = members[m]!;
      for (let j = 0; j < dets.length; j++) {
        if (label[j] !== -1) continue;
        if (
          M.hypot(xs[a]! - xs[j]!, ys[a]! - ys[j]!) < CLUSTER_DIST_M &&
          M.abs(dets[a]!.rangeRateMps - dets[j]!.rangeRateMps) < CLUSTER_RR_MPS
        ) {
          label[j] = out.length;
          members.push(j);
        }
      }
    }
    let x = 0;
    let y = 0;
    let rr = 0;
    let power = 0;
    let x0 = INF;
    let x1 = -INF;
    let y0 = INF;
    let y1 = -INF;
    for (const m of members) {
      x += xs[m]!;
      y += ys[m]!;
      rr += dets[m]!.rangeRateMps;
      power += M.pow(10, dets[m]!.rcsDbsm / 10);
      x0 = M.min(x0, xs[m]!);
      x1 = M.max(x1, xs[m]!);
      y0 = M.min(y0, ys[m]!);
      y1 = M.max(y1, ys[m]!);
    }
    const n = members.length;
    out.push({ x: x / n, y: y / n, rr: rr / n, rcsDb: 10 * M.log10(power), extent: M.hypot(x1 - x0, y1 - y0) });
  }
  return out;
}

function classify(rcsDb: number, speed: number): [ObjectClass, Partial<Record<ObjectClass, number>>] {
  if (rcsDb >= 16) return ["truck", { truck: 0.6, car: 0.3, unknown: 0.1 }];
  if (rcsDb >= 4)
    return speed < 0.5
      ? ["static_clutter", { static_clutter: 0.5, car: 0.4, unknown: 0.1 }]
      : ["car", { car: 0.7, truck: 0.15, unknown: 0.15 }];
  if (rcsDb >= -2)
    return speed > 3
      ? ["cyclist", { cyclist: 0.5, motorcycle: 0.3, unknown: 0.2 }]
      : ["unknown", { unknown: 0.6, pedestrian: 0.2, static_clutter: 0.2 }];
  return speed < 3 ? ["pedestrian", { pedestrian: 0.6, unknown: 0.4 }] : ["unknown", { unknown: 1 }];
}

function toObject(tr: Track, tSec: number, egoSpeed: number): RadarObject {
  const vx = tr.vx + egoSpeed;
  const vy = tr.vy;
  const speed = M.hypot(vx, vy);
  const [classification, classProbabilities] = classify(tr.rcsDb, speed);
  const size = M.max(0.5, tr.extent);
  return {
    id: tr.id,
    ageMs: M.round((tSec - tr.firstT) * 1000),
    position: { x: tr.x, y: tr.y, z: 0 },
    positionStd: { x: 0.3, y: 0.3, z: 1 },
    velocity: { x: vx, y: vy, z: 0 },
    velocityStd: { x: 0.5, y: 0.5, z: 0 },
    acceleration: { x: 0, y: 0, z: 0 },
    yawRad: speed > 1 ? M.atan2(vy, vx) : 0,
    yawStdRad: speed > 1 ? 0.1 : 1,
    length: size,
    width: M.min(size, 2.5),
    height: 1.5,
    existenceProbability: M.min(0.99, 1 - M.pow(0.5, tr.hits - tr.misses)),
    classification,
    classProbabilities,
    rcsDbsm: tr.rcsDb,
  };
}
