import { asyncScheduler, filter, interval, map, type Observable, type SchedulerLike } from "rxjs";
import type { ClockTick, Nanos } from "../types";

/**
 * A clock reading every `periodMs` on `scheduler`: `read()` at each beat, skipped while it gives
 * undefined (no clock known yet). Merged into the pipeline's frame entry, it moves the aligner's
 * recording clock while every source is silent, so ticks keep coming at the tick rate and the
 * scene reports silent sensors STALE, then MISSING.
 */
export function clockTicks(
  periodMs: number,
  read: () => Nanos | undefined,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<ClockTick> {
  return interval(periodMs, scheduler).pipe(
    map(read),
    filter((now): now is Nanos => now !== undefined),
    map((now): ClockTick => ({ kind: "clock", now })),
  );
}

/** The latest data's source time and its arrival (wall clock), ns. */
export type ClockAnchor = { source: Nanos; arrival: Nanos };

/**
 * The source clock as the live session knows it: anchored at the latest data (its source time and
 * wall-clock arrival), and between data extrapolated at real-time rate (source time + wall time
 * since it arrived). The clock offset (source − arrival) is estimated from that latest data,
 * transport delay included.
 */
export function createClockAnchor(clock: () => Nanos) {
  let anchor: ClockAnchor | undefined;
  return {
    /** Data on the source clock at `source` arrived at `arrival`. */
    note(source: Nanos, arrival: Nanos): void {
      anchor = { source, arrival };
    },
    /** The source clock now, extrapolated from the latest data; undefined before any. */
    read(): Nanos | undefined {
      return anchor === undefined ? undefined : anchor.source + (clock() - anchor.arrival);
    },
    /** Source − arrival of the latest data; undefined before any. */
    offset(): Nanos | undefined {
      return anchor === undefined ? undefined : anchor.source - anchor.arrival;
    },
  };
}

export type ClockAnchorStore = ReturnType<typeof createClockAnchor>;
