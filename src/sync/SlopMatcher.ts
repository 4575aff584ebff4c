import type { Nanos } from "../types/time";

/**
 * rclpy's `ApproximateTimeSynchronizer(fs, queue_size, slop)`: a different, simpler algorithm than
 * the C++ ApproximateTime. Each topic keeps its latest `queueSize` stamps (same stamp overwrites);
 * a new message is matched with the nearest messages of the other topics whose overall spread is
 * strictly below `slop`. Pure and synchronous; `add()` returns the sets completed by that call.
 */
export class SlopMatcher<T> {
  readonly counters = { evicted: 0, published: 0 };
  readonly #queues: Map<Nanos, T>[];
  readonly #queueSize: number;
  readonly #slop: Nanos;

  constructor(params: { topicCount: number; queueSize: number; slop: Nanos }) {
    const { topicCount, queueSize, slop } = params;
    if (!Number.isInteger(topicCount) || topicCount < 2) {
      throw new RangeError(`SlopMatcher: topicCount must be an integer ≥ 2, got ${topicCount}`);
    }
    if (!Number.isInteger(queueSize) || queueSize < 1) {
      throw new RangeError(`SlopMatcher: queueSize must be an integer ≥ 1, got ${queueSize}`);
    }
    if (slop < 0n) throw new RangeError(`SlopMatcher: slop must be ≥ 0 ns, got ${slop}`);
    this.#queues = Array.from({ length: topicCount }, () => new Map<Nanos, T>());
    this.#queueSize = queueSize;
    this.#slop = slop;
  }

  add(topic: number, stamp: Nanos, value: T): T[][] {
    const own = this.#queues[topic];
    if (own === undefined) throw new RangeError(`SlopMatcher.add: topic must be in 0..${this.#queues.length - 1}, got ${topic}`);
    own.set(stamp, value);
    while (own.size > this.#queueSize) {
      let oldest: Nanos | undefined;
      for (const k of own.keys()) if (oldest === undefined || k < oldest) oldest = k;
      own.delete(oldest!);
      this.counters.evicted++;
    }
    const abs = (d: Nanos): Nanos => (d < 0n ? -d : d);
    // Per other topic: stamps within slop of the new one, nearest first (stable for equal distance).
    const options: Nanos[][] = [];
    for (let i = 0; i < this.#queues.length; i++) {
      if (i === topic) continue;
      const near = [...this.#queues[i]!.keys()].filter((s) => abs(s - stamp) <= this.#slop);
      if (near.length === 0) return [];
      near.sort((a, b) => {
        const da = abs(a - stamp);
        const db = abs(b - stamp);
        return da < db ? -1 : da > db ? 1 : 0;
      });
      options.push(near);
    }
    // Cartesian product in lexicographic order (first topic varies slowest), as itertools.product.
    const idx = new Array<number>(options.length).fill(0);
    for (;;) {
      const stamps: Nanos[] = idx.map((j, k) => options[k]![j]!);
      stamps.splice(topic, 0, stamp);
      let lo = stamps[0]!;
      let hi = stamps[0]!;
      for (const s of stamps) {
        if (s < lo) lo = s;
        if (s > hi) hi = s;
      }
      // The new message may itself have been evicted above; upstream then emits nothing.
      if (hi - lo < this.#slop && stamps.every((s, i) => this.#queues[i]!.has(s))) {
        const set = stamps.map((s, i) => this.#queues[i]!.get(s)!);
        stamps.forEach((s, i) => this.#queues[i]!.delete(s));
        this.counters.published++;
        return [set];
      }
      let k = idx.length - 1;
      while (k >= 0 && ++idx[k]! >= options[k]!.length) idx[k--] = 0;
      if (k < 0) return [];
    }
  }
}
