import type { DecodeStats } from "../decode/createDecoder";
import type { PipelinePlan } from "../pipeline";
import type { Nanos, SyncedBundle } from "../types";
import { nsToMs, nsToSec } from "../types/time";
import { LOG_CLOCK_LIMITS, type LogClock } from "./LogClock";

/**
 * What a replay's output is worth. `failure`: it produced nothing to evaluate (no sensor message
 * decoded, or not one tick); `avfusion replay` ends with exit code 2 and this line. `warnings`:
 * it produced scenes, but on a clock that ran backwards or jumped, or with a sensor that decoded
 * nothing; the scenes are what the recording says, so the run ends 0 with one line each.
 */
export type RunVerdict = { failure: string | undefined; warnings: string[] };

/** What a replay saw of its ticks. */
export type TickFacts = {
  ticks: number;
  /** First and last tick time (ns). */
  firstTick: Nanos | undefined;
  lastTick: Nanos | undefined;
  /** The last tick's bundle: its counters are the aligner's totals. */
  lastBundle: SyncedBundle | undefined;
  /** Per sensor, the largest (by magnitude) stamp − log time of its frames that reached a tick. */
  clockOffset: Map<string, Nanos>;
};

export type RunFacts = TickFacts & {
  file: string;
  plan: PipelinePlan;
  decodeStats: DecodeStats;
  logClock: LogClock;
};

type Tally = { messages: number; decoded: number; errors: number; lastReason: string | undefined };

function tally(stats: DecodeStats, topics: readonly string[]): Tally {
  const t: Tally = { messages: 0, decoded: 0, errors: 0, lastReason: undefined };
  for (const topic of topics) {
    const s = stats.byTopic.get(topic);
    if (!s) continue;
    t.messages += s.decoded + s.errors + s.skipped;
    t.decoded += s.decoded;
    t.errors += s.errors;
    if (s.errors > 0) t.lastReason = s.lastReason ?? t.lastReason;
  }
  return t;
}

const last = (t: Tally) => (t.lastReason === undefined ? "" : ` (last: ${t.lastReason})`);

function failureOf(facts: RunFacts, all: Tally): string | undefined {
  if (all.messages > 0 && all.decoded === 0) {
    return `${facts.file}: nothing decoded: ${all.errors} of ${all.messages} messages on the sensor topics failed to decode${last(all)}`;
  }
  if (facts.ticks > 0) return undefined;
  if (all.messages === 0) {
    const topics = facts.plan.sensors.flatMap((s) => s.topics).join(", ");
    return `${facts.file}: no ticks: the sensor topics (${topics}) hold no messages`;
  }
  return `${facts.file}: no ticks: ${all.decoded} sensor frames decoded, none reached a tick`;
}

/** Per sensor: nothing decoded while others did; a sensor clock that ran backwards or stood still. */
function sensorWarnings(facts: RunFacts, all: Tally): string[] {
  const out: string[] = [];
  if (all.decoded > 0) {
    for (const s of facts.plan.sensors) {
      const t = tally(facts.decodeStats, s.topics);
      if (t.messages > 0 && t.decoded === 0)
        out.push(`${s.sensorId}: nothing decoded: ${t.errors} of ${t.messages} messages failed${last(t)}`);
    }
  }
  const boundMs = nsToMs(facts.plan.aligner.latenessBound);
  for (const s of facts.lastBundle?.sensors ?? []) {
    const c = s.counters;
    if (c.reordered > 0) {
      out.push(
        `${s.sensorId}: sensor clock runs backwards: ${c.reordered} of ${c.received} frames were stamped more than ${boundMs} ms ` +
          `before a frame already seen, and dropped`,
      );
    }
    if (c.duplicate > 0) {
      out.push(
        `${s.sensorId}: sensor clock stands still: ${c.duplicate} of ${c.received} frames repeat a stamp already seen, and were dropped`,
      );
    }
  }
  return out;
}

/**
 * Ticks that outrun the log time: a sensor clock far from the log time (stamps since boot, or
 * days off), which the aligner's tick grid follows until its catch-up limit skips ticks.
 */
function tickClockWarnings(facts: RunFacts): string[] {
  const out: string[] = [];
  const limit = LOG_CLOCK_LIMITS.jumpSec;
  for (const [sensor, offset] of facts.clockOffset) {
    const sec = nsToSec(offset);
    if (Math.abs(sec) > limit) {
      out.push(
        `${sensor}: sensor clock is ${Math.abs(sec).toFixed(1)} s ${sec < 0 ? "behind" : "ahead of"} the log time ` +
          `(its stamps minus the log times of its messages), beyond ${limit} s`,
      );
    }
  }
  const tickSpan = facts.firstTick === undefined || facts.lastTick === undefined ? 0 : nsToSec(facts.lastTick - facts.firstTick);
  const logSpan = facts.logClock.spanSec();
  if (tickSpan > logSpan + limit) {
    out.push(`the ticks span ${tickSpan.toFixed(1)} s but the log times of the messages read only ${logSpan.toFixed(1)} s`);
  }
  const skipped = facts.lastBundle?.diagnostics.skippedTicks ?? 0;
  if (skipped > 0) {
    out.push(`sync: ${skipped} ticks skipped where the clock jumped further than ${facts.plan.aligner.maxCatchUpTicks} ticks at once`);
  }
  return out;
}

/** The verdict on a finished replay (see RunVerdict). */
export function judgeRun(facts: RunFacts): RunVerdict {
  const all = tally(
    facts.decodeStats,
    facts.plan.sensors.flatMap((s) => s.topics),
  );
  const warnings = [...sensorWarnings(facts, all), ...facts.logClock.warnings(), ...tickClockWarnings(facts)];
  return { failure: failureOf(facts, all), warnings };
}
