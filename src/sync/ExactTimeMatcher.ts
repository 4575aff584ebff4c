import type { Nanos } from "../types/time";

/**
 * ROS message_filters' ExactTime policy: messages with identical stamps on every topic form a set.
 * Pure and synchronous; `add()` returns the completed sets and counts the dropped groups.
 */
export class ExactTimeMatcher<T> {
  /** `droppedGroups`: incomplete stamp groups discarded (superseded or over the queue limit). */
  readonly counters = { droppedGroups: 0, published: 0 };
  readonly #groups = new Map<Nanos, (T | undefined)[]>();
  readonly #n: number;
  readonly #queueSize: number;

  /** `queueSize` 0 means no limit on the number of pending stamp groups (as upstream). */
  constructor(params: { topicCount: number; queueSize: number }) {
    const { topicCount, queueSize } = params;
    if (!Number.isInteger(topicCount) || topicCount < 2) {
      throw new RangeError(`ExactTimeMatcher: topicCount must be an integer ≥ 2, got ${topicCount}`);
    }
    if (!Number.isInteger(queueSize) || queueSize < 0) {
      throw new RangeError(`ExactTimeMatcher: queueSize must be an integer ≥ 0, got ${queueSize}`);
    }
    this.#n = topicCount;
    this.#queueSize = queueSize;
  }

  add(topic: number, stamp: Nanos, value: T): T[][] {
    if (!Number.isInteger(topic) || topic < 0 || topic >= this.#n) {
      throw new RangeError(`ExactTimeMatcher.add: topic must be in 0..${this.#n - 1}, got ${topic}`);
    }
    let group = this.#groups.get(stamp);
    if (group === undefined) {
      group = new Array<T | undefined>(this.#n).fill(undefined);
      this.#groups.set(stamp, group);
    }
    group[topic] = value;
    const out: T[][] = [];
    if (group.every((v) => v !== undefined)) {
      out.push(group as T[]);
      this.counters.published++;
      this.#groups.delete(stamp);
      for (const key of [...this.#groups.keys()]) {
        if (key <= stamp) {
          this.#groups.delete(key);
          this.counters.droppedGroups++;
        }
      }
    }
    if (this.#queueSize > 0 && this.#groups.size > this.#queueSize) {
      const keys = [...this.#groups.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      for (const key of keys.slice(0, this.#groups.size - this.#queueSize)) {
        this.#groups.delete(key);
        this.counters.droppedGroups++;
      }
    }
    return out;
  }
}
