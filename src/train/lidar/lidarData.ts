import { castLidarSweep, lidarModel } from "../../sim/castLidarSweep";
import { extinction } from "../../sim/fog";
import { Prng } from "../../sim/Prng";
import { FRAMES, TOPICS } from "../../sim/rig";
import { randomScenario } from "../../sim/randomScenario";
import type { Scenario } from "../../sim/scenario";
import { SIM_START_NS } from "../../sim/simulate";
import { buildWorld, snapshotAt } from "../../sim/world";
import { secToNs, type ObjectClass, type PointCloudFrame } from "../../types";
import { type HeadObject } from "../../encoders/lidar/centerNet";
import { LIDAR_CLASSES, LIDAR_STRIDE } from "../../encoders/lidar/model";
import { BEV, egoToBev, insideBev, pointsToBev, type ReturnStats } from "../../encoders/lidar/preprocess";
import { DEFAULT_LIDAR_EXTRINSICS } from "../../encoders/lidar/encoder";

/*
 * LiDAR training and evaluation samples straight from the simulator's ray caster, in memory: one
 * sweep every `everyS` seconds of each scenario, with the exact object boxes (ego frame) and how
 * many returns each object got.
 */

/** `randomScenario(seed)` cut to `durationS` (randomScenario itself needs ≥ ~8 s for its manoeuvres). */
export function simDrive(seed: number, durationS = 20): Scenario {
  const s = randomScenario(seed, 20);
  return { ...s, durationS: Math.min(durationS, s.durationS) };
}

export type LabelledObject = {
  classification: ObjectClass;
  x: number;
  y: number;
  length: number;
  width: number;
  height: number;
  yaw: number;
  /** LiDAR returns on the object in this sweep. */
  hits: number;
};

export type LidarSample = {
  scenario: string;
  seed: number;
  t: number;
  visibilityM: number;
  /** BEV grid quantised to bytes (value × 255), to keep thousands of sweeps in memory. */
  grid: Uint8Array;
  stats: ReturnStats;
  objects: LabelledObject[];
  /** The sweep itself, kept only when asked (evaluation through the encoder). */
  frame?: PointCloudFrame;
};

export type LidarSampleOptions = { everyS?: number; keepFrames?: boolean; offsetS?: number };

export function sweepFrame(points: Float32Array, count: number, t: number, ring?: Uint16Array): PointCloudFrame {
  const stamp = SIM_START_NS + secToNs(t);
  return {
    kind: "lidar",
    sensorId: "lidar_top",
    topic: TOPICS.lidar,
    frameId: FRAMES.lidar,
    stamp,
    receivedAt: stamp,
    count,
    points,
    ...(ring ? { ring } : {}),
  };
}

export function* lidarSamples(scenario: Scenario, options: LidarSampleOptions = {}): Generator<LidarSample> {
  const world = buildWorld(scenario);
  const model = lidarModel(scenario.sensors.lidar);
  const rng = new Prng(scenario.seed).fork("lidar-training");
  const beta = extinction(scenario.weather.visibilityM);
  const every = options.everyS ?? 1;
  for (let t = options.offsetS ?? 0.05; t < scenario.durationS - 1e-9; t += every) {
    const snap = snapshotAt(world, t);
    const sweep = castLidarSweep(world, snap, model, { beta, rng, occludedSectors: [] });
    const { grid, stats } = pointsToBev(sweep.points, sweep.count, DEFAULT_LIDAR_EXTRINSICS);
    const q = new Uint8Array(grid.length);
    for (let i = 0; i < grid.length; i++) q[i] = Math.round(grid[i]! * 255);
    const objects: LabelledObject[] = [];
    snap.bodies.forEach((b, bi) => {
      if (b.body.classification === "static_clutter") return;
      objects.push({
        classification: b.body.classification,
        x: b.x - snap.ego.x,
        y: b.y - snap.ego.y,
        length: b.body.length,
        width: b.body.width,
        height: b.body.height,
        yaw: b.yaw - snap.ego.yaw,
        hits: sweep.hitsPerBody[bi]!,
      });
    });
    yield {
      scenario: scenario.name,
      seed: scenario.seed,
      t,
      visibilityM: scenario.weather.visibilityM ?? Infinity,
      grid: q,
      stats,
      objects,
      ...(options.keepFrames ? { frame: sweepFrame(sweep.points, sweep.count, t, sweep.ring) } : {}),
    };
  }
}

/** Head targets of a sample's visible objects; `flip` mirrors left/right (augmentation). */
export function lidarHeadObjects(objects: readonly LabelledObject[], flip: boolean): HeadObject[] {
  const out: HeadObject[] = [];
  for (const o of objects) {
    const k = (LIDAR_CLASSES as readonly string[]).indexOf(o.classification);
    if (k < 0 || o.hits < 1) continue;
    const y = flip ? -o.y : o.y;
    const yaw = flip ? -o.yaw : o.yaw;
    if (!insideBev(o.x, y)) continue;
    const { row, col } = egoToBev(o.x, y);
    const hr = row / LIDAR_STRIDE;
    const hc = col / LIDAR_STRIDE;
    const sigma = Math.max(0.5, Math.min(o.length, o.width) / (BEV.cell * LIDAR_STRIDE) / 2);
    out.push({
      row: hr,
      col: hc,
      sigma,
      classIndex: k,
      reg: [
        hr - Math.floor(hr),
        hc - Math.floor(hc),
        Math.log(o.length),
        Math.log(o.width),
        Math.log(o.height),
        Math.sin(2 * yaw),
        Math.cos(2 * yaw),
      ],
    });
  }
  return out;
}

/** Mirrors a quantised grid left/right (column c ↔ cols − 1 − c) into float values 0..1. */
export function gridToFloat(grid: Uint8Array, flip: boolean, out: Float32Array, offset = 0): void {
  const { rows, cols, channels: C } = BEV;
  if (!flip) {
    for (let i = 0; i < grid.length; i++) out[offset + i] = grid[i]! / 255;
    return;
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const src = (r * cols + c) * C;
      const dst = offset + (r * cols + (cols - 1 - c)) * C;
      for (let k = 0; k < C; k++) out[dst + k] = grid[src + k]! / 255;
    }
  }
}
