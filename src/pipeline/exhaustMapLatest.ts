import { Observable, type OperatorFunction } from "rxjs";

/**
 * Like exhaustMap, but the newest value that arrived while busy is processed when the current one
 * finishes (at most one waits; older waiting values are dropped). `onTaken` is called when a
 * waiting value is processed after all, so the caller's drop count (counted on arrival) stays exact.
 */
export function exhaustMapLatest<T, R>(project: (value: T) => Promise<R>, onTaken: () => void): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      let busy = false;
      let waiting: { value: T } | undefined;
      let done = false;
      const run = (value: T): void => {
        busy = true;
        project(value).then(
          (r) => {
            subscriber.next(r);
            busy = false;
            if (waiting) {
              const next = waiting.value;
              waiting = undefined;
              onTaken();
              run(next);
            } else if (done) subscriber.complete();
          },
          (err: unknown) => subscriber.error(err),
        );
      };
      const sub = source.subscribe({
        next: (v) => {
          if (busy) waiting = { value: v };
          else run(v);
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          done = true;
          if (!busy) subscriber.complete();
        },
      });
      return () => sub.unsubscribe();
    });
}
