import { Prng } from "./Prng";
import { validateScenario, type Scenario, type ScenarioInput } from "./scenario";

type ActorInput = NonNullable<ScenarioInput["actors"]>[number];
type FaultInput = NonNullable<ScenarioInput["faults"]>[number];

/** What every actor of a drive is placed against. The draws below are in a fixed order: the seed decides everything. */
type Drive = { lanes: number[]; lanesRight: number; urban: boolean; egoSpeed: number; durationS: number };

/**
 * A plausible random drive from a seed: road layout, ego speed, weather (half of all drives in
 * fog of 30–1000 m, some at night), 3–10 actors with lane following, cut-ins, overtaking,
 * crossings and parked vehicles, sometimes an emergency vehicle, and a few sensor faults.
 */
export function randomScenario(seed: number, durationS = 20): Scenario {
  const rng = new Prng(seed).fork("random-scenario");
  const lanesLeft = rng.int(0, 2);
  const lanesRight = rng.int(0, 2);
  const urban = rng.chance(0.4);
  const egoSpeed = urban ? rng.uniform(6, 14) : rng.uniform(18, 33);
  const lanes: number[] = [];
  for (let l = -lanesRight; l <= lanesLeft; l++) lanes.push(l);
  const drive: Drive = { lanes, lanesRight, urban, egoSpeed, durationS };
  const actors = randomActors(rng, drive);
  if (rng.chance(0.35)) actors.push(emergencyVehicle(rng, drive));
  const faults = randomFaults(rng, durationS);
  const fog = rng.chance(0.5);
  const input: ScenarioInput = {
    name: `random-${seed}`,
    description: `randomly generated from seed ${seed}`,
    durationS,
    seed,
    ego: { speedMps: egoSpeed, accelMps2: 0 },
    road: { lanesLeft, lanesRight, laneWidthM: 3.5, shoulderM: urban ? 2 : 2.5 },
    weather: fog
      ? { visibilityM: Math.round(Math.exp(rng.uniform(Math.log(30), Math.log(1000)))), night: rng.chance(0.2) }
      : { night: rng.chance(0.2) },
    clutter: { poleSpacingM: urban ? 25 : 50, guardRails: !urban, parkedCars: urban ? rng.int(0, 6) : 0 },
    actors,
    faults,
  };
  return validateScenario(input, `random seed ${seed}`);
}

/** 3–10 actors: mostly lane traffic; in town also crossing pedestrians and cyclists, and parked cars. */
function randomActors(rng: Prng, drive: Drive): ActorInput[] {
  const actors: ActorInput[] = [];
  const n = rng.int(3, 10);
  for (let i = 0; i < n; i++) {
    const roll = rng.next();
    if (roll < 0.55 || !drive.urban) actors.push(laneActor(rng, drive));
    else if (roll < 0.85) actors.push(crossingActor(rng, drive));
    else actors.push(parkedCar(rng, drive));
  }
  return actors;
}

/** A vehicle following a lane at about the ego's speed; a quarter of them change lanes (cut-ins, overtaking). */
function laneActor(rng: Prng, { lanes, urban, egoSpeed, durationS }: Drive): ActorInput {
  const cls = rng.pick(["car", "car", "car", "truck", "motorcycle", urban ? "cyclist" : "car"] as const);
  const lane = rng.pick(lanes);
  const motion: ActorInput["motion"] = {
    type: "lane",
    lane,
    startX: rng.uniform(-60, 150),
    speedMps: Math.max(2, egoSpeed + rng.normal(0, 4)),
  };
  const others = lanes.filter((l) => l !== lane);
  if (others.length > 0 && rng.chance(0.25))
    motion.laneChange = {
      atS: rng.uniform(Math.min(2, durationS / 4), Math.max(Math.min(2, durationS / 4), durationS - 4)),
      toLane: rng.pick(others),
      durationS: rng.uniform(2, 4),
    };
  return { class: cls, motion };
}

/** A pedestrian or cyclist crossing the road ahead, from either side, starting some time into the drive. */
function crossingActor(rng: Prng, { egoSpeed, durationS }: Drive): ActorInput {
  const cls = rng.chance(0.7) ? "pedestrian" : "cyclist";
  const side = rng.chance(0.5) ? 1 : -1;
  return {
    class: cls,
    motion: {
      type: "crossing",
      startX: rng.uniform(20, egoSpeed * durationS + 40),
      startY: side * rng.uniform(5, 9),
      headingDeg: -side * 90 + rng.normal(0, 10),
      speedMps: cls === "pedestrian" ? rng.uniform(0.8, 1.8) : rng.uniform(3, 6),
      startAtS: rng.uniform(0, durationS / 2),
    },
  };
}

/** A car standing on the right shoulder somewhere along the ego's path. */
function parkedCar(rng: Prng, { lanesRight, egoSpeed, durationS }: Drive): ActorInput {
  return {
    class: "car",
    motion: { type: "static", x: rng.uniform(20, egoSpeed * durationS), y: -(lanesRight + 0.5) * 3.5 - 1.2, yawDeg: 0 },
  };
}

/** An emergency vehicle behind or ahead, its siren switched on some time in the first half of the drive. */
function emergencyVehicle(rng: Prng, { lanes, egoSpeed, durationS }: Drive): ActorInput {
  return {
    class: "emergency_vehicle",
    motion: {
      type: "lane",
      lane: rng.pick(lanes),
      startX: rng.chance(0.5) ? rng.uniform(-150, -40) : rng.uniform(100, 250),
      speedMps: egoSpeed + rng.uniform(-10, 12),
    },
    siren: { mode: rng.chance(0.5) ? "wail" : "yelp", on: [{ fromS: rng.uniform(0, durationS / 2) }] },
  };
}

/** 0–3 sensor faults: dropouts, a frozen camera, a blocked LiDAR sector, latency, clock offset or jitter. */
function randomFaults(rng: Prng, durationS: number): FaultInput[] {
  const faults: FaultInput[] = [];
  const sensors = ["camera", "lidar", "radar", "audio"] as const;
  const nFaults = rng.int(0, 3);
  for (let i = 0; i < nFaults; i++) {
    const sensor = rng.pick(sensors);
    const from = rng.uniform(0, Math.max(0, durationS - 2));
    const to = Math.min(durationS, from + rng.uniform(0.5, 5));
    const kind = rng.int(0, 4);
    if (kind === 0) faults.push({ type: "dropout", sensor, fromS: from, toS: to });
    else if (kind === 1 && sensor === "camera") faults.push({ type: "frozen", sensor, fromS: from, toS: to });
    else if (kind === 1 && sensor === "lidar") {
      const a = rng.uniform(-180, 180);
      faults.push({ type: "sectorOcclusion", sensor, fromS: from, toS: to, azimuthFromDeg: a, azimuthToDeg: a + rng.uniform(20, 90) });
    } else if (kind === 2) faults.push({ type: "latency", sensor, meanMs: rng.uniform(5, 80), stdMs: rng.uniform(0, 20) });
    else if (kind === 3) faults.push({ type: "clockOffset", sensor, offsetMs: rng.normal(0, 50) });
    else faults.push({ type: "jitter", sensor, stdMs: rng.uniform(0.5, 10) });
  }
  return faults;
}
