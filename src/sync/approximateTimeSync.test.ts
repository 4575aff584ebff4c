import fc from "fast-check";
import { from, map } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import type { Nanos } from "../types/time";
import { ApproximateTimeMatcher, UNBOUNDED_INTERVAL } from "./ApproximateTimeMatcher";
import { approximateTimeSync, type ApproximateTimeSyncOptions, type ApproximateTimeSyncStats } from "./approximateTimeSync";

const MS = 1_000_000n;
type Tiny = { sensorId: string; stamp: Nanos };
const fr = (sensorId: string, stampMs: number): Tiny => ({ sensorId, stamp: BigInt(Math.round(stampMs * 1e6)) });

function sets(options: ApproximateTimeSyncOptions, frames: Tiny[], stats?: ApproximateTimeSyncStats): number[][] {
  const out: number[][] = [];
  from(frames)
    .pipe(approximateTimeSync<Tiny>(options, stats))
    .subscribe((s) => out.push(s.map((f) => Number(f.stamp) / 1e6)));
  return out;
}

describe("approximateTimeSync", () => {
  it("rejects a set wider than maxInterval and pairs the next one instead", () => {
    const frames = [fr("a", 0), fr("b", 5000), fr("a", 10_000), fr("b", 10_500)];
    // Unbounded: (0, 5000) is published once a = 10000 shows that nothing tighter can come for b = 5000.
    expect(sets({ sensors: ["a", "b"] }, frames)).toEqual([[0, 5000]]);
    // 2 s bound: a = 0 and then b = 5000 are dropped as too far from the other heads;
    // (10000, 10500) stays pending, since a later a could still be nearer to 10500.
    expect(sets({ sensors: ["a", "b"], maxIntervalMs: 2000 }, frames)).toEqual([]);
    // a = 10400 is tighter; it is proven best once a = 10600 shows no later a can beat it.
    expect(sets({ sensors: ["a", "b"], maxIntervalMs: 2000 }, [...frames, fr("a", 10_400)])).toEqual([]);
    expect(sets({ sensors: ["a", "b"], maxIntervalMs: 2000 }, [...frames, fr("a", 10_400), fr("a", 10_600)])).toEqual([[10_400, 10_500]]);
  });

  it("weighs newer sets with the age penalty", () => {
    // Candidate (0, 10000); the newer set (19500, 10000) has span 9.5 s against 10 s.
    const frames = [fr("a", 0), fr("b", 10_000), fr("a", 19_500)];
    // 9.5 × 1.1 = 10.45 ≥ 10: not better, the older set wins with the default 0.1.
    expect(sets({ sensors: ["a", "b"] }, frames)).toEqual([[0, 10_000]]);
    // 9.5 × 1.0 < 10: without a penalty the newer, tighter set wins.
    expect(sets({ sensors: ["a", "b"], agePenalty: 0 }, frames)).toEqual([[19_500, 10_000]]);
  });

  it("uses each frame at most once and emits tuples in sensor order", () => {
    const frames = [fr("b", 1), fr("a", 0), fr("c", 2), fr("a", 100), fr("b", 101), fr("c", 99), fr("a", 200), fr("b", 200), fr("c", 201)];
    const out = sets({ sensors: ["a", "b", "c"] }, frames);
    expect(out).toEqual([
      [0, 1, 2],
      [100, 101, 99],
    ]);
  });

  it("counts and skips frames of unknown sensors and malformed ones, and counts queue drops", () => {
    const stats: ApproximateTimeSyncStats = { unknownSensor: 0, queueDrops: 0, published: 0 };
    const broken = { sensorId: "a", stamp: 7 as unknown as bigint };
    const frames = [fr("x", 0), fr("a", 0), broken, fr("a", 1), fr("a", 2), fr("a", 3), fr("b", 3)];
    // a = 0 and 1 are dropped by the queue limit of 2; b = 3 then pairs with a = 3.
    expect(sets({ sensors: ["a", "b"], queueSize: 2 }, frames, stats)).toEqual([[3, 3]]);
    expect(stats).toEqual({ unknownSensor: 1, malformed: 1, queueDrops: 2, published: 1 });
  });

  it("emits when the set completes, in virtual time (marble)", () => {
    const ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    ts.run(({ cold, expectObservable }) => {
      // DoublePublish: the last frame completes two sets at once.
      const input = cold("a b c (d|)", { a: fr("a", 0), b: fr("b", 1000), c: fr("b", 3000), d: fr("a", 3000) });
      const out = input.pipe(
        approximateTimeSync<Tiny>({ sensors: ["a", "b"] }),
        map((s) => s.map((f) => `${f.stamp / MS}`).join("/")),
      );
      expectObservable(out).toBe("---(xy|)", { x: "0/1000", y: "3000/3000" });
    });
  });

  it("validates options at call time with the field named", () => {
    expect(() => approximateTimeSync({ sensors: ["a"] })).toThrow("approximateTimeSync options: sensors: at least 2 sensor ids");
    expect(() => approximateTimeSync({ sensors: ["a", "a"] })).toThrow(
      "approximateTimeSync options: sensors: ids must be unique, got [a, a]",
    );
    expect(() => approximateTimeSync({ sensors: ["a", "b"], interMessageLowerBoundsMs: [1] })).toThrow(
      "approximateTimeSync options: interMessageLowerBoundsMs: expected 2 entries (one per sensor), got 1",
    );
    expect(() => approximateTimeSync({ sensors: ["a", "b"], policy: "epsilon" })).toThrow("epsilonMs: required by policy epsilon");
    expect(() => approximateTimeSync({ sensors: ["a", "b"], agePenalty: -1 })).toThrow(/^approximateTimeSync options: agePenalty: /);
    expect(() => approximateTimeSync({ sensors: ["a", "b"], queueSize: 0 })).toThrow("queueSize: policy approximate needs ≥ 1");
  });

  it("checks matcher parameters", () => {
    const ok = { topicCount: 2, queueSize: 1, maxInterval: UNBOUNDED_INTERVAL, agePenalty: 0.1, interMessageLowerBounds: [0n, 0n] };
    expect(() => new ApproximateTimeMatcher({ ...ok, topicCount: 1 })).toThrow("topicCount must be an integer ≥ 2, got 1");
    expect(() => new ApproximateTimeMatcher({ ...ok, interMessageLowerBounds: [0n] })).toThrow("needs 2 entries");
    expect(() => new ApproximateTimeMatcher<number>(ok).add(2, 0n, 1)).toThrow("topic must be an integer in 0..1, got 2");
  });
});

describe("approximateTimeSync properties", () => {
  it("uses each frame at most once, one per sensor, within maxInterval, with bounded queues", () => {
    const arrival = fc.record({ topic: fc.integer({ min: 0, max: 3 }), stampMs: fc.integer({ min: 0, max: 5000 }) });
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 1, max: 8 }),
        fc.option(fc.integer({ min: 0, max: 2000 }), { nil: undefined }),
        fc.array(arrival, { maxLength: 200 }),
        (topics, queueSize, maxIntervalMs, arrivals) => {
          const sensors = Array.from({ length: topics }, (_, i) => `s${i}`);
          const frames = arrivals.map((a, i) => ({ sensorId: `s${a.topic % topics}`, stamp: BigInt(a.stampMs) * MS, n: i }));
          const matcher = new ApproximateTimeMatcher<(typeof frames)[number]>({
            topicCount: topics,
            queueSize,
            maxInterval: maxIntervalMs === undefined ? UNBOUNDED_INTERVAL : BigInt(maxIntervalMs) * MS,
            agePenalty: 0.1,
            interMessageLowerBounds: sensors.map(() => 0n),
          });
          const used = new Set<number>();
          let held = 0;
          for (const f of frames) {
            for (const set of matcher.add(Number(f.sensorId.slice(1)), f.stamp, f)) {
              expect(set.map((x) => x.sensorId)).toEqual(sensors);
              for (const x of set) {
                expect(used.has(x.n)).toBe(false);
                used.add(x.n);
              }
              const stamps = set.map((x) => x.stamp);
              const span = stamps.reduce((a, b) => (a > b ? a : b)) - stamps.reduce((a, b) => (a < b ? a : b));
              if (maxIntervalMs !== undefined) expect(span <= BigInt(maxIntervalMs) * MS).toBe(true);
            }
            held = Math.max(held, ...matcher.pendingCounts());
          }
          expect(held).toBeLessThanOrEqual(queueSize);
        },
      ),
      { numRuns: 300, seed: 11 },
    );
  });
});
