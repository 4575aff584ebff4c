import type { Writable } from "stream";

export type JsonLinesSinkOptions<T> = {
  /** Maps a value to what is written (e.g. `toSceneJson`); default: the value itself. */
  serialize?: (value: T) => unknown;
  /**
   * Lines held while the output is not draining; one more is refused with an error rather than
   * let memory grow without bound (default 1024).
   */
  maxQueuedLines?: number;
};

/** Cumulative counters of a sink. */
export type JsonLinesStats = {
  /** Lines handed to the writable. */
  lines: number;
  /** Bytes (UTF-8) handed to the writable. */
  bytes: number;
  /** Times the writable asked to wait for 'drain'. */
  drainWaits: number;
  /** Most lines queued at once while waiting for 'drain'. */
  maxQueued: number;
};

/** JSON.stringify with bigints as decimal strings (JSON has no 64-bit integers). */
export function stringifyLine(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

type Queued = { line: string; resolve: () => void; reject: (e: Error) => void };

/**
 * Writes one JSON value per line to a Node Writable (a file stream, process.stdout, a socket).
 * Backpressure: once `writable.write` returns false no further line is written until 'drain';
 * meanwhile lines queue (bounded by `maxQueuedLines`) and their `write` promises resolve when
 * they reach the writable. A stream error fails the queued and all later writes with one line.
 * The writable is ended only by `end()` (so process.stdout can be used and left open).
 */
export class JsonLinesSink<T = unknown> {
  readonly stats: JsonLinesStats;
  private readonly queue: Queued[] = [];
  private readonly flushWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private waiting = false;
  private failure: Error | undefined;
  private readonly serialize: (value: T) => unknown;
  private readonly maxQueued: number;
  private readonly onError = (err: Error): void =>
    this.fail(new Error(`jsonl sink: output failed after ${this.stats.lines} lines: ${err.message}`));
  private readonly onDrain = (): void => this.drain();

  constructor(
    private readonly writable: Writable,
    options: JsonLinesSinkOptions<T> = {},
    stats?: JsonLinesStats,
  ) {
    const max = options.maxQueuedLines ?? 1024;
    if (!Number.isInteger(max) || max < 0) throw new RangeError(`jsonl sink: maxQueuedLines must be an integer ≥ 0, got ${max}`);
    this.maxQueued = max;
    this.serialize = options.serialize ?? ((v: T) => v);
    this.stats = stats ?? { lines: 0, bytes: 0, drainWaits: 0, maxQueued: 0 };
    writable.on("error", this.onError);
  }

  /** Resolves once the line is handed to the writable; rejects on a stream error, a full queue or a value JSON cannot hold. */
  write(value: T): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.writable.destroyed || this.writable.writableEnded) {
      return Promise.reject(new Error(`jsonl sink: the output is closed (after ${this.stats.lines} lines)`));
    }
    let line: string;
    try {
      line = `${stringifyLine(this.serialize(value))}\n`;
    } catch (err) {
      return Promise.reject(
        new Error(`jsonl sink: line ${this.stats.lines + this.queue.length + 1}: cannot serialize: ${(err as Error).message}`),
      );
    }
    if (!this.waiting && this.queue.length === 0) {
      this.writeNow(line);
      return Promise.resolve();
    }
    if (this.queue.length >= this.maxQueued) {
      return Promise.reject(
        new Error(
          `jsonl sink: ${this.queue.length} lines already wait for the output to drain (maxQueuedLines ${this.maxQueued}); the output is slower than the pipeline`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ line, resolve, reject });
      this.stats.maxQueued = Math.max(this.stats.maxQueued, this.queue.length);
    });
  }

  /** Resolves when every queued line has been handed to the writable and it is not waiting for 'drain'. */
  flush(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.waiting && this.queue.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => this.flushWaiters.push({ resolve, reject }));
  }

  /** Flushes, ends the writable and resolves on 'finish'. */
  async end(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => {
      this.writable.once("error", reject);
      this.writable.end(() => resolve());
    });
    this.dispose();
  }

  /** Stops listening to the writable; queued lines are rejected. */
  dispose(): void {
    this.writable.off("error", this.onError);
    this.writable.off("drain", this.onDrain);
    const err = new Error("jsonl sink: disposed before the line was written");
    for (const q of this.queue.splice(0)) q.reject(err);
    for (const w of this.flushWaiters.splice(0)) w.reject(err);
  }

  private writeNow(line: string): void {
    this.stats.lines++;
    this.stats.bytes += Buffer.byteLength(line);
    if (!this.writable.write(line)) {
      this.waiting = true;
      this.stats.drainWaits++;
      this.writable.once("drain", this.onDrain);
    }
  }

  private drain(): void {
    this.waiting = false;
    while (!this.waiting && this.queue.length > 0 && !this.failure) {
      const q = this.queue.shift()!;
      this.writeNow(q.line);
      q.resolve();
    }
    if (!this.waiting && this.queue.length === 0) for (const w of this.flushWaiters.splice(0)) w.resolve();
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const q of this.queue.splice(0)) q.reject(err);
    for (const w of this.flushWaiters.splice(0)) w.reject(err);
  }
}
