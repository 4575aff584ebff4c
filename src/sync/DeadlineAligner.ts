import type { SensorSync, SyncDiagnostics, SyncedBundle, TimedFrame } from "../types/bundles";
import type { Nanos } from "../types/time";
import type { AlignByDeadlinePlan } from "./alignByDeadlineSchema";
import { abs, discardBefore, enqueue, matchSensor, newSensorState, rememberStamp, type SensorState } from "./sensorState";

type Candidate = { t: Nanos; origin: "reference" | "fixed" | "fallback"; due: Nanos };

const ceilDiv = (a: bigint, b: bigint): bigint => (a > 0n ? (a + b - 1n) / b : a / b);

/**
 * The state machine behind `alignByDeadline`: pure and synchronous, driven by an explicit clock.
 * The operator feeds it frames and clock readings; it calls `emit` with each finished bundle.
 *
 * Matching is deferred to emission: frames wait in small per-sensor queues, and when a tick is
 * due each sensor's frame nearest the window centre is taken (each frame at most once). A tick is
 * due when every sensor has delivered a frame at or past its window centre (`complete`: frames
 * arrive in stamp order, so no later frame can be nearer; a frame reordered within the lateness
 * bound may then miss its tick) or the clock reaches tick + deadline (`deadline`), so a silent
 * sensor delays a tick by at most the deadline.
 */
export class DeadlineAligner<F extends TimedFrame> {
  readonly diagnostics: SyncDiagnostics = { unknownSensor: 0, malformed: 0, skippedTicks: 0, pendingTickOverflow: 0 };

  readonly #plan: AlignByDeadlinePlan;
  readonly #emit: (bundle: SyncedBundle<F>) => void;
  readonly #states: SensorState<F>[];
  readonly #index: Map<string, number>;
  readonly #half: Nanos;
  readonly #catchUpSpan: Nanos;
  /** Per-sensor offset: a sensor has reached tick t's window centre once its newest stamp ≥ t + this. */
  readonly #reach: Nanos[];
  /** Thresholds t + reach, cached for the tick `#thresholdTick`. */
  #thresholdTick: Nanos | undefined;
  readonly #thresholds: Nanos[];
  #now: Nanos | undefined;
  #seq = 0;
  #initialized = false;
  /** fixed mode: next grid tick. */
  #nextTick: Nanos = 0n;
  /** reference mode: ticks made by reference frames, ascending. */
  readonly #pending: Nanos[] = [];
  /** reference mode: last tick emitted or skipped (or the anchor before the first one). */
  #lastTick: Nanos = 0n;
  /** Last emitted tick, for classifying late frames. */
  #lastEmitted: Nanos | undefined;

  constructor(plan: AlignByDeadlinePlan, emit: (bundle: SyncedBundle<F>) => void) {
    this.#plan = plan;
    this.#emit = emit;
    this.#half = plan.period / 2n;
    this.#catchUpSpan = BigInt(plan.maxCatchUpTicks) * plan.period;
    this.#reach = plan.sensors.map((s) => s.offset);
    this.#thresholds = this.#reach.slice();
    this.#states = plan.sensors.map((s) => newSensorState<F>(s));
    this.#index = new Map(plan.sensors.map((s, i) => [s.id, i]));
  }

  /** Current clock reading (ns), if any. */
  get now(): Nanos | undefined {
    return this.#now;
  }

  /** Frames currently queued, over all sensors. */
  get queued(): number {
    let n = 0;
    for (const st of this.#states) n += st.buf.length;
    return n;
  }

  /** Starts the tick sequence at clock time `now` (live mode: ticks come even if no frame ever does). */
  start(now: Nanos): void {
    this.#now = now;
    this.#init(now);
  }

  /**
   * One frame. `now` is the clock reading at arrival; omitted, the clock is the largest
   * `receivedAt` seen (recording time).
   */
  onFrame(frame: F, now?: Nanos): void {
    if (typeof frame.stamp !== "bigint" || typeof frame.receivedAt !== "bigint") {
      this.diagnostics.malformed++;
      return;
    }
    const clock = now ?? (this.#now === undefined || frame.receivedAt > this.#now ? frame.receivedAt : this.#now);
    this.advance(clock);
    const i = this.#index.get(frame.sensorId);
    if (i === undefined) {
      this.diagnostics.unknownSensor++;
      return;
    }
    const st = this.#states[i]!;
    st.counters.received++;
    const s = st.clockOffset === 0n ? frame.stamp : frame.stamp - st.clockOffset;
    if (!this.#initialized) this.#init(s - st.offset - st.tolerance);

    const newest = st.newest;
    if (newest !== undefined && s <= newest) {
      if (s < newest - this.#plan.latenessBound) {
        st.counters.reordered++;
        return;
      }
      if (st.recent.includes(s)) {
        st.counters.duplicate++;
        return;
      }
    }
    rememberStamp(st, s);

    if (s < this.#minFutureTick() + st.offset - st.tolerance) {
      // Too old for every future window: late if it would have fallen in an emitted tick's window.
      const last = this.#lastEmitted;
      const supersededInLast = last !== undefined && st.includedAt === last && abs(s - (last + st.offset)) <= st.tolerance;
      if (last !== undefined && !supersededInLast && (this.#plan.mode === "reference" || this.#onGrid(s, st))) {
        st.counters.late++;
        st.lateSinceIncluded = true;
      } else {
        st.counters.unused++;
      }
      return;
    }

    enqueue(st, s, frame, this.#plan.mode === "fixed" ? this.#nextTick : this.#pending[0]);

    if (i === this.#plan.referenceIndex) {
      const pending = this.#pending;
      const base = pending.length > 0 ? pending[pending.length - 1]! : this.#lastTick;
      if (s > base + this.#half) {
        pending.push(s);
        if (pending.length > this.#plan.maxPendingTicks) {
          this.diagnostics.pendingTickOverflow++;
          this.#emitTick({ t: pending[0]!, origin: "reference", due: pending[0]! + this.#plan.deadline }, "overflow");
        }
      }
    }
    this.advance(clock);
  }

  /** Moves the clock to `now` (never backwards) and emits every tick that is due. */
  advance(now: Nanos): void {
    if (this.#now === undefined || now > this.#now) this.#now = now;
    if (!this.#initialized) return;
    let c = this.#candidate();
    if (this.#now - c.due > this.#catchUpSpan) {
      this.#skipAhead(false);
      c = this.#candidate();
    }
    let emitted = 0;
    for (; ; c = this.#candidate()) {
      let trigger: "complete" | "deadline";
      if (this.#isComplete(c.t)) trigger = "complete";
      else if (this.#now >= c.due) trigger = "deadline";
      else return;
      this.#emitTick(c, trigger);
      if (++emitted >= this.#plan.maxCatchUpTicks) {
        this.#skipAhead(true);
        emitted = 0;
      }
    }
  }

  /** Clock time at which the next tick becomes due (absent: nothing scheduled yet). */
  nextDueAt(): Nanos | undefined {
    return this.#initialized ? this.#candidate().due : undefined;
  }

  /** End of input: emits the pending ticks and those that still have queued frames in reach. */
  flush(): void {
    if (!this.#initialized) return;
    for (let n = 0; n < this.#plan.maxCatchUpTicks; n++) {
      const c = this.#candidate();
      if (c.origin !== "reference") {
        const reachable = this.#states.some((st) => {
          const last = st.buf[st.buf.length - 1];
          return last !== undefined && last.s >= c.t + st.offset - st.tolerance;
        });
        if (!reachable) break;
      }
      this.#emitTick(c, "flush");
    }
  }

  #init(firstTick: Nanos): void {
    this.#initialized = true;
    const { period, origin } = this.#plan;
    this.#nextTick = origin + ceilDiv(firstTick - origin, period) * period;
    this.#lastTick = firstTick - period;
  }

  /** Whether corrected stamp `s` lies within the sensor's tolerance of some grid tick (fixed mode). */
  #onGrid(s: Nanos, st: SensorState<F>): boolean {
    const { period, origin } = this.#plan;
    let r = (s - st.offset - origin) % period;
    if (r < 0n) r += period;
    return r <= st.tolerance || period - r <= st.tolerance;
  }

  #candidate(): Candidate {
    const { deadline, period } = this.#plan;
    if (this.#plan.mode === "fixed") return { t: this.#nextTick, origin: "fixed", due: this.#nextTick + deadline };
    const p = this.#pending[0];
    if (p !== undefined) return { t: p, origin: "reference", due: p + deadline };
    const t = this.#lastTick + period;
    const ref = this.#states[this.#plan.referenceIndex]!;
    return { t, origin: "fallback", due: t + ref.tolerance + deadline };
  }

  /** No future tick is earlier than this. */
  #minFutureTick(): Nanos {
    if (this.#plan.mode === "fixed") return this.#nextTick;
    return this.#pending[0] ?? this.#lastTick + this.#half;
  }

  #isComplete(t: Nanos): boolean {
    const thr = this.#thresholds;
    if (this.#thresholdTick !== t) {
      for (let i = 0; i < thr.length; i++) thr[i] = t + this.#reach[i]!;
      this.#thresholdTick = t;
    }
    const states = this.#states;
    for (let i = 0; i < states.length; i++) {
      const newest = states[i]!.newest;
      if (newest === undefined || newest < thr[i]!) return false;
    }
    return true;
  }

  /**
   * Skips grid/fallback ticks that no queued frame can reach: after a clock jump (keeping the
   * last `maxCatchUpTicks` before the clock), or, when `force`d after a long run of emissions,
   * every empty tick. Skipped ticks are counted, never emitted.
   */
  #skipAhead(force: boolean): void {
    const now = this.#now;
    if (now === undefined || this.#pending.length > 0) return;
    const { period, maxCatchUpTicks } = this.#plan;
    const c = this.#candidate();
    const ticksBehind = (lag: Nanos): bigint => (lag > 0n ? lag / period : 0n);
    // The earliest tick whose window may still hold a queued frame: never skipped.
    let floor: Nanos | undefined;
    for (const st of this.#states) {
      const first = st.buf[0];
      if (first === undefined) continue;
      const x = first.s - st.offset - st.tolerance;
      if (floor === undefined || x < floor) floor = x;
    }
    const reach = floor === undefined ? undefined : ticksBehind(floor - c.t);
    let skip: bigint;
    if (!force) {
      skip = ticksBehind(now - c.due - BigInt(maxCatchUpTicks) * period);
      if (reach !== undefined && reach < skip) skip = reach;
    } else if (reach !== undefined) {
      skip = reach;
    } else {
      // Nothing queued: every tick already due, or already passed by all sensors, is empty.
      let newest: Nanos | undefined;
      for (const st of this.#states) {
        if (st.newest === undefined) continue;
        const x = st.newest - st.offset - st.tolerance;
        if (newest === undefined || x > newest) newest = x;
      }
      skip = ticksBehind(now - c.due + period);
      if (newest !== undefined && ticksBehind(newest - c.t) > skip) skip = ticksBehind(newest - c.t);
    }
    if (skip <= 0n) return;
    this.diagnostics.skippedTicks += Number(skip);
    if (this.#plan.mode === "fixed") this.#nextTick += skip * period;
    else this.#lastTick += skip * period;
  }

  #emitTick(c: Candidate, trigger: SyncedBundle<F>["trigger"]): void {
    const t = c.t;
    if (c.origin === "reference") this.#pending.shift();
    if (this.#plan.mode === "fixed") this.#nextTick = t + this.#plan.period;
    this.#lastTick = t;
    this.#lastEmitted = t;

    const staleAfter = this.#plan.staleAfter;
    const sensors: SensorSync<F>[] = [];
    const frames: F[] = [];
    for (const st of this.#states) {
      const sync = matchSensor(st, t, staleAfter);
      if (sync.status === "included") frames.push(sync.frame!);
      sensors.push(sync);
    }
    // Frames that no later tick can use are discarded now, so queues hold only live candidates.
    const future = this.#minFutureTick();
    for (const st of this.#states) discardBefore(st, future + st.offset - st.tolerance);
    this.#emit({
      seq: this.#seq++,
      tick: t,
      origin: c.origin,
      trigger,
      emittedAt: this.#now ?? t,
      sensors,
      frames,
      diagnostics: { ...this.diagnostics },
    });
  }
}
