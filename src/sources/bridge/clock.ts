import { asyncScheduler, type SchedulerLike } from "rxjs";
import type { Nanos } from "../../types";

/** Wall-clock time in ns with sub-millisecond resolution (arrival stamps of live messages). */
export function wallClockNs(): Nanos {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

/** Cancels a deferred call. */
export type Deferred = { unsubscribe(): void };

/**
 * Runs `fn` soon on `scheduler`. With the default asyncScheduler a zero-delay action is a
 * setTimeout (≥ 1 ms in Node), which would add a millisecond to every live message; setImmediate
 * runs right after the current batch of socket reads instead. Any other scheduler (a
 * TestScheduler in tests) is used as given.
 */
export function deferOn(scheduler: SchedulerLike): (fn: () => void) => Deferred {
  if (scheduler === asyncScheduler) {
    return (fn) => {
      const handle = setImmediate(fn);
      return { unsubscribe: () => clearImmediate(handle) };
    };
  }
  return (fn) => scheduler.schedule(fn);
}
