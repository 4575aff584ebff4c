import { intervalSummary, LatencyRecorder } from "./histogram";

describe("LatencyRecorder", () => {
  it("gives the percentiles of 1..1000 ms within the histogram's 0.1 % and exact count, mean, stddev, max", () => {
    const r = new LatencyRecorder([50, 100]);
    for (let v = 1; v <= 1000; v++) r.record(v);
    const s = r.summary();
    expect(s.count).toBe(1000);
    expect(Math.abs(s.p50Ms - 500) / 500).toBeLessThan(0.001);
    expect(Math.abs(s.p95Ms - 950) / 950).toBeLessThan(0.001);
    expect(Math.abs(s.p99Ms - 990) / 990).toBeLessThan(0.001);
    expect(Math.abs(s.p999Ms - 999) / 999).toBeLessThan(0.001);
    expect(s.maxMs).toBe(1000);
    expect(s.minMs).toBe(1);
    expect(s.meanMs).toBeCloseTo(500.5, 6);
    // Population standard deviation of 1..n is sqrt((n² − 1) / 12).
    expect(s.stddevMs).toBeCloseTo(Math.sqrt((1000 ** 2 - 1) / 12), 2);
    expect(r.missed(50)).toBe(950);
    expect(r.missed(100)).toBe(900);
    expect(r.deadlineMisses()).toEqual({ missed50ms: 950, missed100ms: 900 });
  });

  it("resolves sub-millisecond values to the microsecond", () => {
    const r = new LatencyRecorder([1]);
    for (const v of [0.25, 0.5, 0.75, 1.25]) r.record(v);
    const s = r.summary();
    expect(s.p50Ms).toBe(0.5);
    expect(s.maxMs).toBe(1.25);
    expect(r.missed(1)).toBe(1);
  });

  it("counts a deadline miss only strictly above the deadline", () => {
    const r = new LatencyRecorder([50, 100]);
    for (const v of [49.999, 50, 50.001, 100, 100.5]) r.record(v);
    expect(r.deadlineMisses()).toEqual({ missed50ms: 3, missed100ms: 1 });
  });

  it("records negative samples as 0 and counts them; refuses non-finite samples; summarises nothing as zeros", () => {
    const r = new LatencyRecorder();
    r.record(-3);
    expect(r.clampedNegative).toBe(1);
    expect(r.summary().maxMs).toBe(0);
    expect(() => r.record(Number.NaN)).toThrow(/expected a finite number of ms, got NaN/);
    expect(new LatencyRecorder().summary()).toEqual({
      count: 0,
      p50Ms: 0,
      p95Ms: 0,
      p99Ms: 0,
      p999Ms: 0,
      maxMs: 0,
      minMs: 0,
      meanMs: 0,
      stddevMs: 0,
    });
    expect(() => r.missed(75)).toThrow(/75 ms is not a tracked deadline, expected one of 50, 100/);
  });

  it("keeps the samples in order only when asked", () => {
    const kept = new LatencyRecorder([], true, 2);
    [3, 1, 2].forEach((v) => kept.record(v));
    expect(kept.samples).toEqual([3, 1]);
    const notKept = new LatencyRecorder();
    notKept.record(1);
    expect(notKept.samples).toEqual([]);
  });
});

describe("intervalSummary", () => {
  it("is zero jitter on a regular 100 ms grid", () => {
    const s = intervalSummary([0, 100, 200, 300, 400]);
    expect(s).toMatchObject({ count: 4, meanMs: 100, stddevMs: 0, p50Ms: 100, p99Ms: 100, jitterMs: 0 });
  });

  it("reports p99 − p50 as jitter when one interval is late", () => {
    // 99 intervals of 100 ms and one of 300 ms: p50 100, p99 100 (the 99th of 100 sorted), max 300.
    const times = [0];
    for (let i = 0; i < 99; i++) times.push(times[times.length - 1]! + 100);
    times.push(times[times.length - 1]! + 300);
    const s = intervalSummary(times);
    expect(s.count).toBe(100);
    expect(s.p50Ms).toBeCloseTo(100, 1);
    expect(s.meanMs).toBeCloseTo(102, 6);
    expect(s.stddevMs).toBeCloseTo(Math.sqrt(0.99 * 4 + 0.01 * 198 ** 2), 2);
    expect(s.jitterMs).toBeCloseTo(s.p99Ms - s.p50Ms, 6);
  });

  it("gives zeros for fewer than two times", () => {
    expect(intervalSummary([5]).count).toBe(0);
    expect(intervalSummary([]).jitterMs).toBe(0);
  });
});
