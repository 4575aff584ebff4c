import { Prng } from "../sim/Prng";
import { randomScenario } from "../sim/randomScenario";
import { validateScenario, type Scenario, type ScenarioInput } from "../sim/scenario";

/*
 * Which simulated drives train each encoder and which are held out. Held-out sets use seeds from a
 * disjoint range and named scenarios that training never sees, so the held-out metrics measure
 * generalisation to new layouts, not memory of the training drives.
 */

type ActorInput = NonNullable<ScenarioInput["actors"]>[number];

/** Seeds of the training drives start here; held-out drives use HELD_OUT_SEED_BASE + i. */
export const TRAIN_SEED_BASE = 1;
export const HELD_OUT_SEED_BASE = 50_000;

/**
 * `randomScenario(seed)` with extra vulnerable road users (the random generator is vehicle-heavy):
 * crossing and kerb-side pedestrians and cyclists, some riding in the right lane.
 */
export function radarTrainingScenario(seed: number, durationS = 20): Scenario {
  const base = randomScenario(seed, durationS);
  const rng = new Prng(seed).fork("encoder-training-vru");
  const reach = Math.max(60, base.ego.speedMps * durationS);
  const extra: ActorInput[] = [];
  const n = rng.int(2, 6);
  const right = -base.road.lanesRight;
  for (let i = 0; i < n; i++) {
    const cls = rng.chance(0.5) ? "pedestrian" : "cyclist";
    const roll = rng.next();
    if (roll < 0.5) {
      const side = rng.chance(0.5) ? 1 : -1;
      extra.push({
        class: cls,
        motion: {
          type: "crossing",
          startX: rng.uniform(15, reach + 40),
          startY: side * rng.uniform(4, 10),
          headingDeg: -side * 90 + rng.normal(0, 15),
          speedMps: cls === "pedestrian" ? rng.uniform(0.6, 2.2) : rng.uniform(2.5, 7),
          startAtS: rng.uniform(0, durationS / 2),
        },
      });
    } else if (roll < 0.8) {
      // Along the kerb, either direction, sometimes standing.
      const standing = rng.chance(0.25);
      const side = rng.chance(0.7) ? -1 : 1;
      const edge =
        side < 0 ? -(base.road.lanesRight + 0.5) * base.road.laneWidthM - 1 : (base.road.lanesLeft + 0.5) * base.road.laneWidthM + 1;
      extra.push({
        class: cls,
        motion: {
          type: "crossing",
          startX: rng.uniform(10, reach + 60),
          startY: edge + rng.normal(0, 0.4),
          headingDeg: rng.chance(0.5) ? 0 : 180,
          speedMps: standing ? 0 : cls === "pedestrian" ? rng.uniform(0.8, 2) : rng.uniform(3, 7),
          startAtS: 0,
        },
      });
    } else {
      extra.push({ class: "cyclist", motion: { type: "lane", lane: right, startX: rng.uniform(10, 120), speedMps: rng.uniform(3, 8) } });
    }
  }
  return validateScenario({ ...base, name: `radar-train-${seed}`, actors: [...base.actors, ...extra] }, `radar training seed ${seed}`);
}

export type ScenarioSet = {
  /** Named shipped scenarios (recordings/scenarios) in this set. */
  named: string[];
  /** Seeds of generated drives in this set. */
  seeds: number[];
};

export type ModalitySplit = { train: ScenarioSet; heldOut: ScenarioSet };

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

/** Radar: named scenarios with radar content, generated drives; two named ones held out. */
export function radarSplit(quick: boolean): ModalitySplit {
  return {
    train: {
      named: quick
        ? ["radar-clutter"]
        : ["default", "fog-50m", "fog-150m", "radar-clutter", "camera-frozen", "clock-skew", "lidar-dropout", "siren-approach"],
      seeds: range(TRAIN_SEED_BASE, quick ? 4 : 70),
    },
    heldOut: { named: ["highway-clear", "urban-crossing"], seeds: range(HELD_OUT_SEED_BASE, quick ? 3 : 24) },
  };
}

/**
 * A drive for audio training: 0–2 emergency vehicles whose sirens (wail or yelp) switch on and off,
 * 0–2 cars that honk, at random lanes, distances and speeds around an ego at 0–33 m/s (road noise
 * grows with speed). About a fifth of the drives have neither, for false-alarm material.
 */
export function audioTrainingScenario(seed: number, durationS = 10): Scenario {
  const rng = new Prng(seed).fork("encoder-training-audio");
  const lanesLeft = rng.int(0, 2);
  const lanesRight = rng.int(0, 2);
  const lanes: number[] = [];
  for (let l = -lanesRight; l <= lanesLeft; l++) lanes.push(l);
  const egoSpeed = rng.chance(0.15) ? 0 : rng.uniform(3, 33);
  const actors: ActorInput[] = [];
  const quiet = rng.chance(0.2);
  const windows = (): Array<{ fromS: number; toS?: number }> => {
    const out: Array<{ fromS: number; toS?: number }> = [];
    let t = rng.uniform(-2, durationS * 0.6);
    while (t < durationS) {
      const len = rng.uniform(1, 8);
      out.push({ fromS: Math.max(0, t), toS: t + len });
      t += len + rng.uniform(0.5, 6);
    }
    return out;
  };
  const nSiren = quiet ? 0 : rng.int(0, 2);
  for (let i = 0; i < nSiren; i++) {
    const ahead = rng.chance(0.5);
    const oncoming = rng.chance(0.2);
    actors.push({
      class: "emergency_vehicle",
      motion: {
        type: "lane",
        lane: rng.pick(lanes),
        startX: ahead ? rng.uniform(10, 200) : rng.uniform(-200, -10),
        speedMps: oncoming ? -rng.uniform(5, 25) : Math.max(0, egoSpeed + rng.uniform(-8, 12)),
      },
      siren: { mode: rng.chance(0.5) ? "wail" : "yelp", on: windows() },
    });
  }
  const nHorn = quiet ? 0 : rng.int(0, 2);
  for (let i = 0; i < nHorn; i++) {
    const horn: Array<{ fromS: number; toS: number }> = [];
    for (let t = rng.uniform(0, 3); t < durationS; t += rng.uniform(1, 4)) {
      const len = rng.uniform(0.2, 1.5);
      horn.push({ fromS: t, toS: t + len });
      t += len;
    }
    actors.push({
      class: "car",
      motion: { type: "lane", lane: rng.pick(lanes), startX: rng.uniform(-60, 80), speedMps: Math.max(0, egoSpeed + rng.normal(0, 3)) },
      horn,
    });
  }
  // A few silent vehicles so that nothing about the scene layout predicts the label.
  const nCars = rng.int(0, 3);
  for (let i = 0; i < nCars; i++) {
    actors.push({
      class: "car",
      motion: { type: "lane", lane: rng.pick(lanes), startX: rng.uniform(-50, 150), speedMps: Math.max(0, egoSpeed + rng.normal(0, 4)) },
    });
  }
  return validateScenario(
    {
      name: `audio-train-${seed}`,
      description: `generated audio training drive, seed ${seed}`,
      durationS,
      seed,
      ego: { speedMps: egoSpeed, accelMps2: 0 },
      road: { lanesLeft, lanesRight, laneWidthM: 3.5, shoulderM: 2.5 },
      clutter: { poleSpacingM: 40, guardRails: false, parkedCars: 0 },
      actors,
    },
    `audio training seed ${seed}`,
  );
}

/** Audio: generated drives; the shipped siren scenarios are held out. */
export function audioSplit(quick: boolean): ModalitySplit {
  return {
    train: { named: [], seeds: range(TRAIN_SEED_BASE, quick ? 4 : 130) },
    heldOut: { named: ["siren-approach", "default"], seeds: range(HELD_OUT_SEED_BASE, quick ? 3 : 40) },
  };
}
