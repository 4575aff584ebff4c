import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from "rxjs";
import { isClockTick, type ClockTick, type SyncedBundle, type TimedFrame } from "../types/bundles";
import type { SensorFrame } from "../types/frames";
import type { Nanos } from "../types/time";
import { planAlignByDeadline, type AlignByDeadlineOptions, type AlignByDeadlinePlan } from "./alignByDeadlineSchema";
import { DeadlineAligner } from "./DeadlineAligner";

/** `scheduler.now()` (ms, possibly fractional) as bigint ns without losing precision on epoch values. */
function schedulerNowNs(scheduler: SchedulerLike): Nanos {
  const ms = scheduler.now();
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
}

function isPlanned(options: AlignByDeadlineOptions | AlignByDeadlinePlan): options is AlignByDeadlinePlan {
  return typeof (options as AlignByDeadlinePlan).period === "bigint";
}

/**
 * The pipeline's default time alignment: one `SyncedBundle` per fusion tick, with every
 * configured sensor marked `included` / `late` / `stale` / `missing`.
 *
 * Ticks come from a fixed-rate grid or from a reference sensor's frames (continuing at its nominal
 * rate while it is silent). For each tick, each sensor's frame nearest tick + offset within ±
 * tolerance is taken; the bundle waits for frames at most `deadlineMs` on the clock, so a dead
 * sensor never stalls output. Frames are used at most once; late, reordered, duplicate and
 * overflowing frames are dropped and counted per sensor. Queues are bounded by configuration.
 *
 * Clock (`clock` option): `recording` (default) reads time from the frames' `receivedAt`, so a
 * lossless replay gives the same bundles at any speed; `scheduler` reads `scheduler.now()` and
 * uses timers, for live streams (asyncScheduler) and marble tests (TestScheduler).
 *
 * A `ClockTick` in the input moves the `recording` clock without a frame (a live session's
 * heartbeat: ticks keep coming while every source is silent).
 *
 * Invalid configuration throws a BadInputError at call time (start-up), naming the field; a
 * plan already made by `planAlignByDeadline` (the pipeline makes one per run) is used as it is.
 */
export function alignByDeadline<F extends TimedFrame = SensorFrame>(
  options: AlignByDeadlineOptions | AlignByDeadlinePlan,
  scheduler: SchedulerLike = asyncScheduler,
): OperatorFunction<F | ClockTick, SyncedBundle<F>> {
  const plan = isPlanned(options) ? options : planAlignByDeadline(options);
  const live = plan.clock === "scheduler";
  return (source) =>
    new Observable<SyncedBundle<F>>((subscriber) => {
      const aligner = new DeadlineAligner<F>(plan, (bundle) => subscriber.next(bundle));
      let timer: Subscription | undefined;
      let timerDue: Nanos | undefined;

      // One timer at a time, armed for the next tick's deadline; only in live mode.
      const arm = (): void => {
        if (!live || subscriber.closed) return;
        const due = aligner.nextDueAt();
        if (due === undefined || (timer !== undefined && timerDue === due)) return;
        timer?.unsubscribe();
        const now = schedulerNowNs(scheduler);
        const delayMs = due > now ? Math.ceil(Number(due - now) / 1e6) : 0;
        timerDue = due;
        timer = scheduler.schedule(() => {
          timer = undefined;
          timerDue = undefined;
          aligner.advance(schedulerNowNs(scheduler));
          arm();
        }, delayMs);
      };

      if (live) {
        aligner.start(schedulerNowNs(scheduler));
        arm();
      }
      const upstream = source.subscribe({
        next: (item) => {
          if (isClockTick(item)) aligner.advance(live ? schedulerNowNs(scheduler) : item.now);
          else aligner.onFrame(item, live ? schedulerNowNs(scheduler) : undefined);
          arm();
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          if (live) aligner.advance(schedulerNowNs(scheduler));
          aligner.flush();
          subscriber.complete();
        },
      });
      return () => {
        upstream.unsubscribe();
        timer?.unsubscribe();
      };
    });
}
