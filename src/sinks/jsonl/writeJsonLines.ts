import type { Writable } from "stream";
import { Observable, type OperatorFunction } from "rxjs";
import { JsonLinesSink, type JsonLinesSinkOptions, type JsonLinesStats } from "./JsonLinesSink";

export type WriteJsonLinesOptions<T> = JsonLinesSinkOptions<T> & {
  /** End the writable when the source completes (default false: keep process.stdout open). */
  end?: boolean;
};

export type WriteJsonLinesOperator<T> = OperatorFunction<T, T> & {
  /** Counters of every subscription made through this operator. */
  readonly stats: JsonLinesStats;
};

/**
 * Sink operator: writes each value as one JSON line and re-emits it, in order, once its line has
 * reached the writable; completes after the last line is flushed (and the writable ended, with
 * `end`). It honours the writable's backpressure (see JsonLinesSink) and errors, with a one-line
 * message, when the output fails or falls more than `maxQueuedLines` behind.
 */
export function writeJsonLines<T>(writable: Writable, options: WriteJsonLinesOptions<T> = {}): WriteJsonLinesOperator<T> {
  const stats: JsonLinesStats = { lines: 0, bytes: 0, drainWaits: 0, maxQueued: 0 };
  const operator = (source: Observable<T>): Observable<T> =>
    new Observable<T>((subscriber) => {
      const sink = new JsonLinesSink<T>(writable, options, stats);
      let chain: Promise<void> = Promise.resolve();
      let failed = false;
      const onError = (err: unknown): void => {
        if (failed) return;
        failed = true;
        subscriber.error(err);
      };
      const sub = source.subscribe({
        next: (value) => {
          const written = sink.write(value);
          // A refused line fails the stream now, not after the lines queued before it.
          written.catch(onError);
          // The sink resolves writes in order; chaining keeps re-emission in that order too.
          chain = chain
            .then(() => written)
            .then(() => {
              if (!failed) subscriber.next(value);
            });
          chain.catch(onError);
        },
        error: (err) => {
          chain.then(() => sink.flush()).then(() => onError(err), onError);
        },
        complete: () => {
          chain
            .then(() => (options.end ? sink.end() : sink.flush()))
            .then(() => {
              if (!failed) subscriber.complete();
            }, onError);
        },
      });
      return () => {
        sub.unsubscribe();
        sink.dispose();
      };
    });
  return Object.assign(operator, { stats });
}
