import { SCENE_TOPIC, SCENE_UPDATE_TOPIC } from "../sinks/sceneOutputs";
import { toSceneProto } from "../sinks/sceneProto";
import { toSceneUpdate } from "../sinks/mcap/sceneUpdate";
import { protobufRecord, type FoxgloveWsServer, type PublishRecord } from "../sinks/foxglove/FoxgloveWsServer";
import { ParameterStore, type ParameterValue } from "../sinks/foxglove/ParameterStore";
import type { PipelinePlan } from "../pipeline/types";
import type { SensorHealthStatus, SensorKind } from "../types";
import type { LiveTick } from "./liveSession";

export { SCENE_TOPIC, SCENE_UPDATE_TOPIC };
/** JSON health of the live pipeline: the scene's sensor health plus the bridge's counters and connection. */
export const HEALTH_TOPIC = "/avfusion/health";

export type LiveHealthSensor = {
  sensorId: string;
  kind: SensorKind;
  status: SensorHealthStatus;
  reason: string;
  ageMs: number | null;
  rateHz: number | null;
  /** As in the scene: aligner drops plus the bridge's drops for this sensor's topics. */
  dropped: number;
  /** As in the scene: decode errors plus the bridge's malformed packets for this sensor's topics. */
  malformed: number;
  /** Arrival of the frame used this tick → scene ready (ms); null when none was used. */
  arrivalToSceneMs: number | null;
  /** Clock offset subtracted from the sensor's stamps (ms; stamp clock − receive clock), configured + estimated. */
  clockOffsetMs: number;
};

/** One `/avfusion/health` message (JSON). */
export type LiveHealth = {
  /** Tick stamp (ns, decimal string). */
  stamp: string;
  tick: number;
  epoch: number;
  connection: string;
  degradation: string;
  recommendedFallback: string;
  /** Ticks dropped to the newest while the encoders were busy, so far. */
  droppedTicks: number;
  bridge: { received: number; dropped: number; malformed: number; reconnects: number };
  /** Source clock − arrival clock (ms). */
  clockOffsetMs: number;
  sensors: LiveHealthSensor[];
};

export function liveHealth(tick: LiveTick, droppedTicks: number): LiveHealth {
  const h = tick.scene.health;
  return {
    stamp: tick.scene.stamp.toString(),
    tick: tick.scene.tick,
    epoch: tick.epoch,
    connection: tick.connection,
    degradation: h.degradation,
    recommendedFallback: h.recommendedFallback,
    droppedTicks,
    bridge: {
      received: tick.bridge.received,
      dropped: tick.bridge.dropped,
      malformed: tick.bridge.malformed,
      reconnects: tick.bridge.reconnects,
    },
    clockOffsetMs: Number(tick.clockOffsetNs) / 1e6,
    sensors: h.sensors.map((s) => ({
      sensorId: s.sensorId,
      kind: s.kind,
      status: s.status,
      reason: s.reason,
      ageMs: s.ageMs,
      rateHz: s.rateHz,
      dropped: s.dropped,
      malformed: s.malformed,
      arrivalToSceneMs: tick.arrivalToSceneMs[s.sensorId] ?? null,
      clockOffsetMs: s.clockOffsetMs ?? 0,
    })),
  };
}

const HEALTH_SCHEMA = new TextEncoder().encode(
  JSON.stringify({
    title: "avfusion live health",
    type: "object",
    properties: {
      stamp: { type: "string" },
      tick: { type: "integer" },
      epoch: { type: "integer" },
      connection: { type: "string" },
      degradation: { type: "string" },
      recommendedFallback: { type: "string" },
      droppedTicks: { type: "integer" },
      bridge: { type: "object" },
      clockOffsetMs: { type: "number" },
      sensors: { type: "array", items: { type: "object" } },
    },
  }),
);

export function healthRecord(health: LiveHealth, logTime: bigint): PublishRecord {
  return {
    topic: HEALTH_TOPIC,
    schemaName: "avfusion.LiveHealth",
    schemaEncoding: "jsonschema",
    schemaData: HEALTH_SCHEMA,
    messageEncoding: "json",
    data: new TextEncoder().encode(JSON.stringify(health)),
    logTime,
  };
}

/**
 * Publishes one live tick on a Foxglove WebSocket server: `/avfusion/scene` (avfusion.SceneState,
 * as replay's --out writes it), `/avfusion/scene_boxes` (foxglove.SceneUpdate) and `/avfusion/health`
 * (JSON), all stamped with the tick stamp; the server's clock (`time`) is the tick stamp.
 */
export function publishLiveTick(server: FoxgloveWsServer, tick: LiveTick, droppedTicks: number): void {
  const stamp = tick.scene.stamp;
  server.broadcastTime(stamp);
  server.publish(protobufRecord(SCENE_TOPIC, "avfusion.SceneState", toSceneProto(tick.scene), stamp));
  server.publish(protobufRecord(SCENE_UPDATE_TOPIC, "foxglove.SceneUpdate", toSceneUpdate(tick.scene), stamp));
  server.publish(healthRecord(liveHealth(tick, droppedTicks), stamp));
}

/** What `live` runs with, before the plan: the settings its parameters start from. */
export type LiveRunDescription = {
  /** `ws://…` or `udp velodyne:2368,…`. */
  input: string;
  clock: string;
  warmupS: number;
  queue: number;
  fusionHead: string;
  /** The config file's content (JSON values), {} without one. */
  config: object;
  configFile: string;
};

const ms = (ns: bigint): number => Number(ns) / 1e6;

/**
 * The parameters of `live --serve`, all read-only: the run's settings (`/live/input`, `/live/clock`,
 * `/live/warmup_s`, `/live/queue`, `/live/fusion_head`, `/live/config_file`, `/live/config`) and,
 * once planned after the warm-up, the plan (`/live/plan/tick_hz`, `/live/plan/deadline_ms`,
 * `/live/plan/sensors`, per sensor `/live/plan/<id>/kind`, `topics`, `window_ms`, `offset_ms`,
 * `clock_offset_ms`, `max_queue`, and `/live/plan/unused`). None is settable: the tick grid, the
 * deadline and the windows are fixed in the aligner when it is planned, and the inputs' clock and
 * queues when they open; changing one mid-run would move the grid under the scenes already sent.
 */
export function liveParameters(run: LiveRunDescription): { store: ParameterStore; onPlan: (plan: PipelinePlan) => void } {
  const store = new ParameterStore();
  const define = (name: string, value: ParameterValue, float = false): void =>
    store.define({ name, value, ...(float ? { type: "float64" as const } : {}) });
  define("/live/input", run.input);
  define("/live/clock", run.clock);
  define("/live/warmup_s", run.warmupS, true);
  define("/live/queue", run.queue);
  define("/live/fusion_head", run.fusionHead);
  define("/live/config_file", run.configFile);
  define("/live/config", JSON.parse(JSON.stringify(run.config)) as ParameterValue);
  define("/live/plan/state", "warming up");
  const onPlan = (plan: PipelinePlan): void => {
    if (store.has("/live/plan/tick_hz")) return;
    const a = plan.aligner;
    define("/live/plan/tick_hz", 1e9 / Number(a.period), true);
    define("/live/plan/deadline_ms", ms(a.deadline), true);
    define(
      "/live/plan/sensors",
      plan.sensors.map((s) => s.sensorId),
    );
    for (const s of plan.sensors) {
      const aligned = a.sensors.find((x) => x.id === s.sensorId);
      const at = `/live/plan/${s.sensorId}`;
      define(`${at}/kind`, s.kind);
      define(`${at}/topics`, s.topics);
      if (!aligned) continue;
      define(`${at}/window_ms`, ms(aligned.tolerance), true);
      define(`${at}/offset_ms`, ms(aligned.offset), true);
      define(`${at}/clock_offset_ms`, ms(aligned.clockOffset), true);
      define(`${at}/max_queue`, aligned.maxQueue);
    }
    define(
      "/live/plan/unused",
      plan.unused.map((u) => `${u.topic} (${u.reason})`),
    );
    store.update("/live/plan/state", "planned");
  };
  return { store, onPlan };
}
