import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { loadScenario } from "../sim/loadScenario";
import { validateScenario, type ActorSpec, type Scenario } from "../sim/scenario";
import { simulateToMcap } from "../sim/simulate";
import { FileWritable } from "../sinks/mcap/FileWritable";

export const BENCH_SCENARIOS = ["nominal", "dense", "fog", "dropout", "flood", "live"] as const;
export type BenchScenarioName = (typeof BENCH_SCENARIOS)[number];

export type BenchScenario = {
  name: BenchScenarioName;
  description: string;
  /** `lossless`: as fast as the pipeline goes; `realtime`: paced at ×1 with drop-to-latest. */
  mode: "lossless" | "realtime";
  /** The simulated drive it replays (the live run replays the nominal drive). */
  build: (durationS: number) => Scenario;
};

/** The shipped default drive (recordings/scenarios/default.yaml: 4 sensors, 5 actors, a siren) at the bench's duration. */
function nominal(durationS: number): Scenario {
  const s = structuredClone(loadScenario("default"));
  s.name = "bench-nominal";
  s.durationS = durationS;
  return s;
}

function variant(name: string, durationS: number, change: (s: Scenario) => void): Scenario {
  const s = nominal(durationS);
  s.name = `bench-${name}`;
  change(s);
  return validateScenario(s, `bench scenario ${name}`);
}

/** 30 more vehicles on a 5-lane road, 20 parked cars, and a 64-beam LiDAR at 0.2° (~115 k rays a sweep). */
function dense(durationS: number): Scenario {
  return variant("dense", durationS, (s) => {
    s.road = { ...s.road, lanesLeft: 2, lanesRight: 2 };
    s.clutter = { ...s.clutter, parkedCars: 20 };
    s.sensors.lidar = { ...s.sensors.lidar, beams: 64, azimuthResolutionDeg: 0.2 };
    const classes = ["car", "car", "truck", "car", "motorcycle"] as const;
    for (let i = 0; i < 30; i++) {
      const lane = (i % 5) - 2;
      const ahead = i % 2 === 0;
      const actor: ActorSpec = {
        class: classes[i % classes.length]!,
        motion: { type: "lane", lane, startX: (ahead ? 1 : -1) * (25 + 14 * Math.floor(i / 2)), speedMps: 12 + (i % 7), accelMps2: 0 },
      };
      s.actors.push(actor);
    }
  });
}

export const BENCH_SCENARIO_SPECS: Record<BenchScenarioName, BenchScenario> = {
  nominal: {
    name: "nominal",
    mode: "lossless",
    description: "the default drive: camera 15 Hz, LiDAR 10 Hz, radar 20 Hz, audio 10 Hz, 5 actors, haze",
    build: nominal,
  },
  dense: { name: "dense", mode: "lossless", description: "35 vehicles and 20 parked cars, 64-beam LiDAR at 0.2° azimuth", build: dense },
  fog: {
    name: "fog",
    mode: "lossless",
    description: "the default drive in fog, 50 m visibility",
    build: (d) => variant("fog", d, (s) => void (s.weather = { ...s.weather, visibilityM: 50 })),
  },
  dropout: {
    name: "dropout",
    mode: "lossless",
    description: "LiDAR silent for 30–60 % of the drive, camera for 50–80 %",
    build: (d) =>
      variant("dropout", d, (s) => {
        s.faults.push(
          { type: "dropout", sensor: "lidar", fromS: 0.3 * d, toS: 0.6 * d },
          { type: "dropout", sensor: "camera", fromS: 0.5 * d, toS: 0.8 * d },
        );
      }),
  },
  flood: {
    name: "flood",
    mode: "lossless",
    description: "the radar floods at 100 Hz, 5× its nominal 20 Hz (distinct scans)",
    // The scenario schema caps radar at 50 Hz (a sane sensor); the flood goes past it on purpose.
    build: (d) => {
      const s = variant("flood", d, () => undefined);
      s.sensors.radar = { ...s.sensors.radar, rateHz: 100 };
      return s;
    },
  },
  live: {
    name: "live",
    mode: "realtime",
    description: "the nominal drive paced at real time ×1; ticks dropped to the newest while the pipeline is busy",
    build: nominal,
  },
};

/** `all` or one name → the scenarios to run, in the canonical order. */
export function parseScenarioList(value: string): BenchScenarioName[] {
  if (value === "all") return [...BENCH_SCENARIOS];
  const names = value
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v !== "");
  const bad = names.filter((n) => !(BENCH_SCENARIOS as readonly string[]).includes(n));
  if (names.length === 0 || bad.length > 0) {
    throw new RangeError(`--scenario ${value}: expected all or a comma-separated list of ${BENCH_SCENARIOS.join(", ")}`);
  }
  return BENCH_SCENARIOS.filter((n) => names.includes(n));
}

/**
 * The simulated recording of a scenario, made once and kept in `cacheDir` under a name that
 * carries a hash of the full scenario (so a changed scenario or duration is simulated again).
 */
export async function cachedRecording(scenario: Scenario, cacheDir: string, log?: (line: string) => void): Promise<string> {
  const hash = createHash("sha256").update(JSON.stringify(scenario)).digest("hex").slice(0, 12);
  const file = path.join(cacheDir, `${scenario.name}-${scenario.durationS}s-${hash}.mcap`);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(cacheDir, { recursive: true });
  const started = performance.now();
  const out = await FileWritable.create(file); // writes <file>.partial, renamed on close
  try {
    await simulateToMcap(scenario, out);
    await out.close();
  } catch (err) {
    await out.abort();
    throw err;
  }
  log?.(`simulated ${scenario.name} (${scenario.durationS} s) in ${((performance.now() - started) / 1000).toFixed(1)} s → ${file}`);
  return file;
}
