import type { SensorFrame } from "./frames";
import type { Nanos } from "./time";

/** The fields of a frame that time alignment reads. Every `SensorFrame` has them. */
export type TimedFrame = {
  sensorId: string;
  /** Sensor-clock stamp (ns). */
  stamp: Nanos;
  /** MCAP log time on replay, arrival time live (ns). */
  receivedAt: Nanos;
};

/**
 * How a sensor took part in one fusion tick:
 * - `included`: a frame inside the sensor's window arrived before the deadline; it is in `frame`.
 * - `late`: nothing usable by the deadline, and the sensor's recent frames arrived after their
 *   tick had already been emitted (they were dropped and counted as `late`).
 * - `stale`: nothing in the window, but the sensor is alive: its newest frame is at most the
 *   configured stale limit older than the tick (e.g. a 10 Hz sensor on a 20 Hz tick).
 * - `missing`: never seen, or silent for longer than the stale limit.
 */
export type SyncStatus = "included" | "late" | "stale" | "missing";

/** Cumulative per-sensor counters of an aligner since it was subscribed. */
export type SensorSyncCounters = {
  /** Frames of this sensor that reached the aligner. */
  received: number;
  /** Frames put into a bundle. */
  included: number;
  /** Frames that arrived after the tick whose window they fall in had been emitted (dropped). */
  late: number;
  /** Frames older than the newest one by more than the lateness bound (dropped). */
  reordered: number;
  /** Frames whose corrected stamp repeats one already accepted from this sensor (dropped). */
  duplicate: number;
  /** Frames dropped because the sensor's queue was full (the oldest goes). */
  overflow: number;
  /** Frames that fell in no tick's window, or lost to a nearer frame (discarded). */
  unused: number;
};

/** One sensor's entry in a bundle. */
export type SensorSync<F extends TimedFrame = SensorFrame> = {
  sensorId: string;
  status: SyncStatus;
  /** The frame used for this tick; set only when `status` is `included`. */
  frame: F | undefined;
  /**
   * Corrected stamp of the included frame minus the window centre (tick + sensor offset), ns;
   * signed, negative = before the centre. Set only when `status` is `included`.
   */
  skew: Nanos | undefined;
  /**
   * Tick minus the corrected stamp of the frame this entry is about (ns): the included frame, or
   * else the newest frame seen from the sensor (negative when that one is newer than the tick).
   * Undefined when the sensor has never been seen.
   */
  age: Nanos | undefined;
  /** Snapshot of the sensor's counters when the bundle was emitted. */
  counters: SensorSyncCounters;
};

/** Aligner-wide counters (cumulative). */
export type SyncDiagnostics = {
  /** Frames of sensors not in the configuration (skipped). */
  unknownSensor: number;
  /** Frames without a bigint stamp / receivedAt (skipped). */
  malformed: number;
  /** Grid ticks skipped because the clock jumped further than the catch-up limit. */
  skippedTicks: number;
  /** Reference ticks emitted early because too many were pending. */
  pendingTickOverflow: number;
};

/** One fusion tick: per configured sensor (in configuration order) its frame or why there is none. */
export type SyncedBundle<F extends TimedFrame = SensorFrame> = {
  /** 0-based, consecutive tick number. */
  seq: number;
  /** Tick time on the reference clock (ns). */
  tick: Nanos;
  /** What made the tick: a reference frame, the fixed-rate grid, or the fallback rate while the reference sensor is silent. */
  origin: "reference" | "fixed" | "fallback";
  /**
   * Why it was emitted when it was: every sensor had moved past its window (`complete`), the
   * deadline ran out (`deadline`), too many ticks were pending (`overflow`), or the input ended (`flush`).
   */
  trigger: "complete" | "deadline" | "overflow" | "flush";
  /** Clock reading at emission (recording clock on replay, scheduler clock live), ns. */
  emittedAt: Nanos;
  sensors: SensorSync<F>[];
  /** The included frames, in configuration order. */
  frames: F[];
  diagnostics: SyncDiagnostics;
};

/**
 * A clock reading without data, for the aligner: it moves the aligner's clock to `now` (never
 * back), so ticks fall due while every source is silent. A live session's heartbeat is a stream
 * of these.
 */
export type ClockTick = { kind: "clock"; now: Nanos };

export function isClockTick(value: object): value is ClockTick {
  return (value as { kind?: unknown }).kind === "clock";
}
