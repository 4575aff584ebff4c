import { from, map, type Observable } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import type { SyncedBundle } from "../types/bundles";
import type { Nanos } from "../types/time";
import { alignByDeadline } from "./alignByDeadline";
import type { AlignByDeadlineOptions } from "./alignByDeadlineSchema";

const MS = 1_000_000n;
type Tiny = { sensorId: string; stamp: Nanos; receivedAt: Nanos; tag?: string };

/** A tiny frame: stamp and arrival in ms. */
const fr = (sensorId: string, stampMs: number, receivedMs = stampMs, tag?: string): Tiny => ({
  sensorId,
  stamp: BigInt(stampMs) * MS,
  receivedAt: BigInt(receivedMs) * MS,
  ...(tag === undefined ? {} : { tag }),
});

/** `0:a0,b10` = tick 0 ms, a included with skew 0 ms, b with skew 10 ms; `b-s` stale, `b-l` late, `b-m` missing. */
function summary(b: SyncedBundle<Tiny>): string {
  const parts = b.sensors.map((s) => (s.status === "included" ? `${s.sensorId}${Number(s.skew! / MS)}` : `${s.sensorId}-${s.status[0]}`));
  return `${b.tick / MS}:${parts.join(",")}`;
}

const KEYS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** Marble string and values for events at absolute times (ms); equal times become a group. */
function timeline<T>(events: readonly (readonly [number, T])[], endAt?: number): { marble: string; values: Record<string, T> } {
  const values: Record<string, T> = {};
  const parts: string[] = [];
  let t = 0;
  let key = 0;
  const byTime = new Map<number, T[]>();
  for (const [time, v] of events) byTime.set(time, [...(byTime.get(time) ?? []), v]);
  for (const [time, vs] of [...byTime.entries()].sort((x, y) => x[0] - y[0])) {
    if (time > t) parts.push(`${time - t}ms`);
    const keys = vs.map((v) => {
      const k = KEYS[key++]!;
      values[k] = v;
      return k;
    });
    parts.push(keys.length === 1 ? keys[0]! : `(${keys.join("")})`);
    t = time + (keys.length === 1 ? 1 : keys.length + 2);
  }
  if (endAt !== undefined) {
    if (endAt > t) parts.push(`${endAt - t}ms`);
    parts.push("|");
  }
  return { marble: parts.join(" "), values };
}

/** Frames delivered at their `receivedAt` on the test scheduler, completing at `endAt`. */
function sensorStream(cold: TestScheduler["createColdObservable"], frames: Tiny[], endAt: number): Observable<Tiny> {
  const { marble, values } = timeline(
    frames.map((f) => [Number(f.receivedAt / MS), f] as const),
    endAt,
  );
  return cold(marble, values);
}

const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

const base = (over: Partial<AlignByDeadlineOptions> = {}): AlignByDeadlineOptions => ({
  sensors: [
    { id: "a", toleranceMs: 40 },
    { id: "b", toleranceMs: 40 },
  ],
  tick: { mode: "fixed", rateHz: 10 },
  deadlineMs: 30,
  staleAfterMs: 250,
  clock: "scheduler",
  ...over,
});

/** Every 100 ms from `fromMs` to `toMs` inclusive. */
const every = (id: string, fromMs: number, toMs: number, latencyMs: number, stepMs = 100): Tiny[] => {
  const out: Tiny[] = [];
  for (let t = fromMs; t <= toMs; t += stepMs) out.push(fr(id, t, t + latencyMs));
  return out;
};

/** Runs `frames` (delivered at their receivedAt) through the aligner on a TestScheduler and checks the summaries. */
function expectMarbles(
  options: AlignByDeadlineOptions,
  frames: Tiny[],
  endAt: number,
  expected: readonly (readonly [number, string])[],
  expectedEnd = endAt,
): void {
  const ts = newScheduler();
  ts.run(({ cold, expectObservable }) => {
    const out = sensorStream(cold, frames, endAt).pipe(alignByDeadline<Tiny>(options, ts), map(summary));
    const want = timeline(expected, expectedEnd);
    expectObservable(out).toBe(want.marble, want.values);
  });
}

/** Collects every bundle of a run on a TestScheduler. */
function collect(options: AlignByDeadlineOptions, frames: Tiny[], endAt: number): SyncedBundle<Tiny>[] {
  const ts = newScheduler();
  const out: SyncedBundle<Tiny>[] = [];
  ts.run(({ cold, flush }) => {
    sensorStream(cold, frames, endAt)
      .pipe(alignByDeadline<Tiny>(options, ts))
      .subscribe((b) => out.push(b));
    flush();
  });
  return out;
}

describe("alignByDeadline (marble tests, scheduler clock)", () => {
  it("emits one bundle per tick, as soon as every sensor has reached its window centre, with each sensor's nearest frame and its skew", () => {
    // b10 (arriving at 20) is past tick 0's centre: frames come in stamp order, so no later b frame
    // can be nearer, and the tick need not wait for the deadline (30) or the window's end (40).
    expectMarbles(base(), [...every("a", 0, 200, 5), ...every("b", 10, 210, 10)], 321, [
      [20, "0:a0,b10"],
      [120, "100:a0,b10"],
      [220, "200:a0,b10"],
    ]);
  });

  it("emits before the deadline once every sensor has reached its window centre, and at the deadline otherwise", () => {
    const frames = [fr("a", 0, 5), fr("b", 5, 8), fr("a", 95, 15), fr("b", 100, 20)];
    expectMarbles(
      base({
        sensors: [
          { id: "a", toleranceMs: 10 },
          { id: "b", toleranceMs: 10 },
        ],
      }),
      frames,
      200,
      [
        [8, "0:a0,b5"],
        [130, "100:a-5,b0"],
      ],
    );
    const bundles = collect(
      base({
        sensors: [
          { id: "a", toleranceMs: 10 },
          { id: "b", toleranceMs: 10 },
        ],
      }),
      frames,
      200,
    );
    // Tick 100: a's newest (95) is short of the centre, so a nearer frame could still come: wait for the deadline.
    expect(bundles.map((b) => b.trigger)).toEqual(["complete", "deadline"]);
    expect(bundles.map((b) => b.emittedAt)).toEqual([8n * MS, 130n * MS]);
  });

  it("keeps ticking when a sensor dies (stale, then missing) and includes it again when it comes back", () => {
    const frames = [...every("a", 0, 700, 5), fr("b", 0, 5), fr("b", 100, 105), fr("b", 500, 505), fr("b", 600, 605)];
    expectMarbles(base(), frames, 750, [
      [5, "0:a0,b0"],
      [105, "100:a0,b0"],
      [230, "200:a0,b-s"],
      [330, "300:a0,b-s"],
      [430, "400:a0,b-m"],
      [505, "500:a0,b0"],
      [605, "600:a0,b0"],
      [730, "700:a0,b-s"],
    ]);
  });

  it("drops and counts a burst of late frames and marks the sensor late until it delivers in time", () => {
    const frames = [...every("a", 0, 500, 5), fr("b", 0, 5), fr("b", 100, 350), fr("b", 200, 350), fr("b", 300, 350), fr("b", 500, 505)];
    const options = base({ staleAfterMs: 500 });
    expectMarbles(options, frames, 560, [
      [5, "0:a0,b0"],
      [130, "100:a0,b-s"],
      [230, "200:a0,b-s"],
      [330, "300:a0,b-s"],
      [430, "400:a0,b-l"],
      [505, "500:a0,b0"],
    ]);
    const bundles = collect(options, frames, 560);
    const b = bundles.at(-1)!.sensors[1]!;
    expect(b.counters).toMatchObject({ received: 5, included: 2, late: 3 });
    expect(bundles[4]!.sensors[1]!.age).toBe(100n * MS);
  });

  it("corrects a sensor's clock offset; without the correction its frames never match", () => {
    // b's clock runs 5 s ahead of the reference clock, and c's 20 ms behind.
    const frames = [
      ...every("a", 0, 200, 5),
      ...every("b", 5000, 5200, 0).map((f) => ({ ...f, receivedAt: f.stamp - 5000n * MS + 8n * MS })),
      ...every("c", -20, 180, 0).map((f) => ({ ...f, receivedAt: f.stamp + 20n * MS + 9n * MS })),
    ];
    const sensors = [
      { id: "a", toleranceMs: 40 },
      { id: "b", toleranceMs: 40, clockOffsetMs: 5000 },
      { id: "c", toleranceMs: 40, clockOffsetMs: -20 },
    ];
    expectMarbles(base({ sensors }), frames, 260, [
      [9, "0:a0,b0,c0"],
      [109, "100:a0,b0,c0"],
      [209, "200:a0,b0,c0"],
    ]);
    const uncorrected = collect(base({ sensors: sensors.map((s) => ({ ...s, clockOffsetMs: 0 })) }), frames, 260);
    // b's frames sit 5 s in the future: b is alive but never in a window (negative age), and c is off by 20 ms.
    expect(uncorrected.slice(0, 3).map(summary)).toEqual(["0:a0,b-s,c-20", "100:a0,b-s,c-20", "200:a0,b-s,c-20"]);
    expect(uncorrected[1]!.sensors[1]!.age).toBe(-5000n * MS);
  });

  it("emits ticks with every sensor missing when nothing arrives at all", () => {
    expectMarbles(base(), [], 250, [
      [30, "0:a-m,b-m"],
      [130, "100:a-m,b-m"],
      [230, "200:a-m,b-m"],
    ]);
  });

  it("ticks on a reference sensor and continues at its nominal rate while it is silent", () => {
    const options: AlignByDeadlineOptions = {
      sensors: [
        { id: "l", toleranceMs: 20 },
        { id: "c", toleranceMs: 40 },
      ],
      tick: { mode: "reference", sensor: "l", rateHz: 10 },
      deadlineMs: 30,
      staleAfterMs: 250,
      clock: "scheduler",
    };
    const frames = [
      fr("l", 0, 20),
      fr("l", 100, 120),
      fr("l", 200, 220),
      fr("l", 603, 620),
      fr("l", 703, 720),
      ...every("c", 0, 750, 5, 50),
    ];
    expectMarbles(options, frames, 760, [
      [20, "0:l0,c0"],
      [120, "100:l0,c0"],
      [220, "200:l0,c0"],
      [350, "300:l-s,c0"],
      [450, "400:l-s,c0"],
      [550, "500:l-m,c0"],
      [633, "603:l0,c-3"],
      [733, "703:l0,c-3"],
    ]);
    const bundles = collect(options, frames, 760);
    expect(bundles.map((b) => b.origin)).toEqual([
      "reference",
      "reference",
      "reference",
      "fallback",
      "fallback",
      "fallback",
      "reference",
      "reference",
    ]);
  });

  it("accepts frames reordered within the lateness bound, drops older ones and duplicates, each counted", () => {
    const frames = [
      fr("a", 0, 1),
      fr("b", 0, 1),
      fr("a", 120, 2), // ahead of the tick-100 centre
      fr("a", 95, 3), // out of order by 25 ms: accepted, and nearer to 100
      fr("a", 40, 4), // out of order by 80 ms > 50 ms bound: dropped
      fr("a", 95, 5), // duplicate stamp: dropped
      fr("b", 100, 6),
    ];
    const options = base({ latenessBoundMs: 50, deadlineMs: 130 });
    const bundles = collect(options, frames, 300);
    expect(bundles.map(summary)).toEqual(["0:a0,b0", "100:a-5,b0"]);
    const a = bundles[1]!.sensors[0]!;
    expect(a.frame?.stamp).toBe(95n * MS);
    expect(a.counters).toMatchObject({ received: 5, included: 2, reordered: 1, duplicate: 1 });
  });
});

describe("alignByDeadline (recording clock)", () => {
  const deadSensorFrames = [...every("a", 0, 700, 5), fr("b", 0, 5), fr("b", 100, 105), fr("b", 500, 505), fr("b", 600, 605)];
  const recording = base({ clock: "recording" });

  function runSync(options: AlignByDeadlineOptions, frames: Tiny[]): SyncedBundle<Tiny>[] {
    const out: SyncedBundle<Tiny>[] = [];
    // A recording delivers in log-time order.
    const ordered = [...frames].sort((x, y) => (x.receivedAt < y.receivedAt ? -1 : x.receivedAt > y.receivedAt ? 1 : 0));
    from(ordered)
      .pipe(alignByDeadline<Tiny>(options))
      .subscribe((b) => out.push(b));
    return out;
  }

  it("gives the same bundles as the live clock when frames arrive at their receivedAt", () => {
    const live = collect(base(), deadSensorFrames, 750).map(summary);
    const replay = runSync(recording, deadSensorFrames);
    expect(replay.map(summary)).toEqual(live);
    // The last tick's deadline (730) lies after the last frame (705): the end of input flushes it.
    // Complete as soon as both sensors reach the centre; while b is silent, at the deadline (on the
    // recording clock, the next frame's arrival after it); the last tick is flushed by the end of input.
    expect(replay.map((b) => `${b.trigger}@${b.emittedAt / MS}`)).toEqual([
      "complete@5",
      "complete@105",
      "deadline@305",
      "deadline@405",
      "deadline@505",
      "complete@505",
      "complete@605",
      "flush@705",
    ]);
  });

  it("is deterministic whatever the delivery pace (replay at any speed)", () => {
    const sorted = [...deadSensorFrames].sort((x, y) => Number(x.receivedAt - y.receivedAt));
    const fast = runSync(recording, sorted);
    // Deliver the same sequence on a scheduler at an unrelated, irregular pace.
    const ts = newScheduler();
    const slow: SyncedBundle<Tiny>[] = [];
    ts.run(({ cold, flush }) => {
      const { marble, values } = timeline(
        sorted.map((f, i) => [i * 13 + (i % 4) * 3, f] as const),
        2000,
      );
      cold(marble, values)
        .pipe(alignByDeadline<Tiny>(recording, ts))
        .subscribe((b) => slow.push(b));
      flush();
    });
    expect(slow).toEqual(fast);
    expect(fast).toHaveLength(8);
  });

  it("bounds memory when a sensor floods at 10x its rate, counting what it drops", () => {
    const options = base({
      clock: "recording",
      deadlineMs: 80,
      sensors: [
        { id: "a", toleranceMs: 40, maxQueue: 4 },
        { id: "b", toleranceMs: 40, maxQueue: 4 },
      ],
    });
    // a: a frame every ms (10x a 100 Hz camera); b: 10 Hz, 50 ms behind, so each tick waits for b
    // while 50 of a's frames pile up behind the centre.
    const frames: Tiny[] = [];
    for (let t = 0; t < 1000; t++) {
      frames.push(fr("a", t, t + 2));
      if (t % 100 === 0) frames.push(fr("b", t, t + 50));
    }
    frames.sort((x, y) => Number(x.receivedAt - y.receivedAt));
    const bundles = runSync(options, frames);
    // The end of input flushes tick 1000 too: a's frame at 999 ms is inside its window.
    expect(bundles.map((b) => b.tick / MS)).toEqual([0n, 100n, 200n, 300n, 400n, 500n, 600n, 700n, 800n, 900n, 1000n]);
    // The queue keeps the frame nearest each centre from below, so the match stays exact.
    expect(bundles.map((b) => b.sensors[0]!.skew)).toEqual([...new Array<bigint>(10).fill(0n), -1n * MS]);
    const last = bundles.at(-1)!.sensors[0]!.counters;
    expect(last.received).toBe(1000);
    expect(last.included).toBe(11);
    // Frames after the chosen one in an already-emitted window were superseded, not late.
    expect(last.late).toBe(0);
    expect(last.unused + last.overflow + last.included).toBeGreaterThanOrEqual(990);
    expect(last.overflow).toBeGreaterThan(0);
  });

  it("skips and counts ticks when the recording clock jumps far ahead", () => {
    const options = base({ clock: "recording", maxCatchUpTicks: 5, staleAfterMs: 1000 });
    const frames = [fr("a", 0, 1), fr("b", 0, 1), fr("a", 3_600_000, 3_600_001), fr("b", 3_600_000, 3_600_001)];
    const bundles = runSync(options, frames);
    expect(bundles[0]!.tick).toBe(0n);
    expect(bundles.length).toBeLessThanOrEqual(8);
    expect(bundles.at(-1)!.tick).toBe(3_600_000n * MS);
    expect(bundles.at(-1)!.diagnostics.skippedTicks).toBeGreaterThan(35_000);
    expect(bundles.map(summary).at(-1)).toBe("3600000:a0,b0");
  });

  it("counts frames of unknown sensors and malformed frames and skips them", () => {
    const bad = { sensorId: "a", stamp: 5 as unknown as bigint, receivedAt: 5n } as Tiny;
    const bundles = runSync(recording, [fr("a", 0, 1), fr("zz", 0, 1), bad, fr("b", 0, 2), fr("a", 100, 101), fr("b", 100, 102)]);
    expect(bundles.map(summary)).toEqual(["0:a0,b0", "100:a0,b0"]);
    expect(bundles[1]!.diagnostics).toMatchObject({ unknownSensor: 1, malformed: 1 });
  });

  it("emits the oldest reference tick early when too many are pending", () => {
    const options: AlignByDeadlineOptions = {
      sensors: [{ id: "l", toleranceMs: 20 }, { id: "c" }],
      tick: { mode: "reference", sensor: "l", rateHz: 10 },
      deadlineMs: 10_000,
      staleAfterMs: 20_000,
      maxPendingTicks: 2,
    };
    // c never arrives, so no tick completes; the deadline is far away.
    const bundles = runSync(options, [fr("l", 0, 1), fr("l", 100, 101), fr("l", 200, 201), fr("l", 300, 301)]);
    expect(bundles.slice(0, 2).map((b) => [b.tick / MS, b.trigger])).toEqual([
      [0n, "overflow"],
      [100n, "overflow"],
    ]);
    expect(bundles.slice(2).map((b) => b.trigger)).toEqual(["flush", "flush"]);
    expect(bundles[1]!.diagnostics.pendingTickOverflow).toBe(2);
  });
});

describe("alignByDeadline configuration", () => {
  const bad = (over: Partial<AlignByDeadlineOptions>) => () => alignByDeadline(base(over));
  it("rejects bad configuration at start-up with the field named", () => {
    expect(bad({ sensors: [{ id: "a" }, { id: "a" }] })).toThrow('alignByDeadline config: sensors: id "a" appears more than once');
    expect(bad({ tick: { mode: "reference", sensor: "x", rateHz: 10 } })).toThrow(
      'alignByDeadline config: tick.sensor: "x" is not one of the sensors [a, b]',
    );
    expect(bad({ staleAfterMs: 50 })).toThrow("staleAfterMs: 50 ms is shorter than the tick period 100 ms");
    expect(bad({ sensors: [{ id: "a", toleranceMs: -1 }] })).toThrow("alignByDeadline config: sensors.0.toleranceMs: must be ≥ 0 ms");
    expect(bad({ tick: { mode: "fixed", rateHz: 0 } })).toThrow("alignByDeadline config: tick.rateHz: must be > 0 Hz");
    expect(bad({ deadlineMs: Number.NaN })).toThrow(/deadlineMs/);
  });
  it("fills defaults", () => {
    expect(() => alignByDeadline({ sensors: [{ id: "a" }], tick: { mode: "fixed", rateHz: 20 } })).not.toThrow();
  });
});
