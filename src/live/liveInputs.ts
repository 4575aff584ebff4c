import { Observable } from "rxjs";
import {
  createBridgeStats,
  foxgloveWebSocketSource,
  type BridgeStats,
  type ChannelChange,
  type ConnectionStatus,
  type FoxgloveWsSourceOptions,
} from "../sources/bridge/foxgloveWebSocketSource";
import { classifyTopic, type TopicMapping } from "../config/topicMapping";
import { VENDOR_CLASSIFY } from "../decode/vendorDecoders";
import type { CatalogueTopic } from "../pipeline";
import type { DecodedMessage, Nanos, SensorMessage } from "../types";

/** Connection state of a live input: WebSocket states, or `listening` for UDP. */
export type LiveConnectionState = "connecting" | "connected" | "disconnected" | "failed" | "listening";

/** What a live input emits, in arrival order. */
export type LiveInputEvent =
  /**
   * One raw message, for the pipeline's decode stage. `logTime` is on the source clock (the
   * server's timestamp over WebSocket), `arrival` the wall clock when it arrived (ns).
   */
  | { type: "message"; message: SensorMessage; arrival: Nanos }
  /**
   * One frame or calibration entry the input decoded itself (UDP drivers, mountings), for the
   * pipeline's typed frame entry. Its source-clock time is `sourceTimeOf(frame)` (a frame's
   * `receivedAt`); `arrival` is the wall clock when it was complete (ns).
   */
  | { type: "frame"; frame: DecodedMessage; topic: string; arrival: Nanos }
  | { type: "status"; state: LiveConnectionState; line: string; at: Nanos }
  /** A notice worth one line on stderr (a channel went away, a sensor clock jumped). */
  | { type: "notice"; line: string };

/** The events that carry data: raw messages and decoded frames. */
export type LiveDataEvent = Extract<LiveInputEvent, { type: "message" | "frame" }>;

/** Source-clock time of a decoded entry: a frame's `receivedAt`, a calibration or ground-truth entry's `stamp`. */
export function sourceTimeOf(frame: DecodedMessage): Nanos {
  return "receivedAt" in frame ? frame.receivedAt : frame.stamp;
}

/** Source-clock time of a data event: a message's `logTime`, a frame's `receivedAt`. */
export function sourceTimeOfEvent(e: LiveDataEvent): Nanos {
  return e.type === "message" ? e.message.logTime : sourceTimeOf(e.frame);
}

/** Topic of a data event. */
export function topicOfEvent(e: LiveDataEvent): string {
  return e.type === "message" ? e.message.topic : e.topic;
}

/** Per-topic counters of the bridge itself (before the decode stage). */
export type BridgeTopicCounters = { received: number; dropped: number; malformed: number };

/** Counters of a live input since start. */
export type BridgeCounters = {
  /** Messages / datagrams received from the sockets. */
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
  /** Topic → sensor id overrides the decode stage needs for this input's raw messages. */
  mapping?: TopicMapping;
  /**
   * `wall`: source times are arrival times (UDP), they never jump back. `source` (default): they
   * are the source's clock, which may jump (a replayed recording restarts).
   */
  clock?: "wall" | "source";
  /** Topics known before anything arrives (UDP sensors): planned even when silent during the warm-up. */
  declared?: readonly CatalogueTopic[];
  /** Topics the source offers that the input does not take, with why (the plan's start-up line names them). */
  unused?: () => { topic: string; reason: string }[];
};

/** Why a channel the client does not subscribe to is left out: the mapping, or what `classifyTopic` says of it. */
function notSubscribedReason(c: ChannelChange, mapping: TopicMapping | undefined): string {
  const o = mapping?.[c.topic];
  if (o === "ignore" || (typeof o === "object" && o.ignore === true)) return "ignored by the topic mapping";
  return classifyTopic(c, VENDOR_CLASSIFY).reason ?? "not subscribed";
}

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
  const notUsed = new Map<string, string>();
  const events = new Observable<LiveInputEvent>((subscriber) => {
    let state: LiveConnectionState = "connecting";
    const sub = foxgloveWebSocketSource({ ...rest, stats, buffer: { mode: "latest", perTopic: perTopic ?? 4 } }).subscribe({
      next: (e) => {
        if (e.type === "message") {
          subscriber.next({ type: "message", message: { ...e.message, logTime: e.message.publishTime }, arrival: e.message.logTime });
        } else if (e.type === "status") {
          state = e.status.state;
          subscriber.next({ type: "status", state: e.status.state, line: statusLine(e.status), at: e.status.at });
        } else if (e.channel.change !== "unadvertised") {
          if (e.channel.subscribed) notUsed.delete(e.channel.topic);
          else notUsed.set(e.channel.topic, notSubscribedReason(e.channel, options.mapping));
        } else if (e.channel.subscribed) {
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
    unused: () => [...notUsed].map(([topic, reason]) => ({ topic, reason })),
    counters: () => ({
      received: stats.received,
      dropped: stats.dropped,
      malformed: stats.malformed,
      reconnects: Math.max(0, stats.connects - 1),
      byTopic: new Map([...stats.byTopic].map(([t, s]) => [t, { received: s.received, dropped: s.dropped, malformed: 0 }])),
    }),
  };
}
