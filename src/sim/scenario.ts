import { z } from "zod";
import { parse as parseYaml } from "yaml";
import { BadInputError } from "../types/errors";

/**
 * Scenario files: what the simulator builds a drive from. World frame: x along the straight road
 * (the ego starts at x = 0 and drives towards +x), y to the left, z up. Lane 0 is the ego lane,
 * positive lanes are to its left, negative to its right. Times are seconds from the start of the run.
 */

const finite = z.number().refine(Number.isFinite, { message: "expected a finite number" });
const nonNeg = finite.refine((v) => v >= 0, { message: "expected a number >= 0" });
const positive = finite.refine((v) => v > 0, { message: "expected a number > 0" });

export const SIM_CLASSES = ["car", "truck", "pedestrian", "cyclist", "motorcycle", "emergency_vehicle"] as const;
export type SimActorClass = (typeof SIM_CLASSES)[number];

const window = z.object({ fromS: nonNeg.default(0), toS: nonNeg.optional() });

const laneChange = z.object({
  atS: nonNeg.describe("when the manoeuvre starts (s)"),
  toLane: z.number().int(),
  durationS: positive.default(3).describe("how long the lateral move takes (s)"),
});

const laneMotion = z.object({
  type: z.literal("lane"),
  lane: z.number().int(),
  /** Longitudinal position at t = 0 relative to the ego's start (m, + ahead). */
  startX: finite,
  /** Speed along +x (m/s); negative for oncoming traffic. */
  speedMps: finite,
  accelMps2: finite.default(0),
  laneChange: laneChange.optional(),
});

const crossingMotion = z.object({
  type: z.literal("crossing"),
  startX: finite,
  startY: finite,
  /** Heading of the walk in the world frame (deg, 90 = towards +y). */
  headingDeg: finite,
  speedMps: nonNeg,
  /** Stands still until this time (s). */
  startAtS: nonNeg.default(0),
});

const staticPlacement = z.object({
  type: z.literal("static"),
  x: finite,
  y: finite,
  yawDeg: finite.default(0),
});

const motion = z.discriminatedUnion("type", [laneMotion, crossingMotion, staticPlacement]);

const actor = z.object({
  class: z.enum(SIM_CLASSES),
  motion,
  /** Size override (m); default by class. */
  size: z.object({ length: positive, width: positive, height: positive }).optional(),
  /** Colour override as [r, g, b] 0..255; default by class and seed. */
  color: z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255), z.number().int().min(0).max(255)]).optional(),
  siren: z.object({ mode: z.enum(["wail", "yelp"]).default("wail"), on: z.array(window).default([{ fromS: 0 }]) }).optional(),
  horn: z.array(window).optional(),
});

const sensorName = z.enum(["camera", "lidar", "radar", "audio"]);
const fault = z.discriminatedUnion("type", [
  z.object({ type: z.literal("dropout"), sensor: sensorName, fromS: nonNeg.default(0), toS: nonNeg.optional() }),
  z.object({ type: z.literal("frozen"), sensor: z.literal("camera"), fromS: nonNeg.default(0), toS: nonNeg.optional() }),
  z.object({
    type: z.literal("sectorOcclusion"),
    sensor: z.literal("lidar"),
    fromS: nonNeg.default(0),
    toS: nonNeg.optional(),
    /** Blocked azimuth sector in the LiDAR frame (deg, 0 = forward, + left), from → to counter-clockwise. */
    azimuthFromDeg: finite,
    azimuthToDeg: finite,
  }),
  z.object({ type: z.literal("jitter"), sensor: sensorName, stdMs: nonNeg, fromS: nonNeg.default(0), toS: nonNeg.optional() }),
  z.object({
    type: z.literal("latency"),
    sensor: sensorName,
    meanMs: nonNeg,
    stdMs: nonNeg.default(0),
    fromS: nonNeg.default(0),
    toS: nonNeg.optional(),
  }),
  z.object({ type: z.literal("clockOffset"), sensor: sensorName, offsetMs: finite }),
  z.object({
    type: z.literal("outOfOrder"),
    sensor: sensorName,
    /** Fraction of messages held back. */
    probability: z.number().min(0).max(1),
    /** How long a held-back message is delayed (ms); should exceed the sensor period to reorder. */
    delayMs: positive,
    fromS: nonNeg.default(0),
    toS: nonNeg.optional(),
  }),
]);

export const scenarioSchema = z
  .object({
    name: z.string().min(1).default("unnamed"),
    description: z.string().default(""),
    durationS: positive.refine((v) => v <= 600, { message: "expected at most 600 s" }).default(10),
    seed: z.number().int().min(0).max(0xffffffff).default(1),
    ego: z.object({ speedMps: nonNeg.default(20), accelMps2: finite.default(0) }).default({ speedMps: 20, accelMps2: 0 }),
    road: z
      .object({
        lanesLeft: z.number().int().min(0).max(4).default(1),
        lanesRight: z.number().int().min(0).max(4).default(1),
        laneWidthM: positive.default(3.5),
        shoulderM: nonNeg.default(2.5),
      })
      .default({ lanesLeft: 1, lanesRight: 1, laneWidthM: 3.5, shoulderM: 2.5 }),
    weather: z
      .object({
        /** Meteorological visibility (m); omitted = clear air. */
        visibilityM: positive.optional(),
        night: z.boolean().default(false),
      })
      .default({ night: false }),
    clutter: z
      .object({
        /** Poles along both road edges every this many metres; 0 = none. */
        poleSpacingM: nonNeg.default(40),
        guardRails: z.boolean().default(true),
        /** Parked cars on the right shoulder, placed from the seed. */
        parkedCars: z.number().int().min(0).max(50).default(0),
      })
      .default({ poleSpacingM: 40, guardRails: true, parkedCars: 0 }),
    actors: z.array(actor).default([]),
    sensors: z
      .object({
        camera: z
          .object({
            width: z.number().int().min(64).max(1920).default(320),
            height: z.number().int().min(48).max(1080).default(192),
            rateHz: positive.refine((v) => v <= 60, { message: "expected at most 60 Hz" }).default(15),
            jpegQuality: z.number().int().min(10).max(100).default(80),
            hfovDeg: positive.refine((v) => v < 170, { message: "expected less than 170 deg" }).default(80),
          })
          .default({ width: 320, height: 192, rateHz: 15, jpegQuality: 80, hfovDeg: 80 }),
        lidar: z
          .object({
            beams: z.number().int().min(1).max(128).default(32),
            rateHz: positive.refine((v) => v <= 30, { message: "expected at most 30 Hz" }).default(10),
            azimuthResolutionDeg: positive.refine((v) => v >= 0.05 && v <= 5, { message: "expected 0.05..5 deg" }).default(0.2),
            minElevationDeg: finite.default(-25),
            maxElevationDeg: finite.default(10),
            maxRangeM: positive.default(120),
          })
          .default({ beams: 32, rateHz: 10, azimuthResolutionDeg: 0.2, minElevationDeg: -25, maxElevationDeg: 10, maxRangeM: 120 }),
        radar: z
          .object({
            rateHz: positive.refine((v) => v <= 50, { message: "expected at most 50 Hz" }).default(20),
            /** Mean clutter false alarms per scan. */
            clutterPerScan: nonNeg.default(3),
            /** Probability that a strong detection also yields a multipath ghost. */
            multipathProbability: z.number().min(0).max(1).default(0.1),
          })
          .default({ rateHz: 20, clutterPerScan: 3, multipathProbability: 0.1 }),
        audio: z.object({ chunkMs: z.number().int().min(50).max(100).default(100) }).default({ chunkMs: 100 }),
        groundTruthRateHz: positive.refine((v) => v <= 50, { message: "expected at most 50 Hz" }).default(10),
      })
      .default({
        camera: { width: 320, height: 192, rateHz: 15, jpegQuality: 80, hfovDeg: 80 },
        lidar: { beams: 32, rateHz: 10, azimuthResolutionDeg: 0.2, minElevationDeg: -25, maxElevationDeg: 10, maxRangeM: 120 },
        radar: { rateHz: 20, clutterPerScan: 3, multipathProbability: 0.1 },
        audio: { chunkMs: 100 },
        groundTruthRateHz: 10,
      }),
    faults: z.array(fault).default([]),
  })
  .superRefine((s, ctx) => {
    s.actors.forEach((a, i) => {
      if (a.motion.type === "lane") {
        const lanes = [a.motion.lane, a.motion.laneChange?.toLane ?? a.motion.lane];
        for (const lane of lanes) {
          if (lane > s.road.lanesLeft || lane < -s.road.lanesRight) {
            ctx.addIssue({
              code: "custom",
              path: ["actors", i, "motion"],
              message: `lane ${lane} is off the road (lanes ${-s.road.lanesRight}..${s.road.lanesLeft})`,
            });
          }
        }
      }
    });
    s.faults.forEach((f, i) => {
      if ("toS" in f && f.toS !== undefined && f.toS < f.fromS) {
        ctx.addIssue({ code: "custom", path: ["faults", i, "toS"], message: `toS ${f.toS} is before fromS ${f.fromS}` });
      }
    });
    if (s.sensors.lidar.minElevationDeg >= s.sensors.lidar.maxElevationDeg) {
      ctx.addIssue({ code: "custom", path: ["sensors", "lidar"], message: "minElevationDeg must be below maxElevationDeg" });
    }
  });

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ActorSpec = Scenario["actors"][number];
export type FaultSpec = Scenario["faults"][number];
export type SensorName = z.infer<typeof sensorName>;

/**
 * Validates an already-parsed object; `source` names it in errors (a file path or "inline").
 * Bad input throws BadInputError naming the source and the offending field in one line.
 */
export function validateScenario(value: unknown, source = "inline"): Scenario {
  const result = scenarioSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join(".") : "(root)";
    const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more)` : "";
    throw new BadInputError({ where: `scenario ${source}`, what: `${where}: ${issue?.message ?? "invalid"}${more}` });
  }
  return result.data;
}

/** Parses scenario text, JSON or YAML (JSON is YAML), and validates it. */
export function parseScenario(text: string, source = "inline"): Scenario {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new BadInputError({ where: `scenario ${source}`, what: `not valid YAML/JSON: ${msg}` });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new BadInputError({
      where: `scenario ${source}`,
      what: `expected a mapping at the top level, got ${Array.isArray(value) ? "a list" : typeof value}`,
    });
  }
  return validateScenario(value, source);
}
