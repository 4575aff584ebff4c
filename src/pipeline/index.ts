import { concatMap, defer, filter, finalize, Observable, share, tap, type OperatorFunction } from "rxjs";
import { decodeFrames, type DecodeFramesOperator, type DecodeFramesOptions } from "../decode/decodeFrames";
import { VENDOR_DECODERS } from "../decode/vendorDecoders";
import type { AvfusionConfig } from "../config/configSchema";
import type { RecordingInspection } from "../sources/mcap/inspectRecording";
import {
  createDiagnostics,
  readMessageBatches,
  readRecording,
  type ReadDiagnostics,
  type ReadRecordingOptions,
} from "../sources/mcap/readRecording";
import type { RecordingReadable } from "../sources/mcap/types";
import type { ModelFiles } from "../runtime/modelFiles";
import { createBundleEncoder, type EncodedTick } from "../encoders/encodeBundle";
import { createSensorEncoders } from "../encoders/sensorEncoders";
import { MultiSensorTracker } from "../fusion/MultiSensorTracker";
import { parseTrackerConfig, type TrackerConfigInput } from "../fusion/trackerConfig";
import type { FusionHead } from "../fusion/fusionHead";
import type { TrackedObjects } from "../types/tracked";
import type { DecodeCounts } from "../scene/observeSensors";
import { SceneAssembler } from "../scene/assembleScene";
import type { SceneConfigInput } from "../scene/sceneConfig";
import { nsToMs } from "../types/time";
import { alignByDeadline } from "../sync/alignByDeadline";
import { planAlignByDeadline, type AlignByDeadlineOptions } from "../sync/alignByDeadlineSchema";
import type {
  CalibrationUpdate,
  DecodedMessage,
  EvidenceBundle,
  GroundTruthFrame,
  SceneState,
  SensorMessage,
  SensorFrame,
  SensorKind,
  SyncedBundle,
} from "../types";
import { SENSOR_KINDS } from "../types";

/** One sensor the pipeline aligns, found from the recording's topics. */
export type PipelineSensor = {
  sensorId: string;
  kind: SensorKind;
  topics: string[];
  /** Measured message rate of its busiest topic (Hz), when the recording says. */
  rateHz: number | null;
};

export type PipelinePlan = {
  sensors: PipelineSensor[];
  sync: AlignByDeadlineOptions;
  /** Topics the pipeline will not use, with why (unsupported schema, encoding, ...). */
  unused: { topic: string; reason: string }[];
};

export type PlanOptions = {
  /** Fusion tick rate (Hz); default 10. */
  tickHz?: number;
  /** How long a tick may wait for late frames, on the recording clock (ms); default 150. */
  deadlineMs?: number;
  /** The config file's pipeline settings and per-sensor overrides (they win over the above). */
  config?: AvfusionConfig;
};

/** Nominal rates per kind, used when the recording has too few messages to measure one. */
const NOMINAL_RATE_HZ: Record<SensorKind, number> = { camera: 15, lidar: 10, radar: 20, audio: 12.5 };

/**
 * Builds the aligner configuration from a recording's inspection: every supported camera, LiDAR,
 * radar and audio topic becomes a sensor; each sensor's window is half its period (so a tick
 * takes the nearest frame and never one that belongs to the neighbouring tick), at least 20 ms.
 */
export function planPipeline(inspection: RecordingInspection, options: PlanOptions = {}): PipelinePlan {
  const bySensor = new Map<string, PipelineSensor>();
  const unused: PipelinePlan["unused"] = [];
  for (const t of inspection.topics) {
    const kind = t.sensor;
    if (!t.supported || kind === null || !(SENSOR_KINDS as readonly string[]).includes(kind)) {
      if (!t.supported) unused.push({ topic: t.topic, reason: t.reason ?? "unsupported" });
      continue;
    }
    const sensorKind = kind as SensorKind;
    const existing = bySensor.get(t.sensorId);
    if (existing) {
      existing.topics.push(t.topic);
      existing.rateHz = Math.max(existing.rateHz ?? 0, t.rateHz ?? 0) || null;
    } else {
      bySensor.set(t.sensorId, { sensorId: t.sensorId, kind: sensorKind, topics: [t.topic], rateHz: t.rateHz });
    }
  }
  const sensors = [...bySensor.values()].sort((a, b) => a.sensorId.localeCompare(b.sensorId));
  const fromFile = options.config?.pipeline ?? {};
  const tickHz = fromFile.tickHz ?? options.tickHz ?? 10;
  const sync: AlignByDeadlineOptions = {
    sensors: sensors.map((s) => {
      const rate = s.rateHz !== null && s.rateHz > 0.5 ? s.rateHz : NOMINAL_RATE_HZ[s.kind];
      // A camera image or a radar scan: the one stamped nearest the tick. A LiDAR sweep or an
      // audio chunk is stamped at its start and only exists once it ends, a period later: the one
      // that ends nearest the tick (stamp ≈ tick − period). Measured on `avfusion bench` nominal
      // (quiet machine) and the held-out eval suite:
      // - sweeps centred on the tick (offset −period/2): sync wait p50 103 ms, every tick waited
      //   for a sweep that ends after it;
      // - as here: sync wait p50 40 ms, e2e from capture end p50/p99 71/138 ms, fused mAP in clear 0.401;
      // - images and scans also taken at or before the tick (offset −period/2): sync wait p50
      //   12 ms but e2e from capture end 75/144 ms and fused mAP in clear 0.343 (older images).
      const offsetMs = s.kind === "lidar" || s.kind === "audio" ? -1000 / rate : 0;
      const planned = { id: s.sensorId, offsetMs, toleranceMs: Math.max(20, 500 / rate), maxQueue: 64 };
      return { ...planned, ...options.config?.sensors?.[s.sensorId] };
    }),
    tick: { mode: "fixed", rateHz: tickHz },
    deadlineMs: fromFile.deadlineMs ?? options.deadlineMs ?? 150,
    latenessBoundMs: 200,
    staleAfterMs: fromFile.staleAfterMs ?? 1000,
    clock: "recording",
  };
  const unknown = Object.keys(options.config?.sensors ?? {}).filter((id) => !bySensor.has(id));
  if (unknown.length > 0) {
    throw new RangeError(
      `config sensors: ${unknown.join(", ")} not in the recording, expected one of ${[...bySensor.keys()].join(", ") || "(none)"}`,
    );
  }
  return { sensors, sync, unused };
}

/** Latest calibration seen on the recording, by frame (transforms) and camera frame (intrinsics). */
export type CalibrationStore = {
  transforms: Map<string, Extract<CalibrationUpdate, { kind: "transform" }>>;
  cameras: Map<string, Extract<CalibrationUpdate, { kind: "cameraCalibration" }>>;
};

export type PipelineOptions = {
  read?: Omit<ReadRecordingOptions, "diagnostics">;
  decode?: DecodeFramesOptions;
  /** Called with each ground-truth message (evaluation reads it; the pipeline does not). */
  onGroundTruth?: (gt: GroundTruthFrame) => void;
  /** Called synchronously as the aligner emits each bundle (instrumentation: benchmarks stamp wall time here). */
  onAligned?: (bundle: SyncedBundle) => void;
};

/** A running pipeline: its output and the live counters of each stage. */
export type PipelineRun = {
  /** One bundle per fusion tick, in tick order. Subscribe once. */
  bundles: Observable<SyncedBundle>;
  readDiagnostics: ReadDiagnostics;
  decodeStats: DecodeFramesOperator["stats"];
  calibration: CalibrationStore;
};

/** The simulator's ground-truth schema (proto/avfusion). */
const GROUND_TRUTH_SCHEMA = "avfusion.GroundTruth";

function isSensorFrame(m: DecodedMessage): m is SensorFrame {
  return m.kind === "camera" || m.kind === "lidar" || m.kind === "radar" || m.kind === "audio";
}

/**
 * decode → side channels → time alignment, shared by both pipelines: calibration is kept in the
 * returned store and ground truth goes to `onGroundTruth`; only sensor frames are aligned.
 * Exported for tools that drive the stages themselves (bench/pipelineOverhead.ts).
 */
export function decodeAndAlign(plan: PipelinePlan, options: PipelineOptions) {
  const decode = decodeFrames({ vendor: VENDOR_DECODERS, ...options.decode });
  const calibration: CalibrationStore = { transforms: new Map(), cameras: new Map() };
  // Ground truth is decoded only for a listener: it costs as much to decode as a radar scan
  // (bench/pipelineOverhead.ts), and nothing downstream of the aligner reads it.
  const wanted = options.onGroundTruth ? () => true : (m: SensorMessage) => m.schemaName !== GROUND_TRUTH_SCHEMA;
  const operator: OperatorFunction<SensorMessage, SyncedBundle> = (messages) =>
    messages.pipe(
      filter(wanted),
      decode,
      tap((m) => {
        if (m.kind === "transform") calibration.transforms.set(m.childFrameId, m);
        else if (m.kind === "cameraCalibration") calibration.cameras.set(m.frameId, m);
        else if (m.kind === "groundTruth") options.onGroundTruth?.(m);
      }),
      filter(isSensorFrame),
      alignByDeadline(plan.sync),
      tap((b) => options.onAligned?.(b)),
    );
  return { operator, decodeStats: decode.stats, calibration };
}

/**
 * The pipe stopped after time alignment: recording → decode → sync, for tools that need aligned
 * frames only. Calibration and ground truth are side channels (`calibration`, `onGroundTruth`).
 */
export function createPipeline(source: RecordingReadable, plan: PipelinePlan, options: PipelineOptions = {}): PipelineRun {
  planAlignByDeadline(plan.sync); // fail at start-up, not mid-run
  const readDiagnostics = createDiagnostics(source.name);
  const aligned = decodeAndAlign(plan, options);
  const bundles = readRecording(source, { ...options.read, diagnostics: readDiagnostics }).pipe(aligned.operator, share());
  return { bundles, readDiagnostics, decodeStats: aligned.decodeStats, calibration: aligned.calibration };
}

// --- the whole pipeline: … → encoders → fusion → scene ------------------------------------------

/** Tracker, fusion head and scene settings: everything after the encoders. */
export type FusionStageOptions = {
  tracker?: TrackerConfigInput;
  /** A late-fusion head that refines each track's existence and class (e.g. the shipped learned head). */
  fusionHead?: FusionHead;
  /** Scene assembly settings; `health.sensors` is filled from the plan unless given. */
  scene?: Partial<SceneConfigInput>;
};

export type ScenePipelineOptions = PipelineOptions &
  FusionStageOptions & {
    /** Where the shipped models are read from (models/<kind>/...). */
    models: { files: ModelFiles; dir?: string; kinds?: readonly SensorKind[] };
    /** Ticks that may wait for the encoders at once; the reader pauses beyond it (lossless). Default 4. */
    maxTicksInFlight?: number;
    /** One-line notices (e.g. a sensor without a mounting in the recording). */
    onWarning?: (line: string) => void;
  };

/** Everything the pipeline knows about one tick. `scene` is the output; the rest is for tools. */
export type SceneTick = {
  scene: SceneState;
  synced: SyncedBundle;
  evidence: EvidenceBundle;
  tracked: TrackedObjects;
  /** Sensor id → why its included frame gave no evidence this tick. */
  failures: Map<string, string>;
  /** Wall-clock stamps of this tick's way through the stages (set by the scene pipeline, not by `createFusionStage`). */
  timing?: TickTiming;
};

/**
 * `performance.now()` readings (ms) for one tick: when the aligner emitted its bundle, when the
 * encoders started and finished it, and when fusion + scene assembly finished. `encodeStartMs −
 * alignedMs` is the time the tick queued behind earlier ticks.
 */
export type TickTiming = { alignedMs: number; encodeStartMs: number; encodeEndMs: number; sceneMs: number };

export type ScenePipelineRun = Omit<PipelineRun, "bundles"> & {
  /** One scene per fusion tick, in tick order. Subscribe once. */
  ticks: Observable<SceneTick>;
  /** Ticks dropped because the encoders were busy (real-time pacing only). */
  droppedTicks: () => number;
  /** Frees the encoders' models. */
  dispose: () => Promise<void>;
};

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

/** The scene's health settings for a plan: one monitored sensor per planned sensor, at its measured rate. */
export function sceneConfigForPlan(plan: PipelinePlan, scene?: Partial<SceneConfigInput>): SceneConfigInput {
  return {
    ...scene,
    health: {
      ...scene?.health,
      sensors:
        scene?.health?.sensors ??
        plan.sensors.map((s) => ({
          id: s.sensorId,
          kind: s.kind,
          ...(s.rateHz !== null && s.rateHz > 0.5 ? { expectedRateHz: s.rateHz } : {}),
        })),
    },
  };
}

/** One tick through fusion and scene assembly, given the encoders' output. */
export type FusionStage = (encoded: EncodedTick, decode?: Iterable<DecodeCounts>) => SceneTick;

/**
 * Everything after the encoders: tracker (+ optional fusion head) → scene assembler, stateful
 * across ticks, synchronous. Separate from the encoders so that tools can run the encoders once
 * and fuse the same evidence several ways (evaluation ablations, fusion-head training).
 */
export function createFusionStage(plan: PipelinePlan, options: FusionStageOptions = {}): FusionStage {
  const fusion = new MultiSensorTracker(parseTrackerConfig(options.tracker ?? {}), options.fusionHead);
  const assembler = new SceneAssembler(sceneConfigForPlan(plan, options.scene));
  return (encoded, decode) => {
    const bundle = encoded.synced;
    let t = performance.now();
    const tracked = fusion.step(encoded.evidence);
    const fusionMs = performance.now() - t;
    const latencyMs: Record<string, number> = { syncWait: round3(nsToMs(bundle.emittedAt - bundle.tick)) };
    for (const e of encoded.evidence.evidence) {
      const total = Object.values(e.timingMs).reduce((a, b) => a + b, 0);
      latencyMs[`encode.${e.sensorId}`] = round3(total);
    }
    latencyMs.encode = round3(encoded.encodeMs);
    latencyMs.fusion = round3(fusionMs);
    t = performance.now();
    const scene = assembler.step({ tracked, synced: bundle, evidence: encoded.evidence, decode, latencyMs });
    scene.latencyMs.scene = round3(performance.now() - t);
    return { scene, synced: bundle, evidence: encoded.evidence, tracked, failures: encoded.failures };
  };
}

/** Where the scene pipeline's messages come from, and how it paces them. */
export type MessageFeed = {
  /**
   * `lossless`: the feed pauses while more than `maxTicksInFlight` ticks wait for the encoders
   * (it calls `waitForRoom` between batches). `latest`: it never waits; while the encoders are busy
   * only the newest tick is kept and the others are counted as dropped (real time, live sensors).
   */
  mode: "lossless" | "latest";
  /** The feed, given a function that resolves once the pipeline has room (use it in lossless mode). */
  messages: (waitForRoom: () => Promise<void>) => Observable<SensorMessage>;
  readDiagnostics: ReadDiagnostics;
};

/**
 * The whole pipeline over any message feed: decode → sync → encoders → fusion → scene. The
 * recording variant is `createScenePipeline`; live bridges build a `latest` feed from their sources.
 */
export function createScenePipelineFromFeed(feed: MessageFeed, plan: PipelinePlan, options: ScenePipelineOptions): ScenePipelineRun {
  planAlignByDeadline(plan.sync);
  parseTrackerConfig(options.tracker ?? {}); // fail at start-up, not on the first tick
  const { operator: align, decodeStats, calibration } = decodeAndAlign(plan, options);
  const encoders = createSensorEncoders(calibration, {
    files: options.models.files,
    ...(options.models.dir !== undefined ? { modelsDir: options.models.dir } : {}),
    ...(options.models.kinds !== undefined ? { kinds: options.models.kinds } : {}),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
  const kinds = new Map(plan.sensors.map((s) => [s.sensorId, s.kind]));
  const encode = createBundleEncoder(encoders, kinds);
  const maxInFlight = options.maxTicksInFlight ?? 4;
  let inFlight = 0;
  let dropped = 0;
  const waiters: (() => void)[] = [];
  const settled = (): void => {
    inFlight--;
    for (const w of waiters.splice(0)) w();
  };
  // Set when the output is unsubscribed: a feed waiting for room must then stop waiting (the
  // ticks queued inside concatMap are dropped and will never settle).
  let closed = false;
  const waitForRoom = async (): Promise<void> => {
    while (inFlight > maxInFlight && !closed) await new Promise<void>((r) => waiters.push(r));
  };

  // Frames an encoder could not use count as failed messages of their sensor, so scene health
  // reports the sensor FAILED (with the reason) rather than OK-but-silent.
  const encoderErrors = new Map<string, DecodeCounts>();
  const decodeCounts = function* (): Generator<DecodeCounts> {
    yield* decodeStats.byTopic.values();
    yield* encoderErrors.values();
  };

  const ticks = defer(() => {
    closed = false;
    const fuse = createFusionStage(plan, options);
    const alignedAt = new WeakMap<SyncedBundle, number>();
    const synced = feed.messages(waitForRoom).pipe(
      align,
      tap((b) => alignedAt.set(b, performance.now())),
    );
    const step = async (bundle: SyncedBundle): Promise<SceneTick> => {
      const encodeStartMs = performance.now();
      const encoded = await encode(bundle);
      const encodeEndMs = performance.now();
      for (const [sensorId, why] of encoded.failures) {
        const e = encoderErrors.get(sensorId) ?? { sensorId, decoded: 0, errors: 0 };
        e.errors++;
        e.lastReason = `encoder: ${why}`;
        encoderErrors.set(sensorId, e);
      }
      const tick = fuse(encoded, decodeCounts());
      tick.timing = { alignedMs: alignedAt.get(bundle) ?? encodeStartMs, encodeStartMs, encodeEndMs, sceneMs: performance.now() };
      return tick;
    };
    const counted = (b: SyncedBundle): Promise<SceneTick> => {
      inFlight++;
      return step(b).finally(settled);
    };
    return feed.mode === "lossless"
      ? synced.pipe(
          // Counted on arrival, not when concatMap starts it: the ticks waiting inside concatMap are
          // what `waitForRoom` must bound (counting only the running one let the reader run ahead
          // of the encoders through the whole recording).
          tap(() => inFlight++),
          concatMap((b) => step(b).finally(settled)),
        )
      : synced.pipe(
          // Real time: never queue behind a slow encoder; keep the newest tick, count the rest.
          tap(() => {
            if (inFlight > 0) dropped++;
          }),
          exhaustMapLatest(counted, () => dropped--),
        );
  }).pipe(
    finalize(() => {
      closed = true;
      for (const w of waiters.splice(0)) w();
    }),
  );
  return {
    ticks: ticks.pipe(share()),
    readDiagnostics: feed.readDiagnostics,
    decodeStats,
    calibration,
    droppedTicks: () => Math.max(0, dropped),
    dispose: () => encoders.dispose(),
  };
}

/**
 * The whole pipeline as one pipe: recording → decode → sync → encoders → fusion → scene.
 * Lossless pacing reads the recording only as fast as the encoders finish ticks (at most
 * `maxTicksInFlight` waiting), so memory stays bounded on a recording of any length; real-time
 * pacing never waits: while the encoders are busy only the newest tick is kept, and the rest are
 * counted in `droppedTicks`.
 */
export function createScenePipeline(source: RecordingReadable, plan: PipelinePlan, options: ScenePipelineOptions): ScenePipelineRun {
  const readDiagnostics = createDiagnostics(source.name);
  const pacing = options.read?.pacing ?? { mode: "lossless" };
  const feed: MessageFeed =
    pacing.mode === "lossless"
      ? {
          mode: "lossless",
          readDiagnostics,
          messages: (waitForRoom) =>
            new Observable<SensorMessage>((subscriber) => {
              let stopped = false;
              (async () => {
                for await (const batch of readMessageBatches(source, { ...options.read, diagnostics: readDiagnostics })) {
                  for (const m of batch) {
                    if (stopped) return;
                    readDiagnostics.messagesDelivered++;
                    subscriber.next(m);
                  }
                  await waitForRoom();
                  if (stopped) return;
                }
                subscriber.complete();
              })().catch((err: unknown) => subscriber.error(err));
              return () => {
                stopped = true;
              };
            }),
        }
      : { mode: "latest", readDiagnostics, messages: () => readRecording(source, { ...options.read, diagnostics: readDiagnostics }) };
  return createScenePipelineFromFeed(feed, plan, options);
}

/**
 * Like exhaustMap, but the newest value that arrived while busy is processed when the current one
 * finishes (at most one waits; older waiting values are dropped). `onTaken` is called when a
 * waiting value is processed after all, so the caller's drop count (counted on arrival) stays exact.
 */
function exhaustMapLatest<T, R>(project: (value: T) => Promise<R>, onTaken: () => void): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      let busy = false;
      let waiting: { value: T } | undefined;
      let done = false;
      const run = (value: T): void => {
        busy = true;
        project(value).then(
          (r) => {
            subscriber.next(r);
            busy = false;
            if (waiting) {
              const next = waiting.value;
              waiting = undefined;
              onTaken();
              run(next);
            } else if (done) subscriber.complete();
          },
          (err: unknown) => subscriber.error(err),
        );
      };
      const sub = source.subscribe({
        next: (v) => {
          if (busy) waiting = { value: v };
          else run(v);
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          done = true;
          if (!busy) subscriber.complete();
        },
      });
      return () => sub.unsubscribe();
    });
}
