import type { ObjectClass } from "../types";
import { Prng } from "./Prng";
import type { ActorSpec, Scenario } from "./scenario";

// Globals are looked up through a slow path inside Jest's sandbox; module constants are not.
const M = Math;

/** An axis-aligned box inside an object's box frame (centre offset and size, m) with its looks. */
export type Part = {
  cx: number;
  cy: number;
  cz: number;
  length: number;
  width: number;
  height: number;
  /** Albedo as linear-ish 0..255 RGB. */
  color: readonly [number, number, number];
  /** Diffuse LiDAR reflectivity at 905 nm, 0..1. */
  reflectivity: number;
};

export type Window = { fromS: number; toS?: number | undefined };

/** Anything solid in the world: actors and static clutter. Parts all lie inside the box. */
export type Body = {
  id: number;
  classification: ObjectClass;
  length: number;
  width: number;
  height: number;
  parts: Part[];
  /** Radar cross-section of the whole object (dBsm) at 77 GHz. */
  rcsDbsm: number;
  /** Radar scattering centres to spread the RCS over (more for big objects). */
  scatterers: number;
  isStatic: boolean;
  siren?: { mode: "wail" | "yelp"; on: Window[] };
  horn?: Window[];
  motion: ActorSpec["motion"];
};

/** A body's pose at one instant, world frame; (x, y, z) is the box centre. */
export type BodyState = {
  body: Body;
  x: number;
  y: number;
  z: number;
  yaw: number;
  vx: number;
  vy: number;
};

export type EgoState = { x: number; y: number; yaw: number; speed: number; accel: number };

export type WorldSnapshot = { t: number; ego: EgoState; bodies: BodyState[] };

export type World = {
  scenario: Scenario;
  bodies: Body[];
  /** Lateral road extent: the drivable surface spans y in [roadRightY, roadLeftY]. */
  roadLeftY: number;
  roadRightY: number;
  laneWidth: number;
  /** Ego lane-marking positions (y) of the dashed lines and the solid edges. */
  dashedLinesY: number[];
  edgeLinesY: number[];
};

type Rgb = readonly [number, number, number];

const DEFAULT_SIZE: Record<ActorSpec["class"], [number, number, number]> = {
  car: [4.5, 1.85, 1.5],
  truck: [10.0, 2.5, 3.6],
  pedestrian: [0.5, 0.6, 1.75],
  cyclist: [1.8, 0.6, 1.75],
  motorcycle: [2.2, 0.8, 1.5],
  emergency_vehicle: [5.6, 2.1, 2.5],
};

// Typical 77 GHz RCS values (dBsm): cars ~10, trucks ~20, people ~-5 (see e.g. ARS548 and
// published automotive radar RCS measurements).
const RCS: Record<ObjectClass, number> = {
  unknown: 0,
  car: 10,
  truck: 20,
  pedestrian: -5,
  cyclist: 0,
  motorcycle: 3,
  emergency_vehicle: 13,
  static_clutter: 5,
};

const SCATTERERS: Record<ObjectClass, number> = {
  unknown: 1,
  car: 4,
  truck: 8,
  pedestrian: 1,
  cyclist: 2,
  motorcycle: 2,
  emergency_vehicle: 5,
  static_clutter: 1,
};

const CAR_COLORS: Rgb[] = [
  [40, 70, 170],
  [170, 30, 30],
  [175, 175, 180],
  [35, 35, 40],
  [225, 225, 225],
  [30, 110, 60],
];
const CLOTHES: Rgb[] = [
  [200, 40, 120],
  [40, 150, 200],
  [230, 200, 30],
  [120, 60, 160],
  [240, 110, 20],
];

function box(cx: number, cy: number, cz: number, length: number, width: number, height: number, color: Rgb, reflectivity: number): Part {
  return { cx, cy, cz, length, width, height, color, reflectivity };
}

/** Class-specific shapes so that a camera model has distinct silhouettes and colours to learn. */
export function partsFor(cls: ActorSpec["class"] | "pole" | "rail", L: number, W: number, H: number, color: Rgb): Part[] {
  const bottom = -H / 2;
  switch (cls) {
    case "car": {
      const bodyH = 0.55 * H;
      return [
        box(0, 0, bottom + bodyH / 2, L, W, bodyH, color, 0.45),
        box(-0.08 * L, 0, bottom + bodyH + (H - bodyH) / 2, 0.5 * L, 0.88 * W, H - bodyH, [55, 65, 80], 0.15),
      ];
    }
    case "emergency_vehicle": {
      const bodyH = 0.82 * H;
      return [
        box(0, 0, bottom + bodyH / 2, L, W, bodyH, color, 0.6),
        box(0.25 * L, 0, bottom + bodyH + 0.09, 0.12 * L, 0.8 * W, 0.18, [230, 20, 30], 0.7),
        box(0.1 * L, 0, bottom + bodyH + 0.09, 0.12 * L, 0.8 * W, 0.18, [20, 60, 230], 0.7),
      ];
    }
    case "truck": {
      const cabL = 0.22 * L;
      return [
        box(L / 2 - cabL / 2, 0, bottom + 0.4 * H, cabL, W, 0.8 * H, color, 0.5),
        box(-cabL / 2 - 0.01 * L, 0, 0, L - cabL - 0.02 * L, W, H, [225, 225, 215], 0.6),
      ];
    }
    case "pedestrian": {
      const head = 0.24;
      return [
        box(0, 0, bottom + (H - head) / 2, 0.35 * L, 0.8 * W, H - head, color, 0.3),
        box(0, 0, H / 2 - head / 2, head * 0.9, head, head, [225, 175, 120], 0.3),
      ];
    }
    case "cyclist":
    case "motorcycle": {
      const wheelH = cls === "cyclist" ? 0.9 : 0.85;
      const frameW = cls === "cyclist" ? 0.12 : 0.45;
      return [
        box(0, 0, bottom + wheelH / 2, L, frameW, wheelH, [25, 25, 25], 0.2),
        box(-0.1 * L, 0, bottom + (wheelH - 0.15 + H) / 2, 0.35, 0.9 * W, H - wheelH + 0.15, color, 0.35),
      ];
    }
    case "pole":
      return [box(0, 0, 0, L, W, H, color, 0.5)];
    case "rail":
      return [box(0, 0, 0, L, W, H, color, 0.8)];
  }
}

function colorFor(spec: ActorSpec, rng: Prng): Rgb {
  if (spec.color) return spec.color;
  switch (spec.class) {
    case "car":
      return rng.pick(CAR_COLORS);
    case "truck":
      return rng.pick<Rgb>([
        [210, 120, 30],
        [30, 90, 150],
        [180, 30, 30],
      ]);
    case "emergency_vehicle":
      return [235, 210, 40];
    case "motorcycle":
      return rng.pick<Rgb>([
        [20, 20, 20],
        [200, 200, 200],
      ]);
    default:
      return rng.pick(CLOTHES);
  }
}

/** Builds the static description of the world: actors from the scenario plus generated clutter. */
export function buildWorld(scenario: Scenario): World {
  const rng = new Prng(scenario.seed).fork("world");
  const lw = scenario.road.laneWidthM;
  const roadLeftY = (scenario.road.lanesLeft + 0.5) * lw;
  const roadRightY = -(scenario.road.lanesRight + 0.5) * lw;
  const bodies: Body[] = [];
  scenario.actors.forEach((spec, i) => {
    const [dl, dw, dh] = DEFAULT_SIZE[spec.class];
    const L = spec.size?.length ?? dl;
    const W = spec.size?.width ?? dw;
    const H = spec.size?.height ?? dh;
    const body: Body = {
      id: i + 1,
      classification: spec.class,
      length: L,
      width: W,
      height: H,
      parts: partsFor(spec.class, L, W, H, colorFor(spec, rng)),
      rcsDbsm: RCS[spec.class],
      scatterers: SCATTERERS[spec.class],
      isStatic: spec.motion.type === "static",
      motion: spec.motion,
    };
    if (spec.siren) body.siren = spec.siren;
    if (spec.horn) body.horn = spec.horn;
    bodies.push(body);
  });

  const { ego } = scenario;
  const T = scenario.durationS;
  const egoEnd = egoX(ego.speedMps, ego.accelMps2, T);
  const xFrom = -80;
  const xTo = egoEnd + 260;
  let nextId = 1000;
  const shoulder = scenario.road.shoulderM;
  if (scenario.clutter.poleSpacingM > 0) {
    const sp = scenario.clutter.poleSpacingM;
    const start = xFrom + rng.uniform(0, sp);
    for (let x = start; x < xTo; x += sp) {
      for (const side of [1, -1]) {
        const y = side > 0 ? roadLeftY + shoulder + 0.6 : roadRightY - shoulder - 0.6;
        const L = 0.25;
        const H = 5;
        bodies.push(staticBody(nextId++, "pole", x + (side > 0 ? sp / 2 : 0), y, 0, L, L, H, [130, 130, 135], 5, 1));
      }
    }
  }
  if (scenario.clutter.guardRails) {
    const seg = 20;
    for (let x = xFrom; x < xTo; x += seg) {
      for (const side of [1, -1]) {
        const y = side > 0 ? roadLeftY + shoulder : roadRightY - shoulder;
        bodies.push(staticBody(nextId++, "rail", x + seg / 2, y, 0, seg - 0.2, 0.3, 0.8, [190, 190, 195], 10, 3));
      }
    }
  }
  for (let i = 0; i < scenario.clutter.parkedCars; i++) {
    const x = rng.uniform(15, M.max(30, xTo - 60));
    const y = roadRightY - M.min(1.3, shoulder / 2);
    const L = 4.5;
    const W = 1.85;
    const H = 1.5;
    const body: Body = {
      id: nextId++,
      classification: "car",
      length: L,
      width: W,
      height: H,
      parts: partsFor("car", L, W, H, rng.pick(CAR_COLORS)),
      rcsDbsm: RCS.car,
      scatterers: SCATTERERS.car,
      isStatic: true,
      motion: { type: "static", x, y, yawDeg: 0 },
    };
    bodies.push(body);
  }

  const dashedLinesY: number[] = [];
  for (let k = -scenario.road.lanesRight; k < scenario.road.lanesLeft; k++) dashedLinesY.push((k + 0.5) * lw);
  return { scenario, bodies, roadLeftY, roadRightY, laneWidth: lw, dashedLinesY, edgeLinesY: [roadRightY, roadLeftY] };
}

function staticBody(
  id: number,
  kind: "pole" | "rail",
  x: number,
  y: number,
  yawDeg: number,
  L: number,
  W: number,
  H: number,
  color: Rgb,
  rcs: number,
  scatterers: number,
): Body {
  return {
    id,
    classification: "static_clutter",
    length: L,
    width: W,
    height: H,
    parts: partsFor(kind, L, W, H, color),
    rcsDbsm: rcs,
    scatterers,
    isStatic: true,
    motion: { type: "static", x, y, yawDeg },
  };
}

/** Distance travelled from t = 0 at constant acceleration, stopping (not reversing) at zero speed. */
function egoX(v0: number, a: number, t: number): number {
  if (a < 0 && v0 > 0) {
    const tStop = v0 / -a;
    if (t > tStop) t = tStop;
  }
  return v0 * t + 0.5 * a * t * t;
}

function speedAt(v0: number, a: number, t: number): number {
  const v = v0 + a * t;
  if (a < 0 && v0 >= 0 && v < 0) return 0;
  return v;
}

function smoothstep(u: number): number {
  if (u <= 0) return 0;
  if (u >= 1) return 1;
  return u * u * (3 - 2 * u);
}

function smoothstepDeriv(u: number): number {
  if (u <= 0 || u >= 1) return 0;
  return 6 * u * (1 - u);
}

export function egoAt(world: World, t: number): EgoState {
  const { speedMps, accelMps2 } = world.scenario.ego;
  const speed = speedAt(speedMps, accelMps2, t);
  return { x: egoX(speedMps, accelMps2, t), y: 0, yaw: 0, speed, accel: speed > 0 || accelMps2 > 0 ? accelMps2 : 0 };
}

export function bodyAt(world: World, body: Body, t: number): BodyState {
  const m = body.motion;
  const z = body.height / 2;
  switch (m.type) {
    case "static":
      return { body, x: m.x, y: m.y, z, yaw: (m.yawDeg * M.PI) / 180, vx: 0, vy: 0 };
    case "crossing": {
      const h = (m.headingDeg * M.PI) / 180;
      const dt = M.max(0, t - m.startAtS);
      const moving = t >= m.startAtS;
      return {
        body,
        x: m.startX + m.speedMps * dt * M.cos(h),
        y: m.startY + m.speedMps * dt * M.sin(h),
        z,
        yaw: h,
        vx: moving ? m.speedMps * M.cos(h) : 0,
        vy: moving ? m.speedMps * M.sin(h) : 0,
      };
    }
    case "lane": {
      const lw = world.laneWidth;
      const sign = m.speedMps < 0 ? -1 : 1;
      const v0 = M.abs(m.speedMps);
      const a = m.accelMps2;
      const dist = egoX(v0, a, t);
      const speed = speedAt(v0, a, t);
      let y = m.lane * lw;
      let vy = 0;
      if (m.laneChange) {
        const u = (t - m.laneChange.atS) / m.laneChange.durationS;
        const dy = (m.laneChange.toLane - m.lane) * lw;
        y += dy * smoothstep(u);
        vy = (dy * smoothstepDeriv(u)) / m.laneChange.durationS;
      }
      const vx = sign * speed;
      const yaw = speed > 0.1 ? M.atan2(vy, vx) : sign > 0 ? 0 : M.PI;
      return { body, x: m.startX + sign * dist, y, z, yaw, vx, vy };
    }
  }
}

export function snapshotAt(world: World, t: number): WorldSnapshot {
  return { t, ego: egoAt(world, t), bodies: world.bodies.map((b) => bodyAt(world, b, t)) };
}

export function windowActive(windows: readonly Window[] | undefined, t: number): boolean {
  if (!windows) return false;
  return windows.some((w) => t >= w.fromS && (w.toS === undefined || t < w.toS));
}
