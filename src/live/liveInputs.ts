import { Observable, type Subscription } from "rxjs";
import {
  createBridgeStats,
  foxgloveWebSocketSource,
  type BridgeStats,
  type ConnectionStatus,
  type FoxgloveWsSourceOptions,
} from "../sources/bridge/foxgloveWebSocketSource";
import {
  createUdpStats,
  udpDatagrams,
  udpSource,
  type UdpSensorSpec,
  type UdpSourceOptions,
  type UdpSourceStats,
} from "../sources/bridge/udpSource";
import { wallClockNs } from "../sources/bridge/clock";
import { createVendorDatagramDecoder, type VendorDatagramOptions } from "../decode/vendor/rawPacketDecoders";
import type { TopicMapping } from "../config/topicMapping";
import type { FrameTransform, Nanos, PointCloudFrame, SensorMessage } from "../types";
import { packetMessage, pointCloudMessage, transformsMessage } from "./frameMessages";

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
  /**
   * `wall`: message log times are arrival times (UDP), they never jump back. `source` (default):
   * they are the source's clock, which may jump (a replayed recording restarts).
   */
  clock?: "wall" | "source";
  /** Topics known before any message arrives (UDP sensors): planned even when silent during the warm-up. */
  declared?: SensorMessage[];
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
export function wsInput(
  options: Omit<FoxgloveWsSourceOptions, "stats" | "buffer"> & { perTopic?: number; stats?: BridgeStats },
): LiveInput {
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
            if (state === "connected" && !subscriber.closed)
              subscriber.next({
                type: "notice",
                line: `${options.url}: channel ${topic} unadvertised; its sensor goes stale, then missing`,
              });
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

export type UdpInputOptions = Omit<UdpSourceOptions<VendorDatagramOptions>, "stats" | "clock" | "createDecoder"> & {
  stats?: UdpSourceStats;
  /** Mountings by sensor id, sent as a `/tf` message (base_link ← sensor frame) before the sensor's first frame. */
  mountings?: ReadonlyMap<string, Mounting>;
  /** Frame of the mountings; default `base_link`. */
  baseFrame?: string;
};

/**
 * UDP sensor drivers as a live input, through the same sockets, per-sensor rate limits and
 * bounded queues as `udpSource`. Velodyne: the driver assembles rotations (`udpSource`), each
 * becomes a lossless `foxglove.PointCloud` message. ARS548: each datagram becomes one
 * `nebula_msgs/msg/NebulaPackets` message holding that packet, decoded by the pipeline's decode
 * stage with the same vendor decoder as a packet recording on replay (malformed packets count as
 * the sensor's decode errors). Stamps are arrival times (an ARS548 list at its datagram's
 * arrival, a Velodyne rotation at its first packet's): the units' own clocks (Velodyne time past
 * the hour without PPS, an ARS548 without PTP, a replayed recording) are not wall-clock times,
 * and two sensors need not share one. Topics are `udp:<driver>:<port>`, sensor ids
 * `<driver>_<port>` unless given.
 */
export function udpInput(options: UdpInputOptions): LiveInput {
  const stats = options.stats ?? createUdpStats();
  const sensors: UdpSensorSpec<VendorDatagramOptions>[] = options.sensors.map((s) => ({
    ...s,
    sensorId: s.sensorId ?? `${s.driver}_${s.port}`,
    decoder: { ...s.decoder, frameId: s.decoder?.frameId ?? s.sensorId ?? `${s.driver}_${s.port}` },
  }));
  const topicOf = new Map(sensors.map((s) => [s.sensorId!, s.topic ?? `udp:${s.driver}:${s.port}`]));
  const roleOf = new Map(sensors.map((s) => [s.sensorId!, s.driver === "ars548" ? ("radar" as const) : ("lidar" as const)]));
  const channelOf = new Map(sensors.map((s, i) => [s.sensorId!, i]));
  const lidar = sensors.filter((s) => s.driver === "velodyne");
  const radar = sensors.filter((s) => s.driver !== "velodyne");
  const events = new Observable<LiveInputEvent>((subscriber) => {
    const sequences = new Map<string, number>();
    const mounted = new Set<string>();
    const emit = (sensorId: string, frameId: string, arrival: Nanos, make: (sequence: number) => SensorMessage): void => {
      const sequence = sequences.get(sensorId) ?? 0;
      sequences.set(sensorId, sequence + 1);
      const mount = options.mountings?.get(sensorId);
      if (mount && !mounted.has(sensorId)) {
        mounted.add(sensorId);
        const tf: FrameTransform = {
          kind: "transform",
          topic: "/tf",
          stamp: arrival,
          parentFrameId: options.baseFrame ?? "base_link",
          childFrameId: frameId,
          translation: { x: mount.x, y: mount.y, z: mount.z },
          rotation: { x: 0, y: 0, z: Math.sin(mount.yawRad / 2), w: Math.cos(mount.yawRad / 2) },
        };
        subscriber.next({ type: "message", message: transformsMessage([tf], { logTime: arrival }), arrival });
      }
      subscriber.next({ type: "message", message: make(sequence), arrival });
    };
    const fail = (err: unknown): void => subscriber.error(err);
    const subs: Subscription[] = [];
    if (lidar.length > 0) {
      subs.push(
        udpSource({ ...options, sensors: lidar, stats, clock: wallClockNs, createDecoder: createVendorDatagramDecoder }).subscribe({
          next: (f) =>
            emit(f.sensorId, f.frameId, f.stamp, (sequence) =>
              pointCloudMessage(f as PointCloudFrame, { logTime: f.stamp, sequence, channelId: channelOf.get(f.sensorId)! }),
            ),
          error: fail,
        }),
      );
    }
    if (radar.length > 0) {
      subs.push(
        udpDatagrams({ ...options, sensors: radar, stats, clock: wallClockNs }).subscribe({
          next: (d) =>
            emit(d.sensorId, d.sensorId, d.receivedAt, (sequence) =>
              packetMessage(d.topic, d.data, { frameId: d.sensorId, stamp: d.receivedAt, sequence, channelId: channelOf.get(d.sensorId)! }),
            ),
          error: fail,
        }),
      );
    }
    if (!subscriber.closed)
      subscriber.next({
        type: "status",
        state: "listening",
        line: `listening for ${sensors.map((s) => s.sensorId).join(", ")}`,
        at: wallClockNs(),
      });
    return () => {
      for (const sub of subs) sub.unsubscribe();
    };
  });
  return {
    name: `udp ${sensors.map((s) => s.sensorId).join(", ")}`,
    events,
    clock: "wall",
    declared: sensors.map((s) =>
      s.driver === "velodyne"
        ? {
            ...pointCloudMessage(
              {
                kind: "lidar",
                sensorId: s.sensorId!,
                topic: topicOf.get(s.sensorId!)!,
                frameId: s.sensorId!,
                stamp: 0n,
                receivedAt: 0n,
                count: 0,
                points: new Float32Array(0),
              },
              { logTime: 0n },
            ),
            channelId: channelOf.get(s.sensorId!)!,
          }
        : packetMessage(topicOf.get(s.sensorId!)!, new Uint8Array(0), {
            frameId: s.sensorId!,
            stamp: 0n,
            channelId: channelOf.get(s.sensorId!)!,
          }),
    ),
    mapping: Object.fromEntries([...topicOf].map(([sensorId, topic]) => [topic, { sensorId, role: roleOf.get(sensorId)! }])),
    counters: () => {
      const byTopic = new Map<string, BridgeTopicCounters>();
      let received = 0;
      let dropped = 0;
      let malformed = 0;
      for (const s of stats.sensors.values()) {
        const topic = topicOf.get(s.sensorId) ?? `udp:${s.driver}:${s.port}`;
        const d = s.droppedRate + s.droppedQueue;
        // Velodyne packets are checked by the driver; ARS548 packets by the decode stage (decode errors).
        byTopic.set(topic, { received: s.datagrams, dropped: d, malformed: s.malformed });
        received += s.datagrams;
        dropped += d;
        malformed += s.malformed;
      }
      return { received, dropped, malformed, reconnects: 0, byTopic };
    },
  };
}
