import { PLAYBACK_RATE } from "../config/playbackRate";
import type { Nanos } from "../types";
import { BadInputError } from "../types/errors";

/** What playback is doing, as `/play/state` reports it. */
export type PlaybackState = "waiting" | "playing" | "paused" | "ended";

/**
 * The clock a recording is played on: log time runs at `rate` × wall time from an anchor, and
 * can be paused, sped up or slowed down while it plays (a viewer setting `/play/rate`); each
 * change re-anchors it at the log time it reads then, so time never jumps. `loop` is read at the
 * end of each pass, so it too may change while playing.
 */
export class PlaybackClock {
  #rate: number;
  #paused = false;
  #loop: boolean;
  #log0: Nanos | undefined;
  #wall0 = 0;
  readonly #wakers = new Set<() => void>();
  readonly #listeners = new Set<() => void>();

  constructor(options: { rate?: number; loop?: boolean } = {}) {
    this.#rate = checkRate("rate", options.rate ?? 1);
    this.#loop = options.loop === true;
  }

  get rate(): number {
    return this.#rate;
  }
  get paused(): boolean {
    return this.#paused;
  }
  get loop(): boolean {
    return this.#loop;
  }

  /** A new speed factor (checked: PLAYBACK_RATE), from the log time the clock reads now. */
  setRate(rate: number, where = "rate"): void {
    checkRate(where, rate);
    this.#reanchor();
    this.#rate = rate;
    this.#changed();
  }

  setPaused(paused: boolean): void {
    if (paused === this.#paused) return;
    if (paused) this.#reanchor();
    else this.#wall0 = performance.now();
    this.#paused = paused;
    this.#changed();
  }

  setLoop(loop: boolean): void {
    if (loop === this.#loop) return;
    this.#loop = loop;
    this.#changed();
  }

  /** Starts the clock again at `logTime`, now (after a hold at the end of the recording). */
  anchor(logTime: Nanos): void {
    this.#log0 = logTime;
    this.#wall0 = performance.now();
  }

  /** The log time the clock reads now; undefined before the first message. */
  now(): Nanos | undefined {
    if (this.#log0 === undefined) return undefined;
    if (this.#paused) return this.#log0;
    return this.#log0 + BigInt(Math.round((performance.now() - this.#wall0) * 1e6 * this.#rate));
  }

  /**
   * Resolves when the clock reaches `logTime` (at once for the first message, which starts it),
   * waiting while paused, with how far behind it is then (ms of wall time, ≥ 0); at once when
   * `signal` aborts.
   */
  async until(logTime: Nanos, signal?: AbortSignal): Promise<number> {
    for (;;) {
      if (signal?.aborted) return 0;
      if (this.#paused) {
        await this.#nextChange(undefined, signal);
        continue;
      }
      if (this.#log0 === undefined) {
        this.anchor(logTime);
        return 0;
      }
      const due = this.#wall0 + Number(logTime - this.#log0) / 1e6 / this.#rate;
      const wait = due - performance.now();
      if (wait < 1) return Math.max(0, -wait);
      await this.#nextChange(wait, signal);
    }
  }

  /** Called after every change of rate, pause or loop; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves at the next change, after `ms` (when given), or when `signal` aborts. */
  #nextChange(ms: number | undefined, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        wakers.delete(done);
        resolve();
      }
      const wakers = this.#wakers;
      wakers.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  #reanchor(): void {
    const now = this.now();
    if (now === undefined) return;
    this.#log0 = now;
    this.#wall0 = performance.now();
  }

  #changed(): void {
    for (const wake of [...this.#wakers]) wake();
    for (const l of [...this.#listeners]) l();
  }
}

function checkRate(where: string, rate: number): number {
  if (!(Number.isFinite(rate) && rate >= PLAYBACK_RATE.min && rate <= PLAYBACK_RATE.max))
    throw new BadInputError({
      where,
      what: String(rate),
      expected: `a real-time factor from ${PLAYBACK_RATE.min} to ${PLAYBACK_RATE.max}`,
      code: "usage",
    });
  return rate;
}
