import { z } from "zod";

/**
 * Configuration of association and tracking (src/fusion/MultiSensorTracker.ts).
 * Every field states its unit, default and bounds; cross-field checks run at parse time.
 */

const probability = (def: number, what: string) => z.number().min(0).max(1).default(def).describe(what);

/** Per sensor kind: how often it detects a present object, and how often clutter lands in a gate. */
const sensorModel = (pd: number, pfa: number, pcs = 1, vcs = 1) =>
  z
    .object({
      detectionProbability: probability(pd, "P(detect | object present, sensor covers it, quality 1), 0..1"),
      falseAlarmProbability: z
        .number()
        .min(1e-6)
        .max(1)
        .default(pfa)
        .describe("P(a clutter detection falls in a track's gate) per tick, 1e-6..1"),
      positionCovarianceScale: z
        .number()
        .min(0.01)
        .max(100)
        .default(pcs)
        .describe(
          "factor on the x,y covariance the encoder states, so that its residuals against the truth are consistent (normalised innovation squared ≈ χ²(2)), 0.01..100",
        ),
      velocityCovarianceScale: z
        .number()
        .min(0.01)
        .max(10_000)
        .default(vcs)
        .describe("factor on the velocity covariance the encoder states, for the same consistency, 0.01..10000"),
    })
    .prefault({});

export const trackerConfigSchema = z
  .object({
    gateProbability: z
      .number()
      .min(0.5)
      .max(0.999999)
      .default(0.997)
      .describe("chi-square gate on the x,y Mahalanobis distance (2 dof); 0.997 ≈ 11.6, 0.5..0.999999"),
    rangeRateGateProbability: z
      .number()
      .min(0.5)
      .max(1)
      .default(0.997)
      .describe(
        "chi-square gate on the radar range-rate residual (1 dof) against a track's velocity; 1 = range rate not used for association, 0.5..1",
      ),
    minClassCompatibility: probability(0.1, "pairs whose class compatibility is below this are gated out, 0..1"),
    classCostWeight: z.number().min(0).max(100).default(1).describe("weight of −2·ln(class compatibility) in the association cost, 0..100"),
    accelerationNoise: z
      .number()
      .positive()
      .max(1000)
      .default(2)
      .describe("spectral density of the white-noise acceleration per axis (m²/s³): velocity σ grows by √(q·dt), (0, 1000]"),
    heightNoise: z.number().positive().max(100).default(0.05).describe("random-walk density of the box-centre height (m²/s), (0, 100]"),
    egoSpeedStdMps: z.number().min(0).max(10).default(0.1).describe("1-σ ego speed error (m/s), 0..10"),
    egoYawRateStdRadps: z.number().min(0).max(1).default(0.005).describe("1-σ ego yaw-rate error (rad/s), 0..1"),
    initialVelocityStdMps: z
      .number()
      .positive()
      .max(100)
      .default(15)
      .describe("1-σ prior on a new track's velocity per axis (m/s), (0, 100]"),
    initialExistence: z
      .number()
      .min(1e-4)
      .max(0.99)
      .default(0.1)
      .describe("existence probability of a new track before its first detections count, 1e-4..0.99"),
    survivalPerSecond: z
      .number()
      .min(0.01)
      .max(1)
      .default(0.9)
      .describe("P(an existing object still exists 1 s later), applied as survivalPerSecond^dt, 0.01..1"),
    maxExistence: z
      .number()
      .min(0.5)
      .max(0.999999)
      .default(0.999)
      .describe("cap on existence so that decay starts promptly when detections stop, 0.5..0.999999"),
    confirmExistence: probability(0.8, "a track is confirmed once its existence reaches this, 0..1"),
    minHitsToConfirm: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(2)
      .describe("ticks with at least one associated detection before confirmation, 1..100"),
    deleteExistence: probability(0.02, "a track is deleted when its existence drops below this, 0..1"),
    maxCoastSec: z.number().positive().max(60).default(2).describe("a track not updated for this long is deleted (s), (0, 60]"),
    maxPositionStdM: z
      .number()
      .positive()
      .max(1000)
      .default(8)
      .describe("a track whose x or y standard deviation exceeds this is deleted (m), (0, 1000]"),
    maxRangeM: z.number().positive().max(2000).default(250).describe("tracks beyond this range are deleted (m), (0, 2000]"),
    classEvidenceWeight: probability(
      0.7,
      "a detection's class masses are discounted to this × frame quality before fusion, so one frame cannot settle a class, 0..1",
    ),
    detectionQualityExponent: probability(
      0.25,
      "a detection weighs (frame quality)^this in existence and class updates: 1 = a low-quality frame's detections count as little as its misses, 0 = fully (a sensor in fog makes fewer detections, true and false alike); misses always weigh detectionProbability × quality, 0..1",
    ),
    classForgetting: probability(0.02, "per update, this fraction of the track's class belief returns to `unknown`, 0..1"),
    minClassProbability: probability(0.4, "the reported class is the most probable one if it reaches this, else `unknown`, 0..1"),
    sizeSmoothing: probability(0.3, "weight of a new size / yaw measurement in the running estimate, 0..1"),
    maxMeasurementsPerTrack: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(16)
      .describe("recent per-sensor measurements kept on each track for provenance, 0..1000"),
    maxRejectionMessages: z
      .number()
      .int()
      .min(0)
      .max(10000)
      .default(20)
      .describe("one-line rejection messages kept per tick (all are counted), 0..10000"),
    trackedKinds: z
      .array(z.enum(["camera", "lidar", "radar", "audio"]))
      .default(["camera", "lidar", "radar"])
      .describe("sensor kinds whose detections are tracked (audio carries no position)"),
    sensors: z
      .object({
        // Covariance scales: the median NIS of each shipped encoder's detections against the truth
        // over χ²(2)'s median (eval/covarianceConsistency.ts; docs/fusion.md has the measurement).
        camera: sensorModel(0.85, 0.05, 1.2),
        lidar: sensorModel(0.9, 0.05, 0.2),
        radar: sensorModel(0.8, 0.1, 2, 37),
        audio: sensorModel(0, 0.5),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    if (c.deleteExistence >= c.confirmExistence) {
      ctx.addIssue({
        code: "custom",
        path: ["deleteExistence"],
        message: `deleteExistence (${c.deleteExistence}) must be below confirmExistence (${c.confirmExistence})`,
      });
    }
    if (c.initialExistence >= c.confirmExistence) {
      ctx.addIssue({
        code: "custom",
        path: ["initialExistence"],
        message: `initialExistence (${c.initialExistence}) must be below confirmExistence (${c.confirmExistence}), or every detection confirms a track`,
      });
    }
    if (c.confirmExistence > c.maxExistence) {
      ctx.addIssue({
        code: "custom",
        path: ["confirmExistence"],
        message: `confirmExistence (${c.confirmExistence}) must not exceed maxExistence (${c.maxExistence})`,
      });
    }
    for (const kind of ["camera", "lidar", "radar", "audio"] as const) {
      const m = c.sensors[kind];
      if (m.detectionProbability > 0 && m.falseAlarmProbability >= m.detectionProbability) {
        ctx.addIssue({
          code: "custom",
          path: ["sensors", kind, "falseAlarmProbability"],
          message: `sensors.${kind}: falseAlarmProbability (${m.falseAlarmProbability}) must be below detectionProbability (${m.detectionProbability}), or a detection would lower existence`,
        });
      }
    }
  });

export type TrackerConfig = z.infer<typeof trackerConfigSchema>;
export type TrackerConfigInput = z.input<typeof trackerConfigSchema>;

/** Parse and validate; throws a one-line-per-issue error naming the offending fields. */
export function parseTrackerConfig(input: unknown = {}): TrackerConfig {
  const result = trackerConfigSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `fusion.tracker.${i.path.join(".")}: ${i.message}`);
    throw new RangeError(`invalid tracker config: ${lines.join("; ")}`);
  }
  return result.data;
}
