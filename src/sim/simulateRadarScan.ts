import type { RadarDetection } from "../types";
import { radarFogLossDb } from "./fog";
import { buildPartTable, intersectPart, type PartTable } from "./geometry";
import type { Prng } from "./Prng";
import { RADAR_MOUNT } from "./rig";
import type { BodyState, WorldSnapshot } from "./world";

// Globals are looked up through a slow path inside Jest's sandbox; module constants are not.
const M = Math;

export const RADAR_FOV_RAD = (60 * M.PI) / 180;
export const RADAR_MAX_RANGE_M = 200;
export const RADAR_MIN_RANGE_M = 0.5;
/** Link-budget constant: SNR(dB) = RCS(dBsm) + K − 40·log10(R) − fog loss. A 10 dBsm car gives 12 dB at 200 m. */
export const RADAR_K_DB = 94;
export const RADAR_SNR_THRESHOLD_DB = 10;

export type RadarScanOptions = {
  rng: Prng;
  visibilityM: number | undefined;
  clutterPerScan: number;
  multipathProbability: number;
};

export type SimRadarScan = {
  detections: RadarDetection[];
  /** Per detection: body index it came from, −1 clutter, −2 multipath ghost. Not recorded. */
  source: number[];
  detectionsPerBody: Int32Array;
};

/** Existence probability a radar would assign from SNR alone; it cannot tell truth from clutter. */
function existenceFromSnr(snrDb: number): number {
  return 1 / (1 + M.exp(-(snrDb - 16) / 2.5));
}

/** One scan being built: where detections go, and the options and randomness they are drawn with. */
type Scan = SimRadarScan & { opts: RadarScanOptions; rng: Prng };

/**
 * One cycle of a 77 GHz front radar: scattering centres on the faces of each body that face the
 * sensor, Swerling-1 RCS fluctuation, a range-dependent link budget with a small fog loss,
 * measurement noise, range rate relative to the moving ego, clutter and multipath ghosts.
 */
export function simulateRadarScan(snap: WorldSnapshot, opts: RadarScanOptions): SimRadarScan {
  const origin = { x: snap.ego.x + RADAR_MOUNT.x, y: snap.ego.y + RADAR_MOUNT.y, z: RADAR_MOUNT.z };
  const table = buildPartTable(snap.bodies, origin.x, origin.y, origin.z);
  const scan: Scan = { detections: [], source: [], detectionsPerBody: new Int32Array(snap.bodies.length), opts, rng: opts.rng };
  snap.bodies.forEach((_, bi) => bodyReturns(scan, snap, table, bi, origin));
  multipathGhosts(scan);
  clutter(scan, origin.z, snap.ego.speed);
  return { detections: scan.detections, source: scan.source, detectionsPerBody: scan.detectionsPerBody };
}

/**
 * A return at (rx, ry, rz) relative to the sensor moving at (vrx, vry) relative to it, if it is in
 * the field of view and above the detection threshold: measured with noise that grows with range
 * and shrinks with SNR. `src`: body index, −1 clutter, −2 multipath ghost.
 */
function emitReturn(
  scan: Scan,
  rx: number,
  ry: number,
  rz: number,
  vrx: number,
  vry: number,
  rcs: number,
  extraStd: number,
  src: number,
): void {
  const { rng, opts } = scan;
  const range = M.hypot(rx, ry, rz);
  if (range < RADAR_MIN_RANGE_M || range > RADAR_MAX_RANGE_M) return;
  const az = M.atan2(ry, rx);
  if (M.abs(az) > RADAR_FOV_RAD) return;
  const snr = rcs + RADAR_K_DB - 40 * M.log10(range) - radarFogLossDb(range, opts.visibilityM);
  if (snr < RADAR_SNR_THRESHOLD_DB) return;
  const hr = M.hypot(rx, ry);
  const rr = (vrx * rx + vry * ry) / range;
  const rangeStd = 0.08 + 0.002 * range;
  const azStd = (0.3 * M.PI) / 180 / M.sqrt(M.pow(10, (snr - RADAR_SNR_THRESHOLD_DB) / 10) * 0.5 + 0.5);
  const rrStd = 0.08 + extraStd;
  scan.detections.push({
    rangeM: range + rng.normal(0, rangeStd),
    azimuthRad: az + rng.normal(0, azStd),
    elevationRad: M.atan2(rz, hr) + rng.normal(0, 0.01),
    rangeRateMps: rr + rng.normal(0, rrStd),
    rcsDbsm: rcs + rng.normal(0, 1),
    snrDb: snr,
    rangeStdM: rangeStd,
    azimuthStdRad: azStd,
    rangeRateStdMps: rrStd,
    existenceProbability: existenceFromSnr(snr),
  });
  scan.source.push(src);
  if (src >= 0) scan.detectionsPerBody[src]!++;
}

/** The returns of body `bi`: its scatterers spread over the footprint edges that face the radar. */
function bodyReturns(scan: Scan, snap: WorldSnapshot, table: PartTable, bi: number, o: { x: number; y: number; z: number }): void {
  const { rng } = scan;
  const b = snap.bodies[bi]!;
  const cx = b.x - o.x;
  const cy = b.y - o.y;
  const radius = 0.5 * M.hypot(b.body.length, b.body.width);
  const dist = M.hypot(cx, cy);
  if (dist - radius > RADAR_MAX_RANGE_M || cx + radius < 0) return;
  if (M.abs(M.atan2(cy, cx)) - M.asin(M.min(1, radius / M.max(dist, 1e-6))) > RADAR_FOV_RAD) return;
  const c = M.cos(b.yaw);
  const s = M.sin(b.yaw);
  const faces = facesTowardsSensor(b, c, s, cx, cy);
  if (faces.length === 0) return;
  const n = b.body.scatterers;
  const rcsEach = b.body.rcsDbsm - 10 * M.log10(n);
  const micro = b.body.classification === "pedestrian" || b.body.classification === "cyclist" ? 0.4 : 0;
  for (let k = 0; k < n; k++) {
    const f = faces[rng.int(0, faces.length - 1)]!;
    const along = rng.uniform(-f[4], f[4]);
    const lx = f[0] + (f[2] === 0 ? along : 0);
    const ly = f[1] + (f[3] === 0 ? along : 0);
    const px = cx + c * lx - s * ly;
    const py = cy + s * lx + c * ly;
    const pz = M.min(b.body.height, 0.6) - o.z;
    // Occlusion by other bodies on the line of sight costs 20 dB (radar still sees some energy
    // through diffraction and under-body bounces).
    const blocked = lineOfSightBlocked(table, bi, px, py, pz);
    // Swerling 1: exponentially distributed linear RCS.
    const rcs = rcsEach + 10 * M.log10(M.max(1e-3, rng.exponential(1))) - (blocked ? 20 : 0);
    emitReturn(scan, px, py, pz, b.vx - snap.ego.speed, b.vy, rcs, micro, bi);
  }
}

/** Footprint edges whose outward normal faces the sensor: local centre x, y, normal x, y, half-length. */
function facesTowardsSensor(b: BodyState, c: number, s: number, cx: number, cy: number): Array<[number, number, number, number, number]> {
  const hl = b.body.length / 2;
  const hw = b.body.width / 2;
  const faces: Array<[number, number, number, number, number]> = [];
  const localSensorX = c * -cx + s * -cy;
  const localSensorY = -s * -cx + c * -cy;
  if (localSensorX > hl) faces.push([hl, 0, 1, 0, hw]);
  if (localSensorX < -hl) faces.push([-hl, 0, -1, 0, hw]);
  if (localSensorY > hw) faces.push([0, hw, 0, 1, hl]);
  if (localSensorY < -hw) faces.push([0, -hw, 0, -1, hl]);
  return faces;
}

/** Whether another body than `bi` lies on the line of sight to (px, py, pz), short of it by more than 0.3 m. */
function lineOfSightBlocked(table: PartTable, bi: number, px: number, py: number, pz: number): boolean {
  const range = M.hypot(px, py, pz);
  const dx = px / range;
  const dy = py / range;
  const dz = pz / range;
  for (let bj = 0; bj < table.bodies.length; bj++) {
    if (bj === bi) continue;
    for (let p = table.bodyStart[bj]!; p < table.bodyEnd[bj]!; p++) {
      if (intersectPart(table.data, p, 0, 0, 0, dx, dy, dz) < range - 0.3) return true;
    }
  }
  return false;
}

/** Multipath ghosts: a longer path via the road or a guard rail, same Doppler, weaker. */
function multipathGhosts(scan: Scan): void {
  const { rng, detections } = scan;
  const real = detections.length;
  for (let i = 0; i < real; i++) {
    const d = detections[i]!;
    if (d.snrDb < 20 || !rng.chance(scan.opts.multipathProbability)) continue;
    const range = d.rangeM + rng.uniform(1.5, 8);
    const az = d.azimuthRad + rng.normal(0, 0.03);
    const rx = range * M.cos(az);
    const ry = range * M.sin(az);
    const rrGhost = d.rangeRateMps;
    // Emit along the ghost's line of sight with the same radial velocity.
    emitReturn(scan, rx, ry, 0, (rrGhost * rx) / range, (rrGhost * ry) / range, d.rcsDbsm - rng.uniform(6, 12), 0.1, -2);
  }
}

/** Clutter: stationary false alarms (road surface, debris, signs) with ground-speed Doppler. */
function clutter(scan: Scan, oz: number, vEgo: number): void {
  const { rng, opts } = scan;
  const nClutter = rng.poisson(opts.clutterPerScan);
  for (let i = 0; i < nClutter; i++) {
    const range = 3 + rng.next() * rng.next() * 120;
    const az = rng.uniform(-RADAR_FOV_RAD, RADAR_FOV_RAD);
    const rx = range * M.cos(az);
    const ry = range * M.sin(az);
    // Clutter sits just above the detection threshold: pick its SNR, back out the RCS.
    const snr = rng.uniform(RADAR_SNR_THRESHOLD_DB + 0.5, RADAR_SNR_THRESHOLD_DB + 8);
    const rcs = snr - RADAR_K_DB + 40 * M.log10(M.hypot(range, oz)) + radarFogLossDb(M.hypot(range, oz), opts.visibilityM);
    emitReturn(scan, rx, ry, -oz, -vEgo, 0, rcs, 0.2, -1);
  }
}
