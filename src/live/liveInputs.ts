import { Observable } from "rxjs";
import { createBridgeStats, foxgloveWebSocketSource, type BridgeStats, type ConnectionStatus, type FoxgloveWsSourceOptions } from "../sources/bridge/foxgloveWebSocketSource";
import { createUdpStats, udpDatagrams, type UdpSensorSpec, type UdpSourceOptions, type UdpSourceStats } from "../sources/bridge/udpSource";
import { wallClockNs } from "../sources/bridge/clock";
import type { TopicMapping } from "../decode/topicMapping";
import type { FrameTransform, Nanos, SensorMessage } from "../types";
import { packetMessage, transformsMessage } from "./frameMessages";

/** Connection state of a live input: WebSocket states, or `listening` for UDP. */
export type LiveConnectionState = "connecting" | "connected" | "disconnected" | "failed" | "listening";

/** What a live input emits, in arrival order. */
export type LiveInputEvent =
  /**
   * One message. `logTime` is on the source clock (the server's timestamp over WebSocket; the
   * restamped sensor clock for UDP), `arrival` the wall clock when it arrived (ns).
   */
  | { type: "message"; message: SensorMessage; arrival: Nanos }
  | { type: "status"; state: LiveConnectionState; line: string; at: Nanos }
  /** A notice worth one line on stderr (a channel went away, a sensor clock jumped). */
  | { type: "notice"; line: string };

/** Per-topic counters of the bridge itself (before the decode stage). */
export type BridgeTopicCounters = { received: number; dropped: number; malformed: number };

/** Counters of a live input since start. */
export type BridgeCounters = {
  /** Messages / frames received from the sockets. */
  received: number;
  /** Dropped by the bridge: slow consumer (WS latest buffer), UDP rate limit and queue. */
  dropped: number;
  /** Unparseable server frames / truncated or garbage datagrams (counted, skipped). */
  malformed: number;
  /** Connections after the first (WebSocket). */
  reconnects: number;
  byTopic: Map<string, BridgeTopicCounters>;
};

export type LiveInput = {
  /** e.g. `ws://127.0.0.1:8765` or `udp velodyne_2368, ars548_42102`. */
  name: string;
  events: Observable<LiveInputEvent>;
  counters(): BridgeCounters;
  /** Topic → sensor id overrides the decode stage needs for this input's topics. */
  mapping?: TopicMapping;
};

function statusLine(s: ConnectionStatus): string {
  switch (s.state) {
    case "connecting":
      return `connecting to ${s.url} (attempt ${s.attempt})`;
    case "connected":
      return `connected to ${s.url} (${s.serverName})${s.downtimeNs !== undefined ? ` after ${(Number(s.downtimeNs) / 1e9).toFixed(1)} s down` : ""}`;
    case "disconnected":
      return `${s.url}: ${s.reason}; retrying in ${s.retryInMs} ms`;
    case "failed":
      return `${s.url}: ${s.reason}`;
  }
}

/**
 * A Foxglove WebSocket server as a live input: drop-to-latest buffering in the client (at most
 * `perTopic` messages per topic wait), reconnect with backoff. Each message's `logTime` becomes
 * the server's timestamp (`publishTime`: the log time for `avfusion play`, the ROS receive time
 * for foxglove_bridge), i.e. the source clock, like a recording's log time on replay.
 */
export function wsInput(options: Omit<FoxgloveWsSourceOptions, "stats" | "buffer"> & { perTopic?: number; stats?: BridgeStats }): LiveInput {
  const stats = options.stats ?? createBridgeStats();
  const { perTopic, ...rest } = options;
  const events = new Observable<LiveInputEvent>((subscriber) => {
    let state: LiveConnectionState = "connecting";
    const sub = foxgloveWebSocketSource({ ...rest, stats, buffer: { mode: "latest", perTopic: perTopic ?? 4 } }).subscribe({
      next: (e) => {
        if (e.type === "message") {
          subscriber.next({ type: "message", message: { ...e.message, logTime: e.message.publishTime }, arrival: e.message.logTime });
        } else if (e.type === "status") {
          state = e.status.state;
          subscriber.next({ type: "status", state: e.status.state, line: statusLine(e.status), at: e.status.at });
        } else if (e.channel.change === "unadvertised" && e.channel.subscribed) {
          // A closing connection unadvertises every channel just before it reports the drop:
          // only a channel removed while the connection stays up is worth a line.
          const topic = e.channel.topic;
          setImmediate(() => {
            if (state === "connected" && !subscriber.closed) subscriber.next({ type: "notice", line: `${options.url}: channel ${topic} unadvertised; its sensor goes stale, then missing` });
          });
        }
      },
      error: (err: unknown) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
    return () => sub.unsubscribe();
  });
  return {
    name: options.url,
    events,
    counters: () => ({
      received: stats.received,
      dropped: stats.dropped,
      malformed: stats.malformed,
      reconnects: Math.max(0, stats.connects - 1),
      byTopic: new Map([...stats.byTopic].map(([t, s]) => [t, { received: s.received, dropped: s.dropped, malformed: 0 }])),
    }),
  };
}

/** A sensor mounting for a UDP sensor: position (m) and yaw (rad) in base_link. */
export type Mounting = { x: number; y: number; z: number; yawRad: number };

export type UdpInputOptions = Omit<UdpSourceOptions, "stats" | "clock"> & {
  stats?: UdpSourceStats;
  /** Mountings by sensor id, sent as a `/tf` message (base_link ← sensor frame) before the sensor's first frame. */
  mountings?: ReadonlyMap<string, Mounting>;
  /** Frame of the mountings; default `base_link`. */
  baseFrame?: string;
};

/**
 * UDP sensor drivers as a live input. Each datagram (after the per-sensor rate limit and the
 * bounded queue of `udpDatagrams`) becomes one `nebula_msgs/msg/NebulaPackets` message holding
 * that one packet, stamped with its arrival, so it is decoded by the pipeline's decode stage with
 * the same vendor decoders as a raw-packet recording on replay (Velodyne rotations assembled
 * across messages, ARS548 lists as they arrive; malformed packets count as decode errors of the
 * sensor). Stamps are arrival times: the units' own clocks (Velodyne time past the hour without
 * PPS, an ARS548 without PTP, a replayed recording) are not wall-clock times, and two sensors need
 * not share one. Topics are `udp:<driver>:<port>`, sensor ids `<driver>_<port>` unless given.
 */
export function udpInput(options: UdpInputOptions): LiveInput {
  const stats = options.stats ?? createUdpStats();
  const sensors: UdpSensorSpec[] = options.sensors.map((s) => ({ ...s, sensorId: s.sensorId ?? `${s.driver}_${s.port}` }));
  const topicOf = new Map(sensors.map((s) => [s.sensorId!, s.topic ?? `udp:${s.driver}:${s.port}`]));
  const roleOf = new Map(sensors.map((s) => [s.sensorId!, s.driver === "ars548" ? ("radar" as const) : ("lidar" as const)]));
  const events = new Observable<LiveInputEvent>((subscriber) => {
    const sequences = new Map<string, number>();
    const mounted = new Set<string>();
    const sub = udpDatagrams({ ...options, sensors, stats, clock: wallClockNs }).subscribe({
      next: (d) => {
        const sequence = sequences.get(d.sensorId) ?? 0;
        sequences.set(d.sensorId, sequence + 1);
        const frameId = d.sensorId;
        const mount = options.mountings?.get(d.sensorId);
        if (mount && !mounted.has(d.sensorId)) {
          mounted.add(d.sensorId);
          const tf: FrameTransform = {
            kind: "transform",
            topic: "/tf",
            stamp: d.receivedAt,
            parentFrameId: options.baseFrame ?? "base_link",
            childFrameId: frameId,
            translation: { x: mount.x, y: mount.y, z: mount.z },
            rotation: { x: 0, y: 0, z: Math.sin(mount.yawRad / 2), w: Math.cos(mount.yawRad / 2) },
          };
          subscriber.next({ type: "message", message: transformsMessage([tf], { logTime: d.receivedAt }), arrival: d.receivedAt });
        }
        const message = packetMessage(d.topic, d.data, { frameId, stamp: d.receivedAt, sequence, channelId: sensors.findIndex((s) => s.sensorId === d.sensorId) });
        subscriber.next({ type: "message", message, arrival: d.receivedAt });
      },
      error: (err: unknown) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
    if (!subscriber.closed) subscriber.next({ type: "status", state: "listening", line: `listening for ${sensors.map((s) => s.sensorId).join(", ")}`, at: wallClockNs() });
    return () => sub.unsubscribe();
  });
  return {
    name: `udp ${sensors.map((s) => s.sensorId).join(", ")}`,
    events,
    mapping: Object.fromEntries([...topicOf].map(([sensorId, topic]) => [topic, { sensorId, role: roleOf.get(sensorId)! }])),
    counters: () => {
      const byTopic = new Map<string, BridgeTopicCounters>();
      let received = 0;
      let dropped = 0;
      for (const s of stats.sensors.values()) {
        const topic = topicOf.get(s.sensorId) ?? `udp:${s.driver}:${s.port}`;
        const d = s.droppedRate + s.droppedQueue;
        byTopic.set(topic, { received: s.datagrams, dropped: d, malformed: 0 });
        received += s.datagrams;
        dropped += d;
      }
      // Malformed packets are found by the decode stage (decode errors of the sensor).
      return { received, dropped, malformed: 0, reconnects: 0, byTopic };
    },
  };
}
