import { BadInputError } from "../types/errors";
import { z } from "zod";
import { msField } from "../config/zodFields";
import { msToNs, type Nanos } from "../types/time";

/** A duration in ms, read and failed like every stage's (config/zodFields.ts). */
const ms = msField;

const sensorSchema = z.object({
  /** Sensor id as in `SensorFrame.sensorId`. */
  id: z.string().min(1, { error: "expected a non-empty string" }),
  /** Window centre relative to the tick (ms); e.g. a LiDAR stamped at sweep start sits ~−50 ms. */
  offsetMs: ms(-10_000, 10_000).default(0),
  /** Half-width of the window around tick + offset (ms): frames farther away are never used. */
  toleranceMs: ms(0, 10_000).default(50),
  /** Sensor clock minus reference clock (ms); subtracted from every stamp before matching. */
  clockOffsetMs: ms(-3_600_000, 3_600_000).default(0),
  /** Frames held per sensor while waiting for their tick; beyond it the oldest is dropped and counted. */
  maxQueue: z.number().int().min(1).max(100_000).default(64),
});

const tickSchema = z.discriminatedUnion("mode", [
  z.object({
    /** Ticks on the grid origin + k / rateHz. */
    mode: z.literal("fixed"),
    rateHz: z.number().positive({ error: "must be > 0 Hz" }).max(10_000),
    /** Grid origin on the reference clock (ms). */
    originMs: z.number().finite().default(0),
  }),
  z.object({
    /** One tick per frame of `sensor`, at its corrected stamp. */
    mode: z.literal("reference"),
    sensor: z.string().min(1),
    /** Nominal rate of the reference sensor; ticks continue at this rate while it is silent. */
    rateHz: z.number().positive({ error: "must be > 0 Hz" }).max(10_000),
  }),
]);

/** Configuration of `alignByDeadline` (units in the names; defaults and bounds here). */
export const alignByDeadlineSchema = z
  .object({
    sensors: z.array(sensorSchema).min(1, { error: "at least one sensor is needed" }).max(64),
    tick: tickSchema,
    /** How long after a tick (on the clock) its bundle may wait for frames (ms). */
    deadlineMs: ms(0, 60_000).default(50),
    /** How far a frame may be older than its sensor's newest frame and still be accepted (ms). */
    latenessBoundMs: ms(0, 60_000).default(100),
    /** A sensor whose newest frame is older than this at a tick is `missing` rather than `stale` (ms). */
    staleAfterMs: ms(0, 3_600_000).default(1_000),
    /**
     * `recording`: the clock is the largest `receivedAt` seen (MCAP log time), so replay is
     * deterministic at any speed and the scheduler is not used. `scheduler`: the clock is
     * `scheduler.now()` (wall clock live, virtual time in tests) and timers emit ticks when no input comes.
     */
    clock: z.enum(["recording", "scheduler"]).default("recording"),
    /** Reference ticks waiting for their deadline; beyond it the oldest is emitted early and counted. */
    maxPendingTicks: z.number().int().min(1).max(10_000).default(64),
    /** Most ticks emitted for one clock advance; a larger jump skips ticks and counts them. */
    maxCatchUpTicks: z.number().int().min(1).max(1_000_000).default(1_000),
  })
  .superRefine((c, ctx) => {
    const ids = c.sensors.map((s) => s.id);
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup !== undefined) {
      ctx.addIssue({ code: "custom", path: ["sensors"], message: `id "${dup}" appears more than once` });
    }
    if (c.tick.mode === "reference" && !ids.includes(c.tick.sensor)) {
      ctx.addIssue({
        code: "custom",
        path: ["tick", "sensor"],
        message: `"${c.tick.sensor}" is not one of the sensors [${ids.join(", ")}]`,
      });
    }
    const periodMs = 1000 / c.tick.rateHz;
    if (c.staleAfterMs < periodMs) {
      ctx.addIssue({
        code: "custom",
        path: ["staleAfterMs"],
        message: `${c.staleAfterMs} ms is shorter than the tick period ${periodMs} ms; every sensor would flap to missing`,
      });
    }
    if (c.tick.mode === "reference") {
      const refSensor = c.sensors.find((s) => s.id === (c.tick as { sensor: string }).sensor);
      if (refSensor && refSensor.offsetMs !== 0) {
        ctx.addIssue({
          code: "custom",
          path: ["sensors"],
          message: `the reference sensor "${refSensor.id}" must have offsetMs 0 (ticks are its stamps), got ${refSensor.offsetMs}`,
        });
      }
    }
  });

export type AlignByDeadlineOptions = z.input<typeof alignByDeadlineSchema>;
export type AlignByDeadlineConfig = z.output<typeof alignByDeadlineSchema>;

/** The configuration in bigint ns, computed once at start-up. */
export type AlignByDeadlinePlan = {
  sensors: { id: string; offset: Nanos; tolerance: Nanos; clockOffset: Nanos; maxQueue: number }[];
  mode: "fixed" | "reference";
  referenceIndex: number;
  period: Nanos;
  origin: Nanos;
  deadline: Nanos;
  latenessBound: Nanos;
  staleAfter: Nanos;
  clock: "recording" | "scheduler";
  maxPendingTicks: number;
  maxCatchUpTicks: number;
};

/** Validates options; throws one BadInputError (code `config`) naming the first bad field and what was expected. */
export function planAlignByDeadline(options: AlignByDeadlineOptions): AlignByDeadlinePlan {
  const parsed = alignByDeadlineSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? issue.path.join(".") : "(root)";
    throw new BadInputError({ where: `alignByDeadline config: ${where}`, what: issue.message, code: "config" });
  }
  const c = parsed.data;
  const period = BigInt(Math.round(1e9 / c.tick.rateHz));
  return {
    sensors: c.sensors.map((s) => ({
      id: s.id,
      offset: msToNs(s.offsetMs),
      tolerance: msToNs(s.toleranceMs),
      clockOffset: msToNs(s.clockOffsetMs),
      maxQueue: s.maxQueue,
    })),
    mode: c.tick.mode,
    referenceIndex: c.tick.mode === "reference" ? c.sensors.findIndex((s) => s.id === (c.tick as { sensor: string }).sensor) : -1,
    period,
    origin: c.tick.mode === "fixed" ? msToNs(c.tick.originMs) : 0n,
    deadline: msToNs(c.deadlineMs),
    latenessBound: msToNs(c.latenessBoundMs),
    staleAfter: msToNs(c.staleAfterMs),
    clock: c.clock,
    maxPendingTicks: c.maxPendingTicks,
    maxCatchUpTicks: c.maxCatchUpTicks,
  };
}
