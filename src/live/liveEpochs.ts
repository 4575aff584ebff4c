import { asyncScheduler, merge, Subject, takeUntil, tap, type SchedulerLike, type Subscription } from "rxjs";
import {
  createScenePipelineFromFeed,
  type FrameEntry,
  type PipelinePlan,
  type SceneTick,
  type ScenePipelineOptions,
  type ScenePipelineRun,
} from "../pipeline";
import { createDiagnostics } from "../sources/mcap/readRecording";
import type { Nanos, SensorMessage } from "../types";
import { clockTicks } from "./clockTicks";
import { sourceTimeOfEvent, type LiveDataEvent } from "./liveInputs";
import { isSensorKind } from "./warmupPlan";

/** One pipeline instance: its two entries (raw messages, typed frames), its run and the subscription to its ticks. */
type Epoch = {
  n: number;
  messages: Subject<SensorMessage>;
  frames: Subject<FrameEntry>;
  /** Ends the clock ticks, so the pipeline completes once its entries do. */
  end: Subject<void>;
  run: ScenePipelineRun;
  sub: Subscription | undefined;
};

export type EpochOptions = {
  plan: PipelinePlan;
  /** Names the input in the read diagnostics. */
  inputName: string;
  pipeline: ScenePipelineOptions;
  /** Period of the clock ticks (ms). */
  heartbeatMs: number;
  /** The source clock now (extrapolated), undefined before any data. */
  readClock: () => Nanos | undefined;
  scheduler?: SchedulerLike;
  onTick: (tick: SceneTick, epoch: number) => void;
  onError: (err: unknown) => void;
};

/** Counters of all epochs together. */
export type EpochCounters = { decodedBySensor: Map<string, number>; decodeErrors: number; droppedTicks: number; heartbeats: number };

/** The decode stage's per-sensor counts of one run, added into `decoded`; returns its decode errors. */
function addDecodeStats(run: ScenePipelineRun, decoded: Map<string, number>): number {
  let errors = 0;
  for (const t of run.decodeStats.byTopic.values()) {
    if (!t.sensorId) continue;
    if (isSensorKind(t.role)) decoded.set(t.sensorId, (decoded.get(t.sensorId) ?? 0) + t.decoded);
    errors += t.errors;
  }
  return errors;
}

/**
 * Pipeline number `n` on a `latest` feed: raw messages into its decode stage, frames and clock
 * ticks (`onBeat` sees each) into its typed frame entry; its ticks go to `o.onTick`.
 */
function startEpoch(o: EpochOptions, n: number, onBeat: (now: Nanos) => void): Epoch {
  const messages = new Subject<SensorMessage>();
  const frames = new Subject<FrameEntry>();
  const end = new Subject<void>();
  const beats = clockTicks(o.heartbeatMs, o.readClock, o.scheduler ?? asyncScheduler).pipe(
    takeUntil(end),
    tap((t) => onBeat(t.now)),
  );
  const feed = {
    mode: "latest" as const,
    messages: () => messages,
    frames: merge(frames, beats),
    readDiagnostics: createDiagnostics(o.inputName),
  };
  const run = createScenePipelineFromFeed(feed, o.plan, o.pipeline);
  const epoch: Epoch = { n, messages, frames, end, run, sub: undefined };
  epoch.sub = run.ticks.subscribe({
    next: (t) => o.onTick(t, n),
    error: o.onError,
    complete: () => void run.dispose().catch(() => undefined),
  });
  return epoch;
}

/**
 * The epoch manager: runs the scene pipeline on a `latest` feed (raw messages into its decode
 * stage, frames and clock ticks into its typed frame entry) and starts it again when the source
 * clock jumps back (`restart`: aligner and tracker state on the old clock mean nothing on the
 * new one). It tracks the largest source time fed to the current pipeline (its aligner's clock)
 * and keeps the counters of finished epochs.
 */
export function createEpochs(o: EpochOptions) {
  let current: Epoch | undefined;
  let epochs = 0;
  let fedMax: Nanos | undefined;
  let heartbeats = 0;
  const past = { decoded: new Map<string, number>(), errors: 0, dropped: 0 };
  /** Frames fed through the typed entry, per sensor (all epochs: the decode stage does not count them). */
  const framesFed = new Map<string, number>();
  const advance = (t: Nanos): void => {
    if (fedMax === undefined || t > fedMax) fedMax = t;
  };

  const start = (): void => {
    current = startEpoch(o, epochs++, (t) => {
      heartbeats++;
      advance(t);
    });
  };

  const endInput = (e: Epoch): void => {
    e.messages.complete();
    e.frames.complete();
    e.end.next();
  };

  return {
    start,
    /** Whether a pipeline runs (after the plan). */
    running: (): boolean => current !== undefined,
    /** The current pipeline's calibration (mountings, camera calibrations); undefined before the plan. */
    calibration: (): ScenePipelineRun["calibration"] | undefined => current?.run.calibration,
    /** Largest source time fed to the current pipeline (data and clock ticks); undefined right after a (re)start. */
    fedMax: (): Nanos | undefined => fedMax,
    epochs: (): number => epochs,
    /** One piece of data into the current pipeline: a raw message to the decode stage, a frame to the typed entry. */
    feed(e: LiveDataEvent): void {
      if (!current) return;
      advance(sourceTimeOfEvent(e));
      if (e.type === "message") return current.messages.next(e.message);
      if (isSensorKind(e.frame.kind)) {
        const id = (e.frame as { sensorId: string }).sensorId;
        framesFed.set(id, (framesFed.get(id) ?? 0) + 1);
      }
      current.frames.next(e.frame);
    },
    /** The source clock went back: finish this pipeline (counters kept; its last ticks still come) and start a fresh one. */
    restart(): void {
      const old = current;
      if (!old) return;
      past.errors += addDecodeStats(old.run, past.decoded);
      past.dropped += old.run.droppedTicks();
      current = undefined;
      fedMax = undefined;
      endInput(old);
      start();
    },
    /** The input ended: the pipeline flushes its last ticks and completes. */
    complete(): void {
      if (current) endInput(current);
    },
    /** Stops the current pipeline now and frees its encoders. */
    dispose(): void {
      const c = current;
      if (!c) return;
      c.sub?.unsubscribe();
      void c.run.dispose().catch(() => undefined);
    },
    counters(): EpochCounters {
      const decoded = new Map(past.decoded);
      let errors = past.errors;
      if (current) errors += addDecodeStats(current.run, decoded);
      for (const [id, n] of framesFed) decoded.set(id, (decoded.get(id) ?? 0) + n);
      return {
        decodedBySensor: decoded,
        decodeErrors: errors,
        droppedTicks: past.dropped + (current?.run.droppedTicks() ?? 0),
        heartbeats,
      };
    },
  };
}

export type EpochManager = ReturnType<typeof createEpochs>;
