import type { Nanos } from "../types/time";

/** Parameters of the ApproximateTime policy; durations are bigint ns. */
export type ApproximateTimeParams = {
  /** Number of inputs (topics); tuples have this many elements. */
  topicCount: number;
  /** Per-topic limit on pending messages; the oldest of an over-full topic is dropped. */
  queueSize: number;
  /** Largest accepted span (latest − earliest stamp) of a set. */
  maxInterval: Nanos;
  /** Weight that makes newer sets win over older ones of equal span (≥ 0). */
  agePenalty: number;
  /** Per-topic lower bound on the stamp gap between consecutive messages (0 = unknown). */
  interMessageLowerBounds: readonly Nanos[];
};

/** Counters the matcher keeps; cumulative since construction. */
export type ApproximateTimeCounters = {
  /** Messages dropped because their topic's queue was full. */
  queueDrops: number;
  /** Messages that arrived with a smaller stamp than their predecessor on the same topic. */
  outOfOrder: number;
  /** Messages closer to their predecessor than the configured inter-message lower bound. */
  boundViolations: number;
  /** Sets emitted. */
  published: number;
};

/** ROS `Duration(INT32_MAX s, 999999999 ns)`: the upstream "no limit" value. */
export const UNBOUNDED_INTERVAL: Nanos = 2_147_483_647_999_999_999n;

type Entry<T> = { stamp: Nanos; value: T };

const NO_PIVOT = -1;
const SCALE_DEN = 1_000_000_000n;

/**
 * The ROS message_filters ApproximateTime policy as a pure, synchronous state machine.
 *
 * Messages are grouped into sets of one message per topic so that each set has (close to) the
 * smallest span, each message is used at most once, and a set is only emitted once it is proven
 * optimal (or the pivot topic's head is reached). `add()` returns the sets emitted by that call,
 * in order; each set holds the topics' values in topic order.
 *
 * The state transitions follow upstream `approximate_time.hpp` step for step (candidate,
 * pivot, the `past` set-aside vectors, virtual times from the inter-message bounds) so that
 * the published sets match upstream exactly, including its tie-breaking.
 */
export class ApproximateTimeMatcher<T> {
  readonly counters: ApproximateTimeCounters = { queueDrops: 0, outOfOrder: 0, boundViolations: 0, published: 0 };

  readonly #n: number;
  readonly #queueSize: number;
  readonly #maxInterval: Nanos;
  readonly #bounds: readonly Nanos[];
  /** (1 + agePenalty) as a fixed-point numerator over 1e9, so scaling stays in bigint. */
  readonly #factor: bigint;

  readonly #deques: Entry<T>[][];
  readonly #past: Entry<T>[][];
  readonly #hasDropped: boolean[];
  readonly #warned: boolean[];
  #nonEmpty = 0;
  #candidate: Entry<T>[] | undefined;
  #candidateStart: Nanos = 0n;
  #candidateEnd: Nanos = 0n;
  #pivot = NO_PIVOT;
  #pivotTime: Nanos = 0n;
  #out: T[][] = [];

  constructor(params: ApproximateTimeParams) {
    const { topicCount, queueSize, maxInterval, agePenalty, interMessageLowerBounds } = params;
    if (!Number.isInteger(topicCount) || topicCount < 2) {
      throw new RangeError(`ApproximateTimeMatcher: topicCount must be an integer ≥ 2, got ${topicCount}`);
    }
    if (!Number.isInteger(queueSize) || queueSize < 1) {
      throw new RangeError(`ApproximateTimeMatcher: queueSize must be an integer ≥ 1, got ${queueSize}`);
    }
    if (maxInterval < 0n) throw new RangeError(`ApproximateTimeMatcher: maxInterval must be ≥ 0 ns, got ${maxInterval}`);
    if (!Number.isFinite(agePenalty) || agePenalty < 0) {
      throw new RangeError(`ApproximateTimeMatcher: agePenalty must be a finite number ≥ 0, got ${agePenalty}`);
    }
    if (interMessageLowerBounds.length !== topicCount) {
      throw new RangeError(
        `ApproximateTimeMatcher: interMessageLowerBounds needs ${topicCount} entries (one per topic), got ${interMessageLowerBounds.length}`,
      );
    }
    interMessageLowerBounds.forEach((b, i) => {
      if (b < 0n) throw new RangeError(`ApproximateTimeMatcher: interMessageLowerBounds[${i}] must be ≥ 0 ns, got ${b}`);
    });
    this.#n = topicCount;
    this.#queueSize = queueSize;
    this.#maxInterval = maxInterval;
    this.#bounds = [...interMessageLowerBounds];
    this.#factor = BigInt(Math.round((1 + agePenalty) * 1e9));
    this.#deques = Array.from({ length: topicCount }, () => []);
    this.#past = Array.from({ length: topicCount }, () => []);
    this.#hasDropped = new Array<boolean>(topicCount).fill(false);
    this.#warned = new Array<boolean>(topicCount).fill(false);
  }

  /** Messages currently held (pending plus set aside), per topic. */
  pendingCounts(): number[] {
    return this.#deques.map((d, i) => d.length + this.#past[i]!.length);
  }

  /** Adds one message of `topic`; returns the sets this completes (often none). */
  add(topic: number, stamp: Nanos, value: T): T[][] {
    if (!Number.isInteger(topic) || topic < 0 || topic >= this.#n) {
      throw new RangeError(`ApproximateTimeMatcher.add: topic must be an integer in 0..${this.#n - 1}, got ${topic}`);
    }
    this.#out = [];
    const deque = this.#deques[topic]!;
    deque.push({ stamp, value });
    if (deque.length === 1) {
      this.#nonEmpty++;
      if (this.#nonEmpty === this.#n) this.#process();
    } else {
      this.#checkInterMessageBound(topic);
    }
    // During process() the queue may briefly hold queueSize + 1 messages; trim after it.
    if (deque.length + this.#past[topic]!.length > this.#queueSize) {
      this.#nonEmpty = 0;
      for (let i = 0; i < this.#n; i++) this.#recover(i, this.#past[i]!.length);
      deque.shift();
      this.counters.queueDrops++;
      this.#hasDropped[topic] = true;
      if (this.#pivot !== NO_PIVOT) {
        this.#candidate = undefined;
        this.#pivot = NO_PIVOT;
        this.#process();
      }
    }
    return this.#out;
  }

  #checkInterMessageBound(i: number): void {
    if (this.#warned[i]) return;
    const deque = this.#deques[i]!;
    const past = this.#past[i]!;
    const msgTime = deque[deque.length - 1]!.stamp;
    let previous: Nanos;
    if (deque.length === 1) {
      if (past.length === 0) return;
      previous = past[past.length - 1]!.stamp;
    } else {
      previous = deque[deque.length - 2]!.stamp;
    }
    // Upstream only warns once per topic; we count the first occurrence the same way.
    if (msgTime < previous) {
      this.counters.outOfOrder++;
      this.#warned[i] = true;
    } else if (msgTime - previous < this.#bounds[i]!) {
      this.counters.boundViolations++;
      this.#warned[i] = true;
    }
  }

  #scaled(d: Nanos): Nanos {
    // rclcpp's Duration * double truncates toward zero; bigint division does the same.
    return (d * this.#factor) / SCALE_DEN;
  }

  #deleteFront(i: number): void {
    const d = this.#deques[i]!;
    d.shift();
    if (d.length === 0) this.#nonEmpty--;
  }

  #moveFrontToPast(i: number): void {
    const d = this.#deques[i]!;
    this.#past[i]!.push(d.shift()!);
    if (d.length === 0) this.#nonEmpty--;
  }

  #makeCandidate(): void {
    this.#candidate = this.#deques.map((d) => d[0]!);
    for (const p of this.#past) p.length = 0;
  }

  /** Moves the last `count` set-aside messages of topic i back to the front of its deque. */
  #recover(i: number, count: number): void {
    const past = this.#past[i]!;
    const d = this.#deques[i]!;
    if (count > 0) d.unshift(...past.splice(past.length - count, count));
    if (d.length > 0) this.#nonEmpty++;
  }

  #publishCandidate(): void {
    const candidate = this.#candidate!;
    this.#out.push(candidate.map((e) => e.value));
    this.counters.published++;
    this.#candidate = undefined;
    this.#pivot = NO_PIVOT;
    this.#nonEmpty = 0;
    for (let i = 0; i < this.#n; i++) {
      const past = this.#past[i]!;
      const d = this.#deques[i]!;
      if (past.length > 0) d.unshift(...past.splice(0, past.length));
      d.shift();
      if (d.length > 0) this.#nonEmpty++;
    }
  }

  /** Earliest (end = false) or latest (end = true) of `times`; ties as upstream (first for start, last for end). */
  #boundary(times: readonly Nanos[], end: boolean): [number, Nanos] {
    let index = 0;
    let time = times[0]!;
    for (let i = 1; i < times.length; i++) {
      const t = times[i]!;
      if (end ? !(t < time) : t < time) {
        time = t;
        index = i;
      }
    }
    return [index, time];
  }

  #heads(): Nanos[] {
    return this.#deques.map((d) => d[0]!.stamp);
  }

  #virtualTimes(): Nanos[] {
    return this.#deques.map((d, i) => {
      if (d.length > 0) return d[0]!.stamp;
      const past = this.#past[i]!;
      const lowerBound = past[past.length - 1]!.stamp + this.#bounds[i]!;
      return lowerBound > this.#pivotTime ? lowerBound : this.#pivotTime;
    });
  }

  #process(): void {
    const n = this.#n;
    while (this.#nonEmpty === n) {
      const heads = this.#heads();
      const [endIndex, endTime] = this.#boundary(heads, true);
      const [startIndex, startTime] = this.#boundary(heads, false);
      for (let i = 0; i < n; i++) if (i !== endIndex) this.#hasDropped[i] = false;
      if (this.#pivot === NO_PIVOT) {
        if (endTime - startTime > this.#maxInterval) {
          this.#deleteFront(startIndex);
          continue;
        }
        if (this.#hasDropped[endIndex]) {
          this.#deleteFront(startIndex);
          continue;
        }
        this.#makeCandidate();
        this.#candidateStart = startTime;
        this.#candidateEnd = endTime;
        this.#pivot = endIndex;
        this.#pivotTime = endTime;
        this.#moveFrontToPast(startIndex);
      } else if (this.#scaled(endTime - this.#candidateEnd) >= startTime - this.#candidateStart) {
        this.#moveFrontToPast(startIndex);
      } else {
        this.#makeCandidate();
        this.#candidateStart = startTime;
        this.#candidateEnd = endTime;
        this.#moveFrontToPast(startIndex);
      }
      const ageCheck = this.#scaled(endTime - this.#candidateEnd);
      if (startIndex === this.#pivot) {
        this.#publishCandidate();
      } else if (ageCheck >= this.#pivotTime - this.#candidateStart) {
        this.#publishCandidate();
      } else if (this.#nonEmpty < n) {
        this.#virtualSearch();
      }
    }
  }

  /** Uses the inter-message lower bounds to try to prove the current candidate optimal early. */
  #virtualSearch(): void {
    const moves = new Array<number>(this.#n).fill(0);
    for (;;) {
      const virtual = this.#virtualTimes();
      const [, endTime] = this.#boundary(virtual, true);
      const [startIndex, startTime] = this.#boundary(virtual, false);
      const age = this.#scaled(endTime - this.#candidateEnd);
      if (age >= this.#pivotTime - this.#candidateStart) {
        this.#publishCandidate();
        return;
      }
      if (age < startTime - this.#candidateStart) {
        this.#nonEmpty = 0;
        for (let i = 0; i < this.#n; i++) this.#recover(i, moves[i]!);
        return;
      }
      // Upstream proves start_index != pivot here, so the start deque is non-empty.
      this.#moveFrontToPast(startIndex);
      moves[startIndex]!++;
    }
  }
}
