import type { SceneTick } from "../pipeline";
import type { Nanos, SensorHealthReport } from "../types";
import type { BridgeCounters, LiveConnectionState } from "./liveInputs";

/** Arrivals remembered for the latency figures (the oldest are forgotten beyond it). */
const ARRIVALS_KEPT = 8192;

/** What the live glue adds to a pipeline tick (`LiveTick` = `SceneTick` & these). */
export type LiveTickExtras = {
  /** Pipeline instance: 0, then +1 each time the source clock jumped back and the pipeline restarted. */
  epoch: number;
  connection: LiveConnectionState;
  /** Wall clock when the scene was ready (ns). */
  readyAt: Nanos;
  /** Per included sensor: arrival of its frame (its message, or the decoded frame itself) → scene ready (ms). */
  arrivalToSceneMs: Record<string, number>;
  /** The bridge's own counters at this tick (also added into `scene.health.sensors[].dropped / malformed`). */
  bridge: BridgeCounters;
  /** Source clock − arrival clock of the latest data (ns): the estimated clock offset, transport delay included. */
  clockOffsetNs: Nanos;
};

/**
 * Adds the bridge's own counters into the scene's sensor health, per sensor (by its topics): its
 * drops (WebSocket latest buffer, UDP rate limit and queue) to `dropped`, its malformed datagrams to
 * `malformed`. Mutates `sensors`.
 */
export function addBridgeCounters(sensors: SensorHealthReport[], bridge: BridgeCounters, topicSensor: ReadonlyMap<string, string>): void {
  const extra = new Map<string, { dropped: number; malformed: number }>();
  for (const [topic, c] of bridge.byTopic) {
    const id = topicSensor.get(topic);
    if (id === undefined) continue;
    const e = extra.get(id) ?? { dropped: 0, malformed: 0 };
    e.dropped += c.dropped;
    e.malformed += c.malformed;
    extra.set(id, e);
  }
  for (const h of sensors) {
    const e = extra.get(h.sensorId);
    if (!e) continue;
    h.dropped += e.dropped;
    h.malformed += e.malformed;
  }
}

/**
 * The tick decorator: remembers when each piece of data arrived (keyed by topic and source time,
 * which a decoded frame keeps as its `receivedAt`), and turns a pipeline tick into a live tick:
 * arrival → scene latency per included sensor, the bridge counters and each sensor's clock offset
 * (also into health), the connection, the clock offset.
 */
export function createTickDecorator(deps: {
  clock: () => Nanos;
  counters: () => BridgeCounters;
  topicSensor: () => ReadonlyMap<string, string>;
  /** The clock offset subtracted from a sensor's stamps (ms), once known. */
  sensorClockOffsetMs?: (sensorId: string) => number | undefined;
}) {
  const arrivals = new Map<string, Nanos>();
  const key = (topic: string, source: Nanos): string => `${topic}\u0000${source}`;
  return {
    /** Data on `topic` at source time `source` arrived at `arrival` (wall clock). */
    noteArrival(topic: string, source: Nanos, arrival: Nanos): void {
      arrivals.set(key(topic, source), arrival);
      if (arrivals.size > ARRIVALS_KEPT) arrivals.delete(arrivals.keys().next().value!);
    },
    decorate(tick: SceneTick, extras: Pick<LiveTickExtras, "epoch" | "connection" | "clockOffsetNs">): SceneTick & LiveTickExtras {
      const readyAt = deps.clock();
      const arrivalToSceneMs: Record<string, number> = {};
      for (const s of tick.synced.sensors) {
        if (s.status !== "included" || !s.frame) continue;
        const a = arrivals.get(key(s.frame.topic, s.frame.receivedAt));
        if (a !== undefined) arrivalToSceneMs[s.sensorId] = Number(readyAt - a) / 1e6;
      }
      const bridge = deps.counters();
      addBridgeCounters(tick.scene.health.sensors, bridge, deps.topicSensor());
      for (const h of tick.scene.health.sensors) {
        const offset = deps.sensorClockOffsetMs?.(h.sensorId);
        if (offset !== undefined) h.clockOffsetMs = offset;
      }
      return { ...tick, ...extras, readyAt, arrivalToSceneMs, bridge };
    },
  };
}
