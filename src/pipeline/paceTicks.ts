import { concatMap, type MonoTypeOperatorFunction, type OperatorFunction, tap } from "rxjs";
import { exhaustMapLatest } from "./exhaustMapLatest";

/**
 * How ticks wait for the encoders. `lossless`: every tick is processed, in order; the feed is held
 * back (`waitForRoom`) while more than `maxInFlight` ticks wait, so memory stays bounded on a
 * recording of any length. `latest`: never wait (real time); while busy only the newest tick is
 * kept and the others are counted in `dropped()`.
 */
export type TickPacer = {
  readonly mode: "lossless" | "latest";
  /** Resolves once the pipeline has room (at once in `latest` mode, or after `close`). */
  waitForRoom(): Promise<void>;
  /** The pacing operator: ticks in, `step`'s results out, in tick order. */
  pace<T, R>(step: (tick: T) => Promise<R>): OperatorFunction<T, R>;
  /** Ticks dropped to the newest so far. */
  dropped(): number;
  /** Marks the pacer open (on subscribe) … */
  open(): void;
  /** … and closed (on unsubscribe): a feed waiting for room stops waiting, since the ticks queued inside the operator will never settle. */
  close(): void;
};

export function createTickPacer(mode: "lossless" | "latest", maxInFlight: number): TickPacer {
  let inFlight = 0;
  let dropped = 0;
  let closed = false;
  const waiters: (() => void)[] = [];
  const wake = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  const settled = (): void => {
    inFlight--;
    wake();
  };
  const lossless = <T, R>(step: (tick: T) => Promise<R>): OperatorFunction<T, R> => {
    // Counted on arrival, not when concatMap starts it: the ticks waiting inside concatMap are
    // what `waitForRoom` must bound (counting only the running one let the reader run ahead of
    // the encoders through the whole recording).
    const count: MonoTypeOperatorFunction<T> = tap(() => inFlight++);
    return (ticks) =>
      ticks.pipe(
        count,
        concatMap((t) => step(t).finally(settled)),
      );
  };
  const latest = <T, R>(step: (tick: T) => Promise<R>): OperatorFunction<T, R> => {
    const counted = (t: T): Promise<R> => {
      inFlight++;
      return step(t).finally(settled);
    };
    // Real time: never queue behind a slow encoder; keep the newest tick, count the rest.
    const countDrops: MonoTypeOperatorFunction<T> = tap(() => {
      if (inFlight > 0) dropped++;
    });
    return (ticks) =>
      ticks.pipe(
        countDrops,
        exhaustMapLatest(counted, () => dropped--),
      );
  };
  return {
    mode,
    async waitForRoom() {
      while (inFlight > maxInFlight && !closed) await new Promise<void>((r) => waiters.push(r));
    },
    pace: mode === "lossless" ? lossless : latest,
    dropped: () => Math.max(0, dropped),
    open() {
      closed = false;
    },
    close() {
      closed = true;
      wake();
    },
  };
}
