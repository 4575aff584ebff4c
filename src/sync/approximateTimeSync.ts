import { Observable, type OperatorFunction } from "rxjs";
import { z } from "zod";
import type { Nanos } from "../types/time";
import { msToNs } from "../types/time";
import { ApproximateEpsilonMatcher } from "./ApproximateEpsilonMatcher";
import { ApproximateTimeMatcher, UNBOUNDED_INTERVAL } from "./ApproximateTimeMatcher";
import { ExactTimeMatcher } from "./ExactTimeMatcher";
import { SlopMatcher } from "./SlopMatcher";

/** The least a frame must carry to be matched: whose it is and its sensor-clock stamp. */
export type StampedFrame = { sensorId: string; stamp: Nanos };

const durationMs = () =>
  z
    .number({ error: "expected a number of milliseconds" })
    .finite({ error: "expected a finite number of milliseconds" })
    .min(0, { error: "must be ≥ 0 ms" });

/**
 * Options of `approximateTimeSync`. Durations are milliseconds (config files stay readable);
 * they become bigint ns once, at start-up.
 */
export const approximateTimeSyncSchema = z
  .object({
    /** Sensor ids in tuple order: element k of every emitted set is `sensors[k]`'s frame. */
    sensors: z.array(z.string().min(1)).min(2, { error: "at least 2 sensor ids are needed to form sets" }),
    /**
     * `approximate` (default): ROS message_filters ApproximateTime (C++). The others reproduce the
     * sibling policies: `epsilon` (ApproximateEpsilonTime), `exact` (ExactTime) and `slop`
     * (rclpy's ApproximateTimeSynchronizer).
     */
    policy: z.enum(["approximate", "epsilon", "exact", "slop"]).default("approximate"),
    /** Per-sensor pending-message limit (exact: pending stamp groups, 0 = unlimited). */
    queueSize: z.number().int().min(0).max(100_000).default(10),
    /** approximate: largest span of a set (ms); absent = unbounded, as upstream. */
    maxIntervalMs: durationMs().optional(),
    /** approximate: preference for newer sets (unitless, ≥ 0); upstream default 0.1. */
    agePenalty: z.number().finite().min(0).max(1000).default(0.1),
    /** approximate: per-sensor lower bound on the stamp gap of consecutive frames (ms), in `sensors` order. */
    interMessageLowerBoundsMs: z.array(durationMs()).optional(),
    /** epsilon: how far after the oldest head the other heads may be (ms). */
    epsilonMs: durationMs().optional(),
    /** slop: largest spread of a set (ms, strict). */
    slopMs: durationMs().optional(),
  })
  .superRefine((o, ctx) => {
    if (new Set(o.sensors).size !== o.sensors.length) {
      ctx.addIssue({ code: "custom", path: ["sensors"], message: `ids must be unique, got [${o.sensors.join(", ")}]` });
    }
    if (o.interMessageLowerBoundsMs !== undefined && o.interMessageLowerBoundsMs.length !== o.sensors.length) {
      ctx.addIssue({
        code: "custom",
        path: ["interMessageLowerBoundsMs"],
        message: `expected ${o.sensors.length} entries (one per sensor), got ${o.interMessageLowerBoundsMs.length}`,
      });
    }
    if (o.policy !== "exact" && o.queueSize < 1) {
      ctx.addIssue({ code: "custom", path: ["queueSize"], message: `policy ${o.policy} needs ≥ 1, got ${o.queueSize}` });
    }
    if (o.policy === "epsilon" && o.epsilonMs === undefined) {
      ctx.addIssue({ code: "custom", path: ["epsilonMs"], message: "required by policy epsilon" });
    }
    if (o.policy === "slop" && o.slopMs === undefined) {
      ctx.addIssue({ code: "custom", path: ["slopMs"], message: "required by policy slop" });
    }
  });

export type ApproximateTimeSyncOptions = z.input<typeof approximateTimeSyncSchema>;
export type ApproximateTimeSyncConfig = z.output<typeof approximateTimeSyncSchema>;

/** Counters of one subscription, updated in place after every frame when passed in. */
export type ApproximateTimeSyncStats = {
  /** Frames whose sensorId is not in `sensors` (skipped). */
  unknownSensor: number;
  /** Frames without a bigint stamp (skipped). */
  malformed?: number;
  /** Frames dropped by the policy's queue limit (groups for `exact`). */
  queueDrops: number;
  /** Sets emitted. */
  published: number;
};

type Matcher<F> = { add(topic: number, stamp: Nanos, value: F): F[][] };

function makeMatcher<F>(c: ApproximateTimeSyncConfig): { matcher: Matcher<F>; drops: () => number } {
  const topicCount = c.sensors.length;
  switch (c.policy) {
    case "approximate": {
      const m = new ApproximateTimeMatcher<F>({
        topicCount,
        queueSize: c.queueSize,
        maxInterval: c.maxIntervalMs === undefined ? UNBOUNDED_INTERVAL : msToNs(c.maxIntervalMs),
        agePenalty: c.agePenalty,
        interMessageLowerBounds: (c.interMessageLowerBoundsMs ?? c.sensors.map(() => 0)).map(msToNs),
      });
      return { matcher: m, drops: () => m.counters.queueDrops };
    }
    case "epsilon": {
      const m = new ApproximateEpsilonMatcher<F>({ topicCount, queueSize: c.queueSize, epsilon: msToNs(c.epsilonMs!) });
      return { matcher: m, drops: () => m.counters.queueDrops };
    }
    case "exact": {
      const m = new ExactTimeMatcher<F>({ topicCount, queueSize: c.queueSize });
      return { matcher: m, drops: () => m.counters.droppedGroups };
    }
    case "slop": {
      const m = new SlopMatcher<F>({ topicCount, queueSize: c.queueSize, slop: msToNs(c.slopMs!) });
      return { matcher: m, drops: () => m.counters.evicted };
    }
  }
}

/**
 * Groups frames of several sensors into sets, one frame per sensor, with the semantics of ROS
 * message_filters' ApproximateTime policy (or a sibling policy, see `policy`). Emits each set as
 * an array in `sensors` order. Frames of other sensors are counted and skipped.
 *
 * Invalid options throw at call time (start-up), not on subscription.
 */
export function approximateTimeSync<F extends StampedFrame>(
  options: ApproximateTimeSyncOptions,
  stats?: ApproximateTimeSyncStats,
): OperatorFunction<F, F[]> {
  const parsed = approximateTimeSyncSchema.safeParse(options);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new RangeError(`approximateTimeSync options: ${first.path.join(".") || "(root)"}: ${first.message}`);
  }
  const config = parsed.data;
  const index = new Map(config.sensors.map((id, i) => [id, i]));
  return (source) =>
    new Observable<F[]>((subscriber) => {
      const { matcher, drops } = makeMatcher<F>(config);
      let unknownSensor = 0;
      let malformed = 0;
      let published = 0;
      return source.subscribe({
        next: (frame) => {
          const topic = index.get(frame.sensorId);
          if (topic === undefined) {
            unknownSensor++;
          } else if (typeof frame.stamp !== "bigint") {
            malformed++;
          } else {
            const sets = matcher.add(topic, frame.stamp, frame);
            for (const set of sets) {
              published++;
              subscriber.next(set);
            }
          }
          if (stats) {
            stats.unknownSensor = unknownSensor;
            stats.malformed = malformed;
            stats.queueDrops = drops();
            stats.published = published;
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}
