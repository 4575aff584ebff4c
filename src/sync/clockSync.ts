import type { Nanos } from "../types";
import type { AlignByDeadlinePlan } from "./alignByDeadlineSchema";

/*
 * Online per-sensor clock offsets, for live inputs whose message stamps and receive times are on
 * different clocks: an older bag played through foxglove_bridge without sim time stamps its
 * messages a year back while the bridge's receive time is now, and the aligner (on the receive
 * clock) then finds no frame in any window. The static `clockOffsetMs` of the aligner cannot hold
 * that (±1 h by design: a config value, not a discovery), and it would be wrong the next day.
 *
 * Per sensor, the disagreement d = receivedAt − (stamp − configured offset) is sampled over the
 * first frames; its median (robust to a frame held up by a GC pause or a reconnect) is the
 * estimate. When |d| exceeds the sensor's window (how far a frame's receive time may trail its
 * corrected stamp and the frame still make its tick: deadline + tolerance + |window offset|),
 * `auto` moves the stamps by the estimate; within it the stamps are trusted as they are (the
 * normal case: d is the transport latency). Once settled, an estimate is re-made when the
 * corrected stamps disagree with receive time by more than the window again for `driftFrames`
 * frames in a row (the bag looped, the bridge switched to sim time).
 */

/** `stamp`: the source's stamps as they are; `receive`: every frame stamped at its receive time; `auto`: stamps, moved by the estimated offset when they disagree by more than the window. */
export type ClockMode = "stamp" | "receive" | "auto";
export const CLOCK_MODES: readonly ClockMode[] = ["stamp", "receive", "auto"];

export type ClockSyncSensor = {
  id: string;
  /** Largest |receive − corrected stamp| the aligner absorbs for this sensor (ms). */
  windowMs: number;
  /** The configured offset the aligner subtracts itself (sensor clock − reference clock, ms). */
  clockOffsetMs?: number;
};

/** What `onEvent` hears: an offset found or changed (`auto`, `receive`), or stamps that disagree and are kept (`stamp`). */
export type ClockSyncEvent = {
  sensorId: string;
  kind: "detected" | "changed" | "kept";
  mode: ClockMode;
  /** receive − corrected stamp, the median of the samples (ns). */
  disagreementNs: Nanos;
  /** What is subtracted from the sensor's stamps now: configured + estimated (ms). */
  offsetMs: number;
  /** Before a change (ms). */
  previousMs?: number;
  windowMs: number;
};

export type ClockSyncOptions = {
  mode: ClockMode;
  sensors: readonly ClockSyncSensor[];
  /** Frames sampled per estimate (default 9). */
  samples?: number;
  /** Consecutive frames beyond the window that make a settled estimate be re-made (default 5). */
  driftFrames?: number;
  onEvent?: (e: ClockSyncEvent) => void;
};

type SensorClock = {
  window: bigint;
  configured: bigint;
  /** Disagreements sampled for the next estimate. */
  samples: bigint[];
  /** The latest disagreements once settled, to re-estimate from when they drift. */
  recent: bigint[];
  /** Added to each stamp (ns). */
  shift: bigint;
  settled: boolean;
  beyond: number;
  /** The offset (ms) last reported, once one was. */
  reportedMs: number | undefined;
};

const median = (xs: readonly bigint[]): bigint => {
  const s = [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return s[(s.length - 1) >> 1]!;
};
const abs = (x: bigint): bigint => (x < 0n ? -x : x);
const msToNs = (ms: number): bigint => BigInt(Math.round(ms * 1e6));

export type ClockSync = {
  /** The frame with its stamp moved onto the receive clock where the mode says so (a copy; the same frame when unmoved). */
  correct<F extends { sensorId: string; stamp: Nanos; receivedAt: Nanos }>(frame: F): F;
  /** What is subtracted from a sensor's stamps before alignment now: configured + estimated (ms); undefined for an unknown sensor. */
  offsetMs(sensorId: string): number | undefined;
};

/** Per-sensor clock offsets estimated from the frames themselves (see the comment at the top of this file). */
export function createClockSync(options: ClockSyncOptions): ClockSync {
  const n = Math.max(1, options.samples ?? 9);
  const driftFrames = Math.max(1, options.driftFrames ?? 5);
  const clocks = new Map<string, SensorClock>();
  for (const s of options.sensors) {
    const base = { window: msToNs(s.windowMs), configured: msToNs(s.clockOffsetMs ?? 0), shift: 0n, settled: false, beyond: 0 };
    clocks.set(s.id, { ...base, samples: [], recent: [], reportedMs: undefined });
  }
  const totalMs = (c: SensorClock): number => Number(c.configured - c.shift) / 1e6;

  /** The estimate from the samples (provisional until there are `n`); an event when it settles on news. */
  const estimate = (id: string, c: SensorClock): void => {
    const d = median(c.samples);
    const beyond = abs(d) > c.window;
    c.shift = options.mode === "stamp" || (options.mode === "auto" && !beyond) ? 0n : d;
    if (c.samples.length < n) return;
    c.settled = true;
    c.recent = [];
    const offsetMs = totalMs(c);
    const windowMs = Number(c.window) / 1e6;
    const event = { sensorId: id, mode: options.mode, disagreementNs: d, offsetMs, windowMs };
    const previousMs = c.reportedMs;
    if (previousMs === undefined) {
      // First news: stamps far off the receive clock (or, `receive`, which clock the frames now run on).
      if (options.mode === "receive" || beyond) options.onEvent?.({ ...event, kind: options.mode === "stamp" ? "kept" : "detected" });
      if (options.mode === "receive" || beyond) c.reportedMs = offsetMs;
    } else if (options.mode !== "stamp" && Math.abs(offsetMs - previousMs) > windowMs) {
      options.onEvent?.({ ...event, kind: "changed", previousMs });
      c.reportedMs = offsetMs;
    }
  };

  const observe = (id: string, c: SensorClock, d: bigint): void => {
    if (!c.settled) {
      c.samples.push(d);
      return estimate(id, c);
    }
    // Settled: watch for a drift beyond the window (`receive` does not use the stamps at all).
    if (options.mode === "receive") return;
    c.recent = [...c.recent, d].slice(-driftFrames);
    c.beyond = abs(d - c.shift) > c.window ? c.beyond + 1 : 0;
    if (c.beyond < driftFrames) return;
    c.settled = false;
    c.beyond = 0;
    c.samples = c.recent;
    estimate(id, c);
  };

  return {
    correct(frame) {
      const c = clocks.get(frame.sensorId);
      if (!c) return frame;
      const d = frame.receivedAt - (frame.stamp - c.configured);
      observe(frame.sensorId, c, d);
      // `receive`: the frame's own receive time, not the median (its stamp says nothing the aligner can use).
      const shift = options.mode === "receive" ? d : c.shift;
      return shift === 0n ? frame : { ...frame, stamp: frame.stamp + shift };
    },
    offsetMs(sensorId) {
      const c = clocks.get(sensorId);
      return c === undefined ? undefined : totalMs(c);
    },
  };
}

/**
 * The sensors of an aligner plan as clock-sync sensors: a sensor's window is how late a frame may
 * arrive after its corrected stamp and still make its tick (deadline + tolerance + |window
 * offset|; a LiDAR sweep stamped at its start arrives a period later on purpose).
 */
export function clockSyncSensors(plan: Pick<AlignByDeadlinePlan, "sensors" | "deadline">): ClockSyncSensor[] {
  const ms = (ns: bigint): number => Number(ns) / 1e6;
  return plan.sensors.map((s) => ({
    id: s.id,
    windowMs: ms(plan.deadline + s.tolerance + abs(s.offset)),
    clockOffsetMs: ms(s.clockOffset),
  }));
}
