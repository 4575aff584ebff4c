import * as hdr from "hdr-histogram-js";

type Histogram = ReturnType<typeof hdr.build>;

/** Percentiles of one latency distribution (ms). Percentiles come from an HDR histogram (3 significant digits). */
export type LatencySummary = {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  minMs: number;
  meanMs: number;
  stddevMs: number;
};

/** Samples above each deadline (exact counts, not bucketed). */
export type DeadlineMisses = { missed50ms: number; missed100ms: number };

const round3 = (v: number): number => Math.round(v * 1000) / 1000;

/**
 * One latency distribution: an HDR histogram in microseconds (1 µs .. 100 s, 3 significant
 * digits) for the percentiles, exact count / mean / standard deviation / min / max, exact counts
 * above the given deadlines, and (optionally) the raw samples in arrival order for plots.
 */
export class LatencyRecorder {
  private readonly h: Histogram;
  private n = 0;
  private sum = 0;
  private sumSq = 0;
  private min = Infinity;
  private max = -Infinity;
  private readonly over: number[];
  /** Samples that were negative (clock skew) and recorded as 0. */
  clampedNegative = 0;
  /** The raw samples in arrival order (kept only when `keepSamples`, at most `maxSamples`). */
  readonly samples: number[] = [];

  constructor(
    readonly deadlinesMs: readonly number[] = [50, 100],
    private readonly keepSamples = false,
    private readonly maxSamples = 1_000_000,
  ) {
    this.h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 100_000_000, numberOfSignificantValueDigits: 3 });
    this.over = deadlinesMs.map(() => 0);
  }

  record(ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError(`LatencyRecorder.record: expected a finite number of ms, got ${ms}`);
    if (ms < 0) {
      this.clampedNegative++;
      ms = 0;
    }
    this.n++;
    this.sum += ms;
    this.sumSq += ms * ms;
    this.min = Math.min(this.min, ms);
    this.max = Math.max(this.max, ms);
    this.deadlinesMs.forEach((d, i) => {
      if (ms > d) this.over[i]!++;
    });
    // 100 s is the histogram's ceiling; anything longer is counted there (max stays exact).
    this.h.recordValue(Math.min(100_000_000, Math.round(ms * 1000)));
    if (this.keepSamples && this.samples.length < this.maxSamples) this.samples.push(ms);
  }

  get count(): number {
    return this.n;
  }

  /** Samples strictly above `deadlineMs` (one of the constructor's deadlines). */
  missed(deadlineMs: number): number {
    const i = this.deadlinesMs.indexOf(deadlineMs);
    if (i < 0)
      throw new RangeError(
        `LatencyRecorder.missed: ${deadlineMs} ms is not a tracked deadline, expected one of ${this.deadlinesMs.join(", ")}`,
      );
    return this.over[i]!;
  }

  /** Percentile p (0..100) in ms, from the histogram (the bucket's upper value, ≤ 0.1 % above the sample). */
  percentile(p: number): number {
    if (this.n === 0) return 0;
    return Math.min(this.h.getValueAtPercentile(p) / 1000, this.max);
  }

  summary(): LatencySummary {
    if (this.n === 0) return { count: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0, minMs: 0, meanMs: 0, stddevMs: 0 };
    const mean = this.sum / this.n;
    const variance = Math.max(0, this.sumSq / this.n - mean * mean);
    return {
      count: this.n,
      p50Ms: round3(this.percentile(50)),
      p95Ms: round3(this.percentile(95)),
      p99Ms: round3(this.percentile(99)),
      p999Ms: round3(this.percentile(99.9)),
      maxMs: round3(this.max),
      minMs: round3(this.min),
      meanMs: round3(mean),
      stddevMs: round3(Math.sqrt(variance)),
    };
  }

  deadlineMisses(): DeadlineMisses {
    return {
      missed50ms: this.deadlinesMs.includes(50) ? this.missed(50) : 0,
      missed100ms: this.deadlinesMs.includes(100) ? this.missed(100) : 0,
    };
  }
}

/** Spacing of successive events (e.g. scene emissions), and its jitter. */
export type IntervalSummary = {
  count: number;
  meanMs: number;
  stddevMs: number;
  p50Ms: number;
  p99Ms: number;
  /** p99 − p50 of the intervals (ms). */
  jitterMs: number;
};

/** Intervals between successive times (ms, ascending); fewer than two times give zeros. */
export function intervalSummary(timesMs: readonly number[]): IntervalSummary {
  const r = new LatencyRecorder([]);
  for (let i = 1; i < timesMs.length; i++) r.record(timesMs[i]! - timesMs[i - 1]!);
  const s = r.summary();
  return {
    count: s.count,
    meanMs: s.meanMs,
    stddevMs: s.stddevMs,
    p50Ms: s.p50Ms,
    p99Ms: s.p99Ms,
    jitterMs: round3(Math.max(0, s.p99Ms - s.p50Ms)),
  };
}
