import { Observable, Subject, type Subscription } from "rxjs";
import type { AvfusionConfig } from "../config/configSchema";
import { classifyTopic, resolveSensor, type TopicMapping } from "../config/topicMapping";
import { VENDOR_CLASSIFY } from "../decode/vendorDecoders";
import type { FusionHead } from "../fusion/fusionHead";
import {
  createScenePipelineFromFeed,
  planPipeline,
  type FusionStageOptions,
  type PipelinePlan,
  type ScenePipelineOptions,
  type ScenePipelineRun,
  type SceneTick,
} from "../pipeline";
import { wallClockNs } from "../sources/bridge/clock";
import type { RecordingInspection, TopicInspection } from "../sources/mcap/inspectRecording";
import { createDiagnostics } from "../sources/mcap/readRecording";
import { planAlignByDeadline } from "../sync/alignByDeadlineSchema";
import { SENSOR_KINDS, type Nanos, type SensorMessage } from "../types";
import { HEARTBEAT_TOPIC, heartbeatMessage } from "./frameMessages";
import type { BridgeCounters, LiveConnectionState, LiveInput } from "./liveInputs";

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
   * How long after the first message the session watches the input before planning (ms, default
   * 1000): the topics seen and their measured rates become the plan. Messages of that time are
   * kept (at most `maxWarmupBytes`) and fed to the pipeline once it starts.
   */
  warmupMs?: number;
  /** Bytes of messages kept during the warm-up (default 64 MiB; beyond it the oldest are dropped). */
  maxWarmupBytes?: number;
  /** Period of the clock heartbeat (ms, default 20): the scene's tick output granularity while sources are silent. */
  heartbeatMs?: number;
  /**
   * A message whose source time is this far behind the pipeline's clock (ms, default 2000) means
   * the source clock went back (a replayed recording restarted): the pipeline starts again.
   */
  clockJumpMs?: number;
  /** Every input message as received (its `logTime` on the source clock): pass-through to viewers. */
  onMessage?: (message: SensorMessage, arrival: Nanos) => void;
  /** One-line notices: connection changes, clock jumps, late topics, encoder warnings. */
  onNotice?: (line: string) => void;
  /** The plan, once made. */
  onPlan?: (plan: PipelinePlan) => void;
  /** Wall clock (ns); default the system clock. */
  clock?: () => Nanos;
};

/** One fused scene of a live session: the pipeline's tick plus what the live glue knows. */
export type LiveTick = SceneTick & {
  /** Pipeline instance: 0, then +1 each time the source clock jumped back and the pipeline restarted. */
  epoch: number;
  connection: LiveConnectionState;
  /** Wall clock when the scene was ready (ns). */
  readyAt: Nanos;
  /** Per included sensor: arrival of the frame's message → scene ready (ms). */
  arrivalToSceneMs: Record<string, number>;
  /** The bridge's own counters at this tick (also added into `scene.health.sensors[].dropped / malformed`). */
  bridge: BridgeCounters;
  /** Source clock − arrival clock of the latest message (ns): the estimated clock offset, transport delay included. */
  clockOffsetNs: Nanos;
};

export type LiveSessionStats = {
  connection: LiveConnectionState;
  connectionLine: string;
  epochs: number;
  ticks: number;
  /** Ticks the pipeline dropped to the newest while the encoders were busy (all epochs). */
  droppedTicks: number;
  /** Frames decoded per sensor (all epochs). */
  decodedBySensor: Map<string, number>;
  decodeErrors: number;
  /** Warm-up messages dropped over `maxWarmupBytes`. */
  warmupDropped: number;
  clockOffsetNs: Nanos | undefined;
  clockJumps: number;
  heartbeats: number;
};

export type LiveSession = {
  /** One scene per fusion tick. Subscribing starts the input; unsubscribing stops it and frees the encoders. */
  ticks: Observable<LiveTick>;
  stats(): LiveSessionStats;
  plan(): PipelinePlan | undefined;
};

type TopicSeen = { first: SensorMessage; count: number; firstLog: Nanos; lastLog: Nanos };

type Epoch = { n: number; feed: Subject<SensorMessage>; run: ScenePipelineRun; sub: Subscription | undefined };

const ARRIVALS_KEPT = 8192;

/** Nominal rates per kind (Hz): what planPipeline assumes when a rate is unknown. */
const NOMINAL_HZ: Record<string, number> = { camera: 15, lidar: 10, radar: 20, audio: 12.5 };

/**
 * The rate measured in the warm-up, or null (planPipeline then takes the kind's nominal rate) when
 * fewer than 5 messages came or it is off the nominal rate by more than 2× (a sender that stalled
 * during the warm-up). 2 % under the measured value: a window is half a period wide, and a 15 Hz
 * camera on 10 Hz ticks has its nearest frame exactly half a period away on every other tick, so a
 * warm-up that measured the rate a hair fast would exclude it (replay measures over the whole file).
 */
function warmupRate(count: number, spanSec: number, role: string | null): number | null {
  if (count < 5 || !(spanSec > 0)) return null;
  const rate = (0.98 * (count - 1)) / spanSec;
  const nominal = role === null ? undefined : NOMINAL_HZ[role];
  if (nominal !== undefined && (rate < nominal / 2 || rate > nominal * 2)) return null;
  return rate;
}

/** The inspection `planPipeline` wants, from the topics a live input delivered during the warm-up. */
export function inspectionFromTopics(name: string, topics: ReadonlyMap<string, TopicSeen>, mapping: TopicMapping): RecordingInspection {
  const list: TopicInspection[] = [];
  let start: Nanos | undefined;
  let end: Nanos | undefined;
  let total = 0;
  for (const [topic, t] of topics) {
    const cls = classifyTopic(t.first, VENDOR_CLASSIFY);
    const resolved = resolveSensor(topic, cls, mapping);
    const spanSec = Number(t.lastLog - t.firstLog) / 1e9;
    const entry: TopicInspection = {
      channelId: t.first.channelId,
      topic,
      schemaName: t.first.schemaName,
      schemaEncoding: t.first.schemaEncoding,
      messageEncoding: t.first.messageEncoding,
      messageCount: t.count,
      rateHz: warmupRate(t.count, spanSec, resolved.role),
      sensor: resolved.role,
      sensorId: resolved.sensorId,
      supported: resolved.supported && !resolved.ignored,
    };
    if (resolved.ignored) entry.reason = "ignored by the topic mapping";
    else if (resolved.reason !== undefined) entry.reason = resolved.reason;
    list.push(entry);
    total += t.count;
    if (t.count === 0) continue;
    if (start === undefined || t.firstLog < start) start = t.firstLog;
    if (end === undefined || t.lastLog > end) end = t.lastLog;
  }
  return {
    file: name,
    profile: "",
    library: "",
    countsFrom: "scan",
    indexed: false,
    messageCount: total,
    startTime: start ?? 0n,
    endTime: end ?? 0n,
    durationSec: start === undefined ? 0 : Number(end! - start) / 1e9,
    topics: list,
    attachmentCount: 0,
    metadataCount: 0,
    chunkCount: 0,
    compression: [],
  };
}

const isSensorKind = (role: string | null): boolean => role !== null && (SENSOR_KINDS as readonly string[]).includes(role);

/**
 * The whole pipeline on a live input: warm-up (topics and rates → plan) → decode → sync →
 * encoders → fusion → scene, with drop-to-latest pacing (`createScenePipelineFromFeed`, mode
 * `latest`).
 *
 * Clock: the aligner runs on its `recording` clock (the largest `logTime` seen), and every
 * message's `logTime` is on the source clock (the server's timestamp over WebSocket, the arrival
 * time for UDP), exactly like a recording's log time on replay, so ticks fall on the same grid as
 * `replay`. Between messages a heartbeat every `heartbeatMs` carries the source clock extrapolated
 * from the latest message (its source time + wall time since it arrived: the clock offset is
 * estimated from that message, transport delay included), so ticks keep coming at the tick rate
 * while a source is silent or the connection is down: the scene reports those sensors STALE, then
 * MISSING. A message more than `clockJumpMs` behind the pipeline's clock means the source clock
 * went back (a replayed recording restarted): the pipeline is started again (a new `epoch`), as
 * aligner and tracker state on the old clock mean nothing on the new one.
 */
export function startLive(options: LiveSessionOptions): LiveSession {
  const input = options.input;
  const clock = options.clock ?? wallClockNs;
  const warmupMs = options.warmupMs ?? 1000;
  const maxWarmupBytes = options.maxWarmupBytes ?? 64 << 20;
  const heartbeatMs = options.heartbeatMs ?? 20;
  const mapping: TopicMapping = { ...options.config?.topics, ...input.mapping };
  const clockJump = BigInt(Math.round((options.clockJumpMs ?? 2000) * 1e6));
  /** The latest message: its source time and arrival (the heartbeat extrapolates from it). */
  let anchor: { source: Nanos; arrival: Nanos } | undefined;
  /** Largest logTime fed to the current pipeline (messages and heartbeats): the aligner's clock. */
  let fedMax: Nanos | undefined;
  const stats: LiveSessionStats = {
    connection: "connecting",
    connectionLine: "",
    epochs: 0,
    ticks: 0,
    droppedTicks: 0,
    decodedBySensor: new Map(),
    decodeErrors: 0,
    warmupDropped: 0,
    clockOffsetNs: undefined,
    clockJumps: 0,
    heartbeats: 0,
  };
  let plan: PipelinePlan | undefined;
  let current: Epoch | undefined;
  /** Counters of finished epochs, added to the current one's. */
  const pastDecoded = new Map<string, number>();
  let pastDecodeErrors = 0;
  let pastDropped = 0;

  const liveStats = (): LiveSessionStats => {
    const decoded = new Map(pastDecoded);
    let errors = pastDecodeErrors;
    if (current) {
      for (const t of current.run.decodeStats.byTopic.values()) {
        if (t.topic === HEARTBEAT_TOPIC || !t.sensorId) continue;
        if (isSensorKind(t.role)) decoded.set(t.sensorId, (decoded.get(t.sensorId) ?? 0) + t.decoded);
        errors += t.errors;
      }
    }
    return {
      ...stats,
      decodedBySensor: decoded,
      decodeErrors: errors,
      droppedTicks: pastDropped + (current?.run.droppedTicks() ?? 0),
      clockOffsetNs: anchor === undefined ? undefined : anchor.source - anchor.arrival,
    };
  };

  const ticks = new Observable<LiveTick>((subscriber) => {
    const topics = new Map<string, TopicSeen>();
    // Topics the input knows before any message (UDP sensors): planned even if silent in the warm-up.
    for (const d of input.declared ?? []) topics.set(d.topic, { first: d, count: 0, firstLog: 0n, lastLog: 0n });
    const warm: { message: SensorMessage; arrival: Nanos }[] = [];
    let warmBytes = 0;
    let warmTimer: ReturnType<typeof setTimeout> | undefined;
    const arrivals = new Map<string, Nanos>();
    const lateTopics = new Set<string>();
    /** Topic → sensor id of the planned topics. */
    const topicSensor = new Map<string, string>();
    let heartbeatSeq = 0;
    let closed = false;
    const warned = new Set<string>();
    const notice = (line: string): void => options.onNotice?.(line);

    const decorate = (tick: SceneTick, epoch: number): LiveTick => {
      const readyAt = clock();
      const arrivalToSceneMs: Record<string, number> = {};
      for (const s of tick.synced.sensors) {
        if (s.status !== "included" || !s.frame) continue;
        const a = arrivals.get(`${s.frame.topic}\u0000${s.frame.receivedAt}`);
        if (a !== undefined) arrivalToSceneMs[s.sensorId] = Number(readyAt - a) / 1e6;
      }
      const bridge = input.counters();
      // The bridge's drops and malformed packets belong to the sensors' health counters too.
      const extra = new Map<string, { dropped: number; malformed: number }>();
      for (const [topic, c] of bridge.byTopic) {
        const id = topicSensor.get(topic);
        if (id === undefined) continue;
        const e = extra.get(id) ?? { dropped: 0, malformed: 0 };
        e.dropped += c.dropped;
        e.malformed += c.malformed;
        extra.set(id, e);
      }
      for (const h of tick.scene.health.sensors) {
        const e = extra.get(h.sensorId);
        if (!e) continue;
        h.dropped += e.dropped;
        h.malformed += e.malformed;
      }
      stats.ticks++;
      return {
        ...tick,
        epoch,
        connection: stats.connection,
        readyAt,
        arrivalToSceneMs,
        bridge,
        clockOffsetNs: anchor === undefined ? 0n : anchor.source - anchor.arrival,
      };
    };

    const feed = (message: SensorMessage): void => {
      if (!current) return;
      if (fedMax === undefined || message.logTime > fedMax) fedMax = message.logTime;
      current.feed.next(message);
    };

    const startEpoch = (): void => {
      const p = plan!;
      const feed = new Subject<SensorMessage>();
      const run = createScenePipelineFromFeed({ mode: "latest", messages: () => feed, readDiagnostics: createDiagnostics(input.name) }, p, {
        decode: { mapping },
        models: options.models,
        ...(options.fusionHead ? { fusionHead: options.fusionHead } : {}),
        ...(options.tracker ? { tracker: options.tracker } : {}),
        ...(options.scene ? { scene: options.scene } : {}),
        onWarning: (line) => {
          if (warned.has(line)) return;
          warned.add(line);
          notice(`warning: ${line}`);
        },
      });
      const epoch: Epoch = { n: stats.epochs++, feed, run, sub: undefined };
      current = epoch;
      epoch.sub = run.ticks.subscribe({
        next: (t) => {
          if (!closed) subscriber.next(decorate(t, epoch.n));
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          void run.dispose().catch(() => undefined);
        },
      });
    };

    /** The source clock went back: finish this pipeline (counters kept) and start a fresh one. */
    const restartEpoch = (): void => {
      const old = current;
      if (!old) return;
      for (const t of old.run.decodeStats.byTopic.values()) {
        if (t.topic === HEARTBEAT_TOPIC || !t.sensorId) continue;
        if (isSensorKind(t.role)) pastDecoded.set(t.sensorId, (pastDecoded.get(t.sensorId) ?? 0) + t.decoded);
        pastDecodeErrors += t.errors;
      }
      pastDropped += old.run.droppedTicks();
      current = undefined;
      fedMax = undefined;
      old.feed.complete();
      startEpoch();
    };

    const makePlan = (): void => {
      warmTimer = undefined;
      if (closed) return;
      const inspection = inspectionFromTopics(input.name, topics, mapping);
      try {
        plan = planPipeline(inspection, {
          ...(options.tickHz !== undefined ? { tickHz: options.tickHz } : {}),
          ...(options.config ? { config: options.config } : {}),
        });
        planAlignByDeadline(plan.sync);
      } catch (err) {
        subscriber.error(Object.assign(new Error(`live ${input.name}: ${(err as Error).message.split("\n")[0]}`), { badInput: true }));
        return;
      }
      if (plan.sensors.length === 0) {
        subscriber.error(
          Object.assign(
            new Error(
              `live ${input.name}: no camera, LiDAR, radar or audio topic that avfusion can decode among ${[...topics.keys()].join(", ") || "(none)"}`,
            ),
            {
              badInput: true,
            },
          ),
        );
        return;
      }
      for (const t of inspection.topics) if (t.supported && isSensorKind(t.sensor)) topicSensor.set(t.topic, t.sensorId);
      options.onPlan?.(plan);
      startEpoch();
      for (const w of warm.splice(0)) feed(w.message);
      warmBytes = 0;
    };

    const onMessage = (message: SensorMessage, arrival: Nanos): void => {
      options.onMessage?.(message, arrival);
      if (input.clock !== "wall" && current && fedMax !== undefined && message.logTime < fedMax - clockJump) {
        stats.clockJumps++;
        notice(
          `${input.name}: source clock went back ${(Number(fedMax - message.logTime) / 1e9).toFixed(1)} s (${message.topic}); pipeline restarted`,
        );
        restartEpoch();
      }
      anchor = { source: message.logTime, arrival };
      arrivals.set(`${message.topic}\u0000${message.logTime}`, arrival);
      if (arrivals.size > ARRIVALS_KEPT) arrivals.delete(arrivals.keys().next().value!);
      if (!plan) {
        const t = topics.get(message.topic);
        if (t && t.count === 0) {
          t.first = message;
          t.count = 1;
          t.firstLog = t.lastLog = message.logTime;
        } else if (t) {
          t.count++;
          if (message.logTime < t.firstLog) t.firstLog = message.logTime;
          if (message.logTime > t.lastLog) t.lastLog = message.logTime;
        } else topics.set(message.topic, { first: message, count: 1, firstLog: message.logTime, lastLog: message.logTime });
        warm.push({ message, arrival });
        warmBytes += message.data.byteLength;
        while (warmBytes > maxWarmupBytes && warm.length > 1) {
          warmBytes -= warm.shift()!.message.data.byteLength;
          stats.warmupDropped++;
        }
        warmTimer ??= setTimeout(makePlan, warmupMs);
        return;
      }
      if (!topicSensor.has(message.topic) && !lateTopics.has(message.topic)) {
        lateTopics.add(message.topic);
        const cls = classifyTopic(message, VENDOR_CLASSIFY);
        const r = resolveSensor(message.topic, cls, mapping);
        if (isSensorKind(r.role) && r.supported && !r.ignored && !plan.sensors.some((s) => s.sensorId === r.sensorId)) {
          notice(`${input.name}: ${message.topic} (${r.role} ${r.sensorId}) appeared after start-up and is not in the plan; ignored`);
        }
      }
      feed(message);
    };

    // Between messages the source clock is extrapolated from the latest one at real-time rate.
    const heartbeat = setInterval(() => {
      if (!current || anchor === undefined) return;
      stats.heartbeats++;
      feed(heartbeatMessage(anchor.source + (clock() - anchor.arrival), heartbeatSeq++));
    }, heartbeatMs);

    const inputSub = input.events.subscribe({
      next: (e) => {
        if (e.type === "message") onMessage(e.message, e.arrival);
        else if (e.type === "status") {
          stats.connection = e.state;
          stats.connectionLine = e.line;
          notice(e.line);
        } else notice(e.line);
      },
      error: (err: unknown) => subscriber.error(err),
      complete: () => current?.feed.complete(),
    });

    return () => {
      closed = true;
      clearInterval(heartbeat);
      if (warmTimer) clearTimeout(warmTimer);
      inputSub.unsubscribe();
      const c = current;
      if (c) {
        c.sub?.unsubscribe();
        void c.run.dispose().catch(() => undefined);
      }
    };
  });

  return { ticks, stats: liveStats, plan: () => plan };
}
