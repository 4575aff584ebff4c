import type { SensorSync, SensorSyncCounters, TimedFrame } from "../types/bundles";
import type { Nanos } from "../types/time";
import type { AlignByDeadlinePlan } from "./alignByDeadlineSchema";

/*
 * One sensor's side of `DeadlineAligner`: its queue of accepted frames (ascending by corrected
 * stamp), what it has seen, and its counters. The aligner decides when a tick is due; these say
 * which of the sensor's frames it gets and what the tick reports about the sensor.
 */

export type Slot<F> = { s: Nanos; f: F };

export type SensorState<F> = {
  id: string;
  offset: Nanos;
  tolerance: Nanos;
  clockOffset: Nanos;
  maxQueue: number;
  /** Accepted frames waiting for a tick, ascending by corrected stamp. */
  buf: Slot<F>[];
  /** Largest corrected stamp accepted so far. */
  newest: Nanos | undefined;
  /** Ring of recently accepted corrected stamps, for duplicate detection of out-of-order frames. */
  recent: Nanos[];
  recentPos: number;
  /** A frame was dropped as late since the last inclusion. */
  lateSinceIncluded: boolean;
  /** Tick of the sensor's last inclusion. */
  includedAt: Nanos | undefined;
  counters: SensorSyncCounters;
};

const RECENT = 8;

export const abs = (a: bigint): bigint => (a < 0n ? -a : a);

export function newSensorState<F>(sensor: AlignByDeadlinePlan["sensors"][number]): SensorState<F> {
  return {
    ...sensor,
    buf: [],
    newest: undefined,
    recent: [],
    recentPos: 0,
    lateSinceIncluded: false,
    includedAt: undefined,
    counters: { received: 0, included: 0, late: 0, reordered: 0, duplicate: 0, overflow: 0, unused: 0 },
  };
}

/** Records an accepted corrected stamp: the newest so far, and the ring of recent ones. */
export function rememberStamp<F>(st: SensorState<F>, s: Nanos): void {
  if (st.newest === undefined || s > st.newest) st.newest = s;
  if (st.recent.length < RECENT) st.recent.push(s);
  else st.recent[st.recentPos] = s;
  st.recentPos = (st.recentPos + 1) % RECENT;
}

/** Index of the queued frame nearest `centre` (the queue is sorted, so the scan stops early). */
export function nearestIndex<F>(buf: readonly Slot<F>[], centre: Nanos): number {
  let best = 0;
  let bestD = abs(buf[0]!.s - centre);
  for (let k = 1; k < buf.length; k++) {
    const d = abs(buf[k]!.s - centre);
    if (d >= bestD) break;
    best = k;
    bestD = d;
  }
  return best;
}

/**
 * Queues an accepted frame in stamp order. `next` is the next tick (if one is known): frames
 * before this one and not after that window's centre can no longer be the nearest for any tick
 * (later ticks are farther still), so they go as unused and a flooding sensor keeps its queue
 * short. Past `maxQueue` the oldest frame goes, unless it is the next tick's best match: then
 * the one after it.
 */
export function enqueue<F>(st: SensorState<F>, s: Nanos, f: F, next: Nanos | undefined): void {
  const buf = st.buf;
  let k = buf.length;
  if (k === 0 || buf[k - 1]!.s <= s) {
    buf.push({ s, f });
  } else {
    while (k > 0 && buf[k - 1]!.s > s) k--;
    buf.splice(k, 0, { s, f });
  }
  if (k > 0 && next !== undefined && s <= next + st.offset) {
    buf.splice(0, k);
    st.counters.unused += k;
  }
  if (buf.length > st.maxQueue) {
    buf.splice(next !== undefined && nearestIndex(buf, next + st.offset) === 0 ? 1 : 0, 1);
    st.counters.overflow++;
  }
}

/**
 * Tick `t` for this sensor: takes its queued frame nearest the window centre (within the
 * tolerance; each frame at most once) and reports it `included`, or says why there is none:
 * `missing` (no frame from it within `staleAfter` of the tick), `late` (a frame came too late
 * for a window since its last inclusion) or `stale`.
 */
export function matchSensor<F extends TimedFrame>(st: SensorState<F>, t: Nanos, staleAfter: Nanos): SensorSync<F> {
  const centre = t + st.offset;
  const lo = centre - st.tolerance;
  const hi = centre + st.tolerance;
  const buf = st.buf;
  let best = -1;
  let bestD = 0n;
  for (let k = 0; k < buf.length; k++) {
    const s = buf[k]!.s;
    if (s < lo) continue;
    if (s > hi) break;
    const d = abs(s - centre);
    if (best < 0 || d < bestD) {
      best = k;
      bestD = d;
    }
  }
  if (best >= 0) {
    const slot = buf[best]!;
    buf.splice(best, 1);
    st.counters.included++;
    st.lateSinceIncluded = false;
    st.includedAt = t;
    return { sensorId: st.id, status: "included", frame: slot.f, skew: slot.s - centre, age: t - slot.s, counters: { ...st.counters } };
  }
  const newest = st.newest;
  const age = newest === undefined ? undefined : t - newest;
  const status = age === undefined || age > staleAfter ? "missing" : st.lateSinceIncluded ? "late" : "stale";
  return { sensorId: st.id, status, frame: undefined, skew: undefined, age, counters: { ...st.counters } };
}

/** Discards the queued frames before `lo` (no later tick can use them), counted as unused. */
export function discardBefore<F>(st: SensorState<F>, lo: Nanos): void {
  let k = 0;
  while (k < st.buf.length && st.buf[k]!.s < lo) k++;
  if (k > 0) {
    st.buf.splice(0, k);
    st.counters.unused += k;
  }
}
