import { z } from "zod";
import { msField } from "../config/zodFields";

/**
 * Configuration of the scene stage: sensor health, visibility, degradation and assembly.
 * Every field states its unit, default and bounds; cross-field checks run at parse time.
 */

/** A duration in ms, read and failed like every stage's (config/zodFields.ts). */
const ms = msField;

const fraction = (def: number, what: string) =>
  z
    .number({ error: "expected a number in 0..1" })
    .min(0, { error: "must be ≥ 0" })
    .max(1, { error: "must be ≤ 1" })
    .default(def)
    .describe(what);

const healthSensorSchema = z.object({
  /** Sensor id as in `SensorFrame.sensorId` and the sync configuration. */
  id: z.string().min(1, { error: "expected a non-empty string" }),
  kind: z.enum(["camera", "lidar", "radar", "audio"], { error: "expected camera, lidar, radar or audio" }),
  /** Nominal message rate (Hz); without it the rate is reported but not judged. */
  expectedRateHz: z.number().positive({ error: "must be > 0 Hz" }).max(10_000, { error: "must be ≤ 10000 Hz" }).optional(),
  /** Overrides `staleAgeMs` for this sensor (ms). */
  staleAgeMs: ms(1, 3_600_000).optional(),
});

export const healthConfigSchema = z
  .object({
    sensors: z.array(healthSensorSchema).min(1, { error: "at least one sensor is needed" }).max(64),
    staleAgeMs: ms(1, 3_600_000)
      .default(250)
      .describe("a sensor not included in a tick turns STALE once its last included frame is older than this (ms), 1..3600000"),
    rateWindowMs: ms(100, 600_000).default(2_000).describe("sliding window of the rate and decode-error checks (ms), 100..600000"),
    minRateFraction: fraction(0.7, "DEGRADED when the measured rate is below this fraction of expectedRateHz, 0..1"),
    degradedQualityBelow: fraction(0.5, "DEGRADED when the encoder's quality drops below this, 0..1"),
    qualityHysteresis: z
      .number()
      .min(0)
      .max(0.5)
      .default(0.1)
      .describe("a low-quality sensor leaves DEGRADED only at quality ≥ degradedQualityBelow + this, 0..0.5"),
    failDecodeErrors: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(3)
      .describe("FAILED needs at least this many decode errors in the window, ≥ 1"),
    failDecodeErrorRatio: fraction(0.5, "... and at least this fraction of the sensor's messages in the window failing, 0..1"),
    frozenFrames: z
      .number()
      .int()
      .min(0)
      .max(100_000)
      .default(5)
      .describe("FAILED after this many consecutive included frames with identical content; 0 = off, else ≥ 2")
      .refine((n) => n === 0 || n >= 2, { error: "must be 0 (off) or ≥ 2" }),
    recoverTicks: z
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(3)
      .describe("a better status is adopted after this many consecutive ticks, ≥ 1"),
    recoverMs: ms(0, 600_000).default(200).describe("... and at least this long (ms), 0..600000"),
  })
  .superRefine((c, ctx) => {
    const ids = c.sensors.map((s) => s.id);
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup !== undefined) ctx.addIssue({ code: "custom", path: ["sensors"], message: `id "${dup}" appears more than once` });
    c.sensors.forEach((s, i) => {
      const stale = s.staleAgeMs ?? c.staleAgeMs;
      if (s.expectedRateHz !== undefined && stale < 1000 / s.expectedRateHz) {
        ctx.addIssue({
          code: "custom",
          path: ["sensors", i, "staleAgeMs"],
          message: `${stale} ms is shorter than the period of "${s.id}" (${(1000 / s.expectedRateHz).toFixed(1)} ms at ${s.expectedRateHz} Hz); it would flap to STALE between frames`,
        });
      }
    });
    if (c.degradedQualityBelow + c.qualityHysteresis > 1) {
      ctx.addIssue({
        code: "custom",
        path: ["qualityHysteresis"],
        message: `degradedQualityBelow + qualityHysteresis = ${c.degradedQualityBelow + c.qualityHysteresis} > 1; a degraded sensor could never recover`,
      });
    }
  });

/** One point of an encoder's measured quality-versus-visibility curve; `"clear"` is clear air (read as `maxVisibilityM`). */
const qualityPointSchema = z.object({
  visibilityM: z.union([z.number().positive({ error: "must be > 0 m" }).finite(), z.literal("clear")], {
    error: 'expected a visibility in m or "clear"',
  }),
  quality: z.number({ error: "expected a quality in 0..1" }).min(0, { error: "must be ≥ 0" }).max(1, { error: "must be ≤ 1" }),
});

const pointV = (p: { visibilityM: number | "clear" }): number => (p.visibilityM === "clear" ? Infinity : p.visibilityM);

/**
 * An encoder's quality as a function of meteorological visibility, as measured when the model was
 * trained (`heldOut.qualityByVisibility` in models/<kind>/metadata.json). Inverted to estimate the
 * visibility from a frame's quality when the encoder gives no `visibilityM` itself. Quality must
 * not fall as visibility rises, or the curve cannot be inverted.
 */
export const qualityCurveSchema = z
  .array(qualityPointSchema)
  .min(2, { error: "expected at least two points" })
  .max(64)
  .superRefine((points, ctx) => {
    const sorted = [...points].sort((a, b) => pointV(a) - pointV(b));
    for (let i = 1; i < sorted.length; i++) {
      const a = sorted[i - 1]!;
      const b = sorted[i]!;
      if (pointV(a) === pointV(b)) {
        ctx.addIssue({ code: "custom", message: `visibility ${String(a.visibilityM)} appears more than once` });
        return;
      }
      if (b.quality < a.quality) {
        ctx.addIssue({
          code: "custom",
          message: `quality falls from ${a.quality} at ${String(a.visibilityM)} m to ${b.quality} at ${String(b.visibilityM)} m; expected quality not to fall as visibility rises (the curve is inverted)`,
        });
        return;
      }
    }
  });

export type QualityCurve = z.output<typeof qualityCurveSchema>;

export const visibilityConfigSchema = z
  .object({
    fromQuality: z
      .object({ camera: qualityCurveSchema.optional(), lidar: qualityCurveSchema.optional() })
      .default({})
      .describe("per kind: quality-versus-visibility curve, inverted for sensors whose encoder gives no visibilityM; none by default"),
    minVisibilityM: z.number().positive().max(1_000).default(1).describe("estimates are clamped to at least this (m), (0, 1000]"),
    maxVisibilityM: z.number().positive().max(1_000_000).default(10_000).describe("... and at most this; clear air reads as this (m)"),
    worseningTauMs: ms(0, 600_000)
      .default(500)
      .describe("smoothing time constant while visibility drops (ms); short, so fog is reported fast"),
    improvingTauMs: ms(0, 600_000)
      .default(3_000)
      .describe("smoothing time constant while visibility rises (ms); long, so a gap in the fog is not trusted at once"),
    holdMs: ms(0, 3_600_000).default(5_000).describe("the estimate is kept this long without a new one, then becomes null (ms)"),
  })
  .superRefine((c, ctx) => {
    if (c.minVisibilityM >= c.maxVisibilityM) {
      ctx.addIssue({ code: "custom", path: ["minVisibilityM"], message: `must be < maxVisibilityM (${c.maxVisibilityM} m)` });
    }
  });

export const degradationConfigSchema = z
  .object({
    nominalVisibilityM: z
      .number()
      .positive()
      .max(100_000)
      .default(150)
      .describe("NOMINAL needs at least this visibility when one is estimated (m)"),
    minimalRiskVisibilityM: z.number().positive().max(100_000).default(15).describe("below this visibility (m) the level is MINIMAL_RISK"),
    reactionTimeS: z.number().min(0).max(10).default(1.5).describe("reaction time in the sight-distance speed limit (s), 0..10"),
    decelerationMps2: z
      .number()
      .positive()
      .max(15)
      .default(4)
      .describe("braking deceleration in the sight-distance speed limit (m/s²), (0, 15]"),
    maxSpeedKmh: z.number().positive().max(400).default(130).describe("recommended speeds never exceed this (km/h)"),
    degradedSpeedKmh: z
      .number()
      .positive()
      .max(400)
      .default(60)
      .describe("speed cap when fewer than two forward modalities are fully healthy (km/h)"),
    speedStepKmh: z.number().positive().max(50).default(10).describe("recommended speeds are rounded down to a multiple of this (km/h)"),
    recoverMs: ms(0, 600_000)
      .default(1_000)
      .describe(
        "a better level (or a higher speed at the same level) is adopted only after every tick for this long was at least as good (ms), 0..600000",
      ),
  })
  .superRefine((c, ctx) => {
    if (c.minimalRiskVisibilityM >= c.nominalVisibilityM) {
      ctx.addIssue({
        code: "custom",
        path: ["minimalRiskVisibilityM"],
        message: `must be < nominalVisibilityM (${c.nominalVisibilityM} m)`,
      });
    }
  });

export const hazardConfigSchema = z.object({
  minProbability: fraction(0, "hazards below this classifier probability are ignored, 0..1 (the audio encoder already thresholds)"),
  holdMs: ms(0, 60_000)
    .default(1_000)
    .describe("a hazard is kept this long after it was last heard, and an episode continues across gaps up to this (ms), 0..60000"),
});

export const sceneConfigSchema = z.object({
  health: healthConfigSchema,
  hazards: hazardConfigSchema.prefault({}),
  visibility: visibilityConfigSchema.prefault({}),
  degradation: degradationConfigSchema.prefault({}),
  /** Coordinate frame of the scene's positions. */
  frameId: z.string().min(1).default("base_link"),
  /** Report tentative (unconfirmed) tracks too. */
  includeTentative: z.boolean().default(false),
  /** Objects with a lower existence probability are left out, 0..1. */
  minExistence: fraction(0, "objects below this existence probability are left out, 0..1"),
});

export type HealthConfigInput = z.input<typeof healthConfigSchema>;
export type HealthConfig = z.output<typeof healthConfigSchema>;
export type QualityCurveInput = z.input<typeof qualityCurveSchema>;
export type VisibilityConfigInput = z.input<typeof visibilityConfigSchema>;
export type VisibilityConfig = z.output<typeof visibilityConfigSchema>;
export type DegradationConfigInput = z.input<typeof degradationConfigSchema>;
export type DegradationConfig = z.output<typeof degradationConfigSchema>;
export type HazardConfigInput = z.input<typeof hazardConfigSchema>;
export type HazardConfig = z.output<typeof hazardConfigSchema>;
export type SceneConfigInput = z.input<typeof sceneConfigSchema>;
export type SceneConfig = z.output<typeof sceneConfigSchema>;

function parseWith<T>(schema: z.ZodType<T>, input: unknown, prefix: string): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length > 0 ? issue.path.join(".") : "(root)";
    throw new RangeError(`${prefix}: ${where}: ${issue.message}`);
  }
  return result.data;
}

/** Validates; throws one RangeError naming the first bad field, e.g. `scene config: health.sensors.0.kind: ...`. */
export function parseSceneConfig(input: unknown): SceneConfig {
  return parseWith(sceneConfigSchema, input, "scene config");
}

export function parseHealthConfig(input: unknown): HealthConfig {
  return parseWith(healthConfigSchema, input, "scene health config");
}

export function parseVisibilityConfig(input: unknown = {}): VisibilityConfig {
  return parseWith(visibilityConfigSchema, input, "scene visibility config");
}

export function parseDegradationConfig(input: unknown = {}): DegradationConfig {
  return parseWith(degradationConfigSchema, input, "scene degradation config");
}

export function parseHazardConfig(input: unknown = {}): HazardConfig {
  return parseWith(hazardConfigSchema, input, "scene hazard config");
}
