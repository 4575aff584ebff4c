import { Observable, type Subscriber, type TeardownLogic } from "rxjs";
import type { AvfusionConfig } from "../config/configSchema";
import type { TopicMapping } from "../config/topicMapping";
import type { FusionHead } from "../fusion/fusionHead";
import type { CalibrationStore, FusionStageOptions, PipelinePlan, SceneTick, ScenePipelineOptions } from "../pipeline";
import { wallClockNs } from "../sources/bridge/clock";
import type { Nanos, SensorMessage } from "../types";
import type { ClockMode, ClockSync } from "../sync/clockSync";
import { createClockAnchor, type ClockAnchorStore } from "./clockTicks";
import { createLiveClockSync } from "./liveClock";
import { createTickDecorator, type LiveTickExtras } from "./decorateTick";
import { createFrameMessages } from "./frameMessages";
import { createEpochs, type EpochManager, type EpochOptions } from "./liveEpochs";
import { sourceTimeOf, sourceTimeOfEvent, topicOfEvent, type LiveConnectionState, type LiveDataEvent, type LiveInput } from "./liveInputs";
import { createWarmup, identifyFrame, identifyMessage, isSensorKind, planFromWarmup, type Warmup } from "./warmupPlan";

export type LiveSessionOptions = Pick<FusionStageOptions, "tracker" | "scene"> & {
  input: LiveInput;
  models: ScenePipelineOptions["models"];
  /** Fusion tick rate (Hz); default 10 (the config file's `pipeline.tickHz` wins). */
  tickHz?: number;
  /** The config file: topic mapping, pipeline settings, per-sensor alignment overrides. */
  config?: AvfusionConfig;
  /** A late-fusion head (e.g. the shipped learned head) passed to the tracker. */
  fusionHead?: FusionHead;
  /**
   * How long after the first data the session watches the input before planning (ms, default
   * 1000): the topics seen and their measured rates become the plan. Messages and frames of that
   * time are kept (at most `maxWarmupBytes`) and fed to the pipeline once it starts.
   */
  warmupMs?: number;
  /** Bytes of messages and frames kept during the warm-up (default 64 MiB; beyond it the oldest are dropped). */
  maxWarmupBytes?: number;
  /** Period of the clock ticks (ms, default 20): the scene's tick output granularity while sources are silent. */
  heartbeatMs?: number;
  /**
   * Data whose source time is this far behind the pipeline's clock (ms, default 2000) means
   * the source clock went back (a replayed recording restarted): the pipeline starts again.
   */
  clockJumpMs?: number;
  /**
   * Every input message as received (its `logTime` on the source clock): pass-through to viewers.
   * Frames an input decoded itself come as messages too (`createFrameMessages`: LiDAR as
   * `foxglove.PointCloud`, radar as `avfusion.RadarScan`, mountings as `foxglove.FrameTransforms`).
   */
  onMessage?: (message: SensorMessage, arrival: Nanos) => void;
  /** One-line notices: connection changes, clock jumps, late topics, encoder warnings. */
  onNotice?: (line: string) => void;
  /** The plan, once made. */
  onPlan?: (plan: PipelinePlan) => void;
  /** Wall clock (ns); default the system clock. */
  clock?: () => Nanos;
  /**
   * Which clock the sensors' frames are aligned on (default `auto`): their stamps (`stamp`), their
   * receive time (`receive`), or their stamps moved by a per-sensor offset estimated when stamps and
   * receive time disagree by more than the sensor's window (`auto`; src/sync/clockSync.ts). Each
   * offset found or changed is one notice, and `scene.health.sensors[].clockOffsetMs` carries it.
   */
  clockMode?: ClockMode;
};

/** One fused scene of a live session: the pipeline's tick plus what the live glue knows (`LiveTickExtras`). */
export type LiveTick = SceneTick & LiveTickExtras;

export type LiveSessionStats = {
  connection: LiveConnectionState;
  connectionLine: string;
  epochs: number;
  ticks: number;
  /** Ticks the pipeline dropped to the newest while the encoders were busy (all epochs). */
  droppedTicks: number;
  /** Frames decoded per sensor (all epochs): by the decode stage, or by the input (UDP). */
  decodedBySensor: Map<string, number>;
  decodeErrors: number;
  /** Warm-up messages and frames dropped over `maxWarmupBytes`. */
  warmupDropped: number;
  clockOffsetNs: Nanos | undefined;
  clockJumps: number;
  /** Clock ticks fed to the pipelines. */
  heartbeats: number;
};

export type LiveSession = {
  /** One scene per fusion tick. Subscribing starts the input; unsubscribing stops it and frees the encoders. */
  ticks: Observable<LiveTick>;
  stats(): LiveSessionStats;
  plan(): PipelinePlan | undefined;
  /** The running pipeline's calibration (mountings, camera calibrations), for outputs drawn in the sensors' frames. */
  calibration(): CalibrationStore | undefined;
};

/** The settings of a session, defaults filled in. */
type Settings = {
  clock: () => Nanos;
  warmupMs: number;
  maxWarmupBytes: number;
  heartbeatMs: number;
  clockJump: Nanos;
  mapping: TopicMapping;
};

function settingsOf(options: LiveSessionOptions): Settings {
  return {
    clock: options.clock ?? wallClockNs,
    warmupMs: options.warmupMs ?? 1000,
    maxWarmupBytes: options.maxWarmupBytes ?? 64 << 20,
    heartbeatMs: options.heartbeatMs ?? 20,
    clockJump: BigInt(Math.round((options.clockJumpMs ?? 2000) * 1e6)),
    mapping: { ...options.config?.topics, ...options.input.mapping },
  };
}

/** What a session knows across its pieces: the plan once made, the current pipelines, the warm-up. */
type SessionState = {
  stats: Pick<LiveSessionStats, "connection" | "connectionLine" | "ticks" | "clockJumps">;
  plan: PipelinePlan | undefined;
  /** Topic → sensor id of the planned topics. */
  topicSensor: Map<string, string>;
  epochs: EpochManager | undefined;
  warmup: Warmup | undefined;
  /** Per-sensor clock offsets, once the plan is made. */
  clockSync: ClockSync | undefined;
};

function sessionStats(state: SessionState, anchor: ClockAnchorStore): LiveSessionStats {
  const c = state.epochs?.counters();
  return {
    ...state.stats,
    epochs: state.epochs?.epochs() ?? 0,
    droppedTicks: c?.droppedTicks ?? 0,
    decodedBySensor: c?.decodedBySensor ?? new Map(),
    decodeErrors: c?.decodeErrors ?? 0,
    warmupDropped: state.warmup?.dropped() ?? 0,
    clockOffsetNs: anchor.offset(),
    heartbeats: c?.heartbeats ?? 0,
  };
}

/** The scene pipeline's options for a session; encoder warnings go to the notices once each. */
function pipelineOptions(
  options: LiveSessionOptions,
  mapping: TopicMapping,
  clockSync: ClockSync,
  notice: (line: string) => void,
): ScenePipelineOptions {
  const warned = new Set<string>();
  return {
    decode: { mapping },
    restamp: (frame) => clockSync.correct(frame),
    models: options.models,
    ...(options.fusionHead ? { fusionHead: options.fusionHead } : {}),
    ...(options.tracker ? { tracker: options.tracker } : {}),
    ...(options.scene ? { scene: options.scene } : {}),
    onWarning: (line) => {
      if (warned.has(line)) return;
      warned.add(line);
      notice(`warning: ${line}`);
    },
  };
}

/** Pass-through to viewers: raw messages as received, decoded frames through the one serving encoder. */
function passThrough(onMessage: LiveSessionOptions["onMessage"]): (e: LiveDataEvent) => void {
  if (!onMessage) return () => undefined;
  const toMessage = createFrameMessages();
  return (e) => {
    if (e.type === "message") return onMessage(e.message, e.arrival);
    const m = toMessage(e.frame, e.topic, sourceTimeOf(e.frame));
    if (m) onMessage(m, e.arrival);
  };
}

/** One notice for a sensor topic that appears after the plan was made (its data is not aligned). */
function lateTopicCheck(name: string, mapping: TopicMapping, state: SessionState, notice: (line: string) => void) {
  const reported = new Set<string>();
  return (e: LiveDataEvent): void => {
    const topic = topicOfEvent(e);
    if (state.topicSensor.has(topic) || reported.has(topic)) return;
    reported.add(topic);
    const id = e.type === "message" ? identifyMessage(e.message, mapping) : identifyFrame(e.frame);
    if (isSensorKind(id.sensor) && id.supported && !state.plan?.sensors.some((s) => s.sensorId === id.sensorId))
      notice(`${name}: ${topic} (${id.sensor} ${id.sensorId}) appeared after start-up and is not in the plan; ignored`);
  };
}

/**
 * The end of the warm-up: the plan from what it saw (bad input throws), then the first pipeline.
 * The warm-up's data is still to be fed.
 */
function planAndStart(
  options: LiveSessionOptions,
  settings: Settings,
  state: SessionState,
  on: { anchor: ClockAnchorStore; notice: (line: string) => void; onTick: EpochOptions["onTick"]; onError: (err: unknown) => void },
): EpochManager {
  const planned = planFromWarmup(options.input.name, state.warmup!.topics, settings.mapping, options);
  // Topics the input never took (unsupported, ignored) are named on the start-up line too.
  const notTaken = (options.input.unused?.() ?? []).filter((u) => !planned.plan.unused.some((p) => p.topic === u.topic));
  state.plan = { ...planned.plan, unused: [...planned.plan.unused, ...notTaken] };
  state.topicSensor = planned.topicSensor;
  options.onPlan?.(state.plan);
  state.clockSync = createLiveClockSync(state.plan, options.clockMode ?? "auto", on.notice);
  const epochs = createEpochs({
    plan: state.plan,
    inputName: options.input.name,
    pipeline: pipelineOptions(options, settings.mapping, state.clockSync, on.notice),
    heartbeatMs: settings.heartbeatMs,
    readClock: () => on.anchor.read(),
    onTick: on.onTick,
    onError: on.onError,
  });
  epochs.start();
  return epochs;
}

/**
 * One subscription to a session's ticks: the input's data goes to the warm-up until the plan is
 * made, then into the current pipeline; a source clock that jumps back restarts the pipeline.
 */
function runSession(
  options: LiveSessionOptions,
  settings: Settings,
  anchor: ClockAnchorStore,
  state: SessionState,
  subscriber: Subscriber<LiveTick>,
): TeardownLogic {
  const input = options.input;
  const notice = (line: string): void => options.onNotice?.(line);
  const decorator = createTickDecorator({
    clock: settings.clock,
    counters: () => input.counters(),
    topicSensor: () => state.topicSensor,
    sensorClockOffsetMs: (id) => state.clockSync?.offsetMs(id),
  });
  const warmup = (state.warmup = createWarmup(input.declared ?? [], settings.maxWarmupBytes));
  const serve = passThrough(options.onMessage);
  const checkLate = lateTopicCheck(input.name, settings.mapping, state, notice);
  let warmTimer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const onTick = (tick: SceneTick, epoch: number): void => {
    if (closed) return;
    state.stats.ticks++;
    subscriber.next(decorator.decorate(tick, { epoch, connection: state.stats.connection, clockOffsetNs: anchor.offset() ?? 0n }));
  };

  const makePlan = (): void => {
    warmTimer = undefined;
    if (closed) return;
    try {
      state.epochs = planAndStart(options, settings, state, { anchor, notice, onTick, onError: (err) => subscriber.error(err) });
    } catch (err) {
      return subscriber.error(err);
    }
    for (const e of warmup.take()) state.epochs.feed(e);
  };

  const onData = (e: LiveDataEvent): void => {
    serve(e);
    const source = sourceTimeOfEvent(e);
    const topic = topicOfEvent(e);
    const epochs = state.epochs;
    const fedMax = epochs?.fedMax();
    if (input.clock !== "wall" && epochs?.running() && fedMax !== undefined && source < fedMax - settings.clockJump) {
      state.stats.clockJumps++;
      notice(`${input.name}: source clock went back ${(Number(fedMax - source) / 1e9).toFixed(1)} s (${topic}); pipeline restarted`);
      epochs.restart();
    }
    anchor.note(source, e.arrival);
    decorator.noteArrival(topic, source, e.arrival);
    if (!state.plan || !epochs) {
      warmup.add(e);
      warmTimer ??= setTimeout(makePlan, settings.warmupMs);
      return;
    }
    checkLate(e);
    epochs.feed(e);
  };

  const inputSub = input.events.subscribe({
    next: (e) => {
      if (e.type === "message" || e.type === "frame") onData(e);
      else if (e.type === "status") {
        state.stats.connection = e.state;
        state.stats.connectionLine = e.line;
        notice(e.line);
      } else notice(e.line);
    },
    error: (err: unknown) => subscriber.error(err),
    complete: () => state.epochs?.complete(),
  });

  return () => {
    closed = true;
    if (warmTimer) clearTimeout(warmTimer);
    inputSub.unsubscribe();
    state.epochs?.dispose();
  };
}

/**
 * The whole pipeline on a live input: warm-up (topics and rates → plan) → decode → sync →
 * encoders → fusion → scene, with drop-to-latest pacing (`createScenePipelineFromFeed`, mode
 * `latest`). Raw messages (WebSocket) go through the pipeline's decode stage; frames an input
 * decoded itself (UDP drivers, mountings) through its typed frame entry.
 *
 * Clock: the aligner runs on its `recording` clock (the largest source time seen), and every
 * piece of data is on the source clock (a message's `logTime`: the server's timestamp over
 * WebSocket; a frame's `receivedAt`: the arrival time for UDP), exactly like a recording's log
 * time on replay, so ticks fall on the same grid as `replay`. Between data, clock ticks every
 * `heartbeatMs` (`clockTicks`) carry the source clock extrapolated from the latest data
 * (`createClockAnchor`: its source time + wall time since it arrived), so ticks keep coming at the
 * tick rate while a source is silent or the connection is down: the scene reports those sensors
 * STALE, then MISSING. Data more than `clockJumpMs` behind the pipeline's clock means the source
 * clock went back (a replayed recording restarted): the pipeline is started again (a new `epoch`,
 * `createEpochs`), as aligner and tracker state on the old clock mean nothing on the new one.
 */
export function startLive(options: LiveSessionOptions): LiveSession {
  const settings = settingsOf(options);
  const anchor = createClockAnchor(settings.clock);
  const state: SessionState = {
    stats: { connection: "connecting", connectionLine: "", ticks: 0, clockJumps: 0 },
    plan: undefined,
    topicSensor: new Map(),
    epochs: undefined,
    warmup: undefined,
    clockSync: undefined,
  };
  const ticks = new Observable<LiveTick>((subscriber) => runSession(options, settings, anchor, state, subscriber));
  return { ticks, stats: () => sessionStats(state, anchor), plan: () => state.plan, calibration: () => state.epochs?.calibration() };
}
