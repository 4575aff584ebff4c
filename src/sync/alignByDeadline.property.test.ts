import fc from "fast-check";
import { from, Observable } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import type { SyncedBundle } from "../types/bundles";
import type { Nanos } from "../types/time";
import { alignByDeadline } from "./alignByDeadline";
import { planAlignByDeadline, type AlignByDeadlineOptions } from "./alignByDeadlineSchema";
import { DeadlineAligner } from "./DeadlineAligner";

const MS = 1_000_000n;
type Tiny = { sensorId: string; stamp: Nanos; receivedAt: Nanos; id: number };

type SensorSpec = {
  periodMs: number;
  jitterMs: number;
  latencyMs: number;
  latencyJitterMs: number;
  clockOffsetMs: number;
  dropEvery: number;
  deadFromMs: number;
  deadForMs: number;
  toleranceMs: number;
  offsetMs: number;
};

const sensorArb: fc.Arbitrary<SensorSpec> = fc.record({
  periodMs: fc.integer({ min: 5, max: 200 }),
  jitterMs: fc.integer({ min: 0, max: 10 }),
  latencyMs: fc.integer({ min: 0, max: 150 }),
  latencyJitterMs: fc.integer({ min: 0, max: 60 }),
  clockOffsetMs: fc.integer({ min: -500, max: 500 }),
  dropEvery: fc.integer({ min: 0, max: 7 }),
  deadFromMs: fc.integer({ min: 0, max: 2000 }),
  deadForMs: fc.integer({ min: 0, max: 1500 }),
  toleranceMs: fc.integer({ min: 0, max: 80 }),
  offsetMs: fc.integer({ min: -30, max: 30 }),
});

const scenarioArb = fc.record({
  sensors: fc.array(sensorArb, { minLength: 1, maxLength: 4 }),
  durationMs: fc.integer({ min: 100, max: 2500 }),
  tickHz: fc.integer({ min: 5, max: 50 }),
  reference: fc.boolean(),
  deadlineMs: fc.integer({ min: 0, max: 120 }),
  latenessBoundMs: fc.integer({ min: 0, max: 100 }),
  maxQueue: fc.integer({ min: 1, max: 16 }),
  duplicateEvery: fc.integer({ min: 0, max: 5 }),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
});
type Scenario = typeof scenarioArb extends fc.Arbitrary<infer S> ? S : never;

/** Deterministic small PRNG (mulberry32) so each scenario is a pure function of its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function build(sc: Scenario): { options: AlignByDeadlineOptions; frames: Tiny[] } {
  const rand = prng(sc.seed);
  const ids = sc.sensors.map((_, i) => `s${i}`);
  const frames: Tiny[] = [];
  let id = 0;
  sc.sensors.forEach((s, i) => {
    let k = 0;
    for (let t = 0; t < sc.durationMs; t += s.periodMs, k++) {
      if (s.dropEvery > 0 && k % s.dropEvery === s.dropEvery - 1) continue;
      if (t >= s.deadFromMs && t < s.deadFromMs + s.deadForMs) continue;
      const trueTime = t + Math.round(rand() * s.jitterMs);
      const received = trueTime + s.latencyMs + Math.round(rand() * s.latencyJitterMs);
      const frame: Tiny = {
        sensorId: ids[i]!,
        stamp: BigInt(trueTime + s.clockOffsetMs) * MS,
        receivedAt: BigInt(received) * MS,
        id: id++,
      };
      frames.push(frame);
      if (sc.duplicateEvery > 0 && k % sc.duplicateEvery === 0) frames.push({ ...frame, id: id++ });
    }
  });
  // Delivery in log-time order; equal times keep a seeded order.
  const keyed = frames.map((f) => ({ f, r: rand() }));
  keyed.sort((x, y) => (x.f.receivedAt < y.f.receivedAt ? -1 : x.f.receivedAt > y.f.receivedAt ? 1 : x.r - y.r));
  const options: AlignByDeadlineOptions = {
    sensors: sc.sensors.map((s, i) => ({
      id: ids[i]!,
      toleranceMs: s.toleranceMs,
      offsetMs: sc.reference && i === 0 ? 0 : s.offsetMs,
      clockOffsetMs: s.clockOffsetMs,
      maxQueue: sc.maxQueue,
    })),
    tick: sc.reference ? { mode: "reference", sensor: ids[0]!, rateHz: sc.tickHz } : { mode: "fixed", rateHz: sc.tickHz },
    deadlineMs: sc.deadlineMs,
    latenessBoundMs: sc.latenessBoundMs,
    staleAfterMs: 1000,
    clock: "recording",
    maxCatchUpTicks: 1_000_000,
  };
  return { options, frames: keyed.map((k) => k.f) };
}

describe("alignByDeadline properties (random multi-sensor streams, recording clock)", () => {
  it("never emits a frame twice, keeps tick order and windows, bounds memory, and keeps ticking", () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const { options, frames } = build(sc);
        const plan = planAlignByDeadline(options);
        const bundles: SyncedBundle<Tiny>[] = [];
        const aligner = new DeadlineAligner<Tiny>(plan, (b) => bundles.push(b));
        const queueLimit = plan.sensors.reduce((n, s) => n + s.maxQueue, 0);
        let maxQueued = 0;
        for (const f of frames) {
          aligner.onFrame(f);
          if (aligner.queued > maxQueued) maxQueued = aligner.queued;
        }
        expect(maxQueued).toBeLessThanOrEqual(queueLimit);
        const clockEnd = aligner.now;
        aligner.flush();

        // No frame emitted twice (by identity, and no two of one sensor with the same stamp).
        const seen = new Set<number>();
        const stamps = new Set<string>();
        let emitted = 0;
        for (const b of bundles) {
          for (const f of b.frames) {
            emitted++;
            seen.add(f.id);
            stamps.add(`${f.sensorId}@${f.stamp}`);
          }
        }
        expect(seen.size).toBe(emitted);
        expect(stamps.size).toBe(emitted);

        // Bundles in tick order, numbered consecutively; every included frame within its window.
        const violations: string[] = [];
        const ids = plan.sensors.map((c) => c.id).join(",");
        bundles.forEach((b, i) => {
          if (b.seq !== i) violations.push(`bundle ${i}: seq ${b.seq}`);
          if (i > 0 && !(b.tick > bundles[i - 1]!.tick)) violations.push(`bundle ${i}: tick ${b.tick} not after ${bundles[i - 1]!.tick}`);
          if (b.sensors.map((x) => x.sensorId).join(",") !== ids) violations.push(`bundle ${i}: sensors out of order`);
          let included = 0;
          b.sensors.forEach((entry, k) => {
            const cfg = plan.sensors[k]!;
            if (entry.status !== "included") {
              if (entry.frame !== undefined) violations.push(`bundle ${i} ${cfg.id}: ${entry.status} with a frame`);
              return;
            }
            included++;
            const f = entry.frame!;
            const skew = f.stamp - cfg.clockOffset - (b.tick + cfg.offset);
            if (entry.skew !== skew) violations.push(`bundle ${i} ${cfg.id}: skew ${entry.skew} != ${skew}`);
            if (skew > cfg.tolerance || -skew > cfg.tolerance)
              violations.push(`bundle ${i} ${cfg.id}: skew ${skew} outside ±${cfg.tolerance}`);
            if (f.sensorId !== cfg.id) violations.push(`bundle ${i} ${cfg.id}: frame of ${f.sensorId}`);
          });
          if (b.frames.length !== included) violations.push(`bundle ${i}: ${b.frames.length} frames for ${included} included`);
        });
        expect(violations).toEqual([]);

        // Output continues while any sensor lives: no tick that was due by the clock is missing.
        if (frames.length > 0) {
          expect(bundles.length).toBeGreaterThan(0);
          const period = plan.period;
          const ticks = bundles.map((b) => b.tick);
          const lastTick = ticks[ticks.length - 1]!;
          if (plan.mode === "fixed") {
            expect(ticks.filter((t, i) => i > 0 && t - ticks[i - 1]! !== period)).toEqual([]);
            expect(lastTick + period + plan.deadline > clockEnd!).toBe(true);
          } else {
            const refTol = plan.sensors[0]!.tolerance;
            // A fallback tick waits period + tolerance + deadline for the reference frame, so a
            // reference frame can still start a tick up to then (stamps never exceed arrival here).
            const maxGap = period + refTol + plan.deadline;
            expect(ticks.filter((t, i) => i > 0 && t - ticks[i - 1]! > maxGap)).toEqual([]);
            expect(lastTick + period + refTol + plan.deadline > clockEnd!).toBe(true);
          }
        }
      }),
      { numRuns: 200, seed: 4242 },
    );
  });

  it("gives the same bundles on every replay, through the operator as through the state machine", () => {
    fc.assert(
      fc.property(scenarioArb, (sc) => {
        const { options, frames } = build(sc);
        const viaOperator: SyncedBundle<Tiny>[] = [];
        from(frames)
          .pipe(alignByDeadline<Tiny>(options))
          .subscribe((b) => viaOperator.push(b));
        const again: SyncedBundle<Tiny>[] = [];
        from(frames)
          .pipe(alignByDeadline<Tiny>(options))
          .subscribe((b) => again.push(b));
        const direct: SyncedBundle<Tiny>[] = [];
        const aligner = new DeadlineAligner<Tiny>(planAlignByDeadline(options), (b) => direct.push(b));
        frames.forEach((f) => aligner.onFrame(f));
        aligner.flush();
        expect(again).toEqual(viaOperator);
        expect(direct).toEqual(viaOperator);
      }),
      { numRuns: 50, seed: 7 },
    );
  });

  it("keeps ticking at rate on the live clock until the input ends, whatever the sensors do", () => {
    fc.assert(
      fc.property(scenarioArb, fc.integer({ min: 0, max: 3000 }), (sc, endMs) => {
        const { options, frames } = build({ ...sc, reference: false });
        const live: AlignByDeadlineOptions = { ...options, clock: "scheduler" };
        const plan = planAlignByDeadline(live);
        const ts = new TestScheduler(() => undefined);
        const bundles: SyncedBundle<Tiny>[] = [];
        const lastArrival = frames.length > 0 ? Number(frames[frames.length - 1]!.receivedAt / MS) : 0;
        const end = Math.max(endMs, lastArrival);
        ts.run(() => {
          // Each frame is delivered at its receivedAt (ms) on the virtual clock.
          const input = new Observable<Tiny>((sub) => {
            for (const f of frames) ts.schedule(() => sub.next(f), Number(f.receivedAt / MS));
            ts.schedule(() => sub.complete(), end);
          });
          input.pipe(alignByDeadline<Tiny>(live, ts)).subscribe((b) => bundles.push(b));
        });
        // Ticks start at 0 on the grid and none due before the end is missing.
        const ticks = bundles.filter((b) => b.trigger !== "flush").map((b) => b.tick);
        const due = BigInt(end) * MS - plan.deadline;
        const expected: bigint[] = [];
        for (let t = 0n; t <= due; t += plan.period) expected.push(t);
        expect(ticks.slice(0, expected.length)).toEqual(expected);
      }),
      { numRuns: 60, seed: 99 },
    );
  });
});
