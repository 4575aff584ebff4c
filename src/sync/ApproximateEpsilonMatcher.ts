import type { Nanos } from "../types/time";

/**
 * ROS message_filters' ApproximateEpsilonTime policy: a set is emitted when every topic's oldest
 * pending message lies within `epsilon` after the overall oldest one. Pure and synchronous;
 * `add()` returns the sets (values in topic order) completed by that call.
 */
export class ApproximateEpsilonMatcher<T> {
  /** Messages dropped: queue overflow while waiting, or heads discarded as unmatched. */
  readonly counters = { queueDrops: 0, discarded: 0, published: 0 };
  readonly #queues: { stamp: Nanos; value: T }[][];
  readonly #queueSize: number;
  readonly #epsilon: Nanos;
  #nonEmpty = 0;

  constructor(params: { topicCount: number; queueSize: number; epsilon: Nanos }) {
    const { topicCount, queueSize, epsilon } = params;
    if (!Number.isInteger(topicCount) || topicCount < 2) {
      throw new RangeError(`ApproximateEpsilonMatcher: topicCount must be an integer ≥ 2, got ${topicCount}`);
    }
    if (!Number.isInteger(queueSize) || queueSize < 1) {
      throw new RangeError(`ApproximateEpsilonMatcher: queueSize must be an integer ≥ 1, got ${queueSize}`);
    }
    if (epsilon < 0n) throw new RangeError(`ApproximateEpsilonMatcher: epsilon must be ≥ 0 ns, got ${epsilon}`);
    this.#queues = Array.from({ length: topicCount }, () => []);
    this.#queueSize = queueSize;
    this.#epsilon = epsilon;
  }

  add(topic: number, stamp: Nanos, value: T): T[][] {
    const q = this.#queues[topic];
    if (q === undefined) {
      throw new RangeError(`ApproximateEpsilonMatcher.add: topic must be in 0..${this.#queues.length - 1}, got ${topic}`);
    }
    if (q.length === 0) this.#nonEmpty++;
    q.push({ stamp, value });
    const out: T[][] = [];
    if (this.#nonEmpty === this.#queues.length) {
      this.#process(out);
    } else if (q.length > this.#queueSize) {
      this.#popFront(topic);
      this.counters.queueDrops++;
    }
    return out;
  }

  #popFront(i: number): void {
    const q = this.#queues[i]!;
    q.shift();
    if (q.length === 0) this.#nonEmpty--;
  }

  #process(out: T[][]): void {
    const queues = this.#queues;
    while (this.#nonEmpty === queues.length) {
      let oldest = 0;
      for (let i = 1; i < queues.length; i++) if (queues[i]![0]!.stamp < queues[oldest]![0]!.stamp) oldest = i;
      const limit = queues[oldest]![0]!.stamp + this.#epsilon;
      if (queues.every((q) => q[0]!.stamp <= limit)) {
        out.push(queues.map((q) => q[0]!.value));
        this.counters.published++;
        for (let i = 0; i < queues.length; i++) this.#popFront(i);
      } else {
        for (let i = 0; i < queues.length; i++) {
          if (queues[i]![0]!.stamp <= limit) {
            this.#popFront(i);
            this.counters.discarded++;
          }
        }
      }
    }
  }
}
