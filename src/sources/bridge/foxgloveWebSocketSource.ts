import { FoxgloveClient, type Channel, type MessageData } from "@foxglove/ws-protocol";
import { asyncScheduler, filter, map, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from "rxjs";
import { WebSocket } from "ws";
import { classifyTopic, type TopicMapping } from "../../config/topicMapping";
import { PACKET_SCHEMAS, type Nanos, type SensorMessage } from "../../types";
import { deferOn, wallClockNs, type Deferred } from "./clock";

/**
 * Connection state of a live source, so the pipeline can mark the sensors behind it MISSING while
 * it is down. `at` is the wall clock (ns).
 */
export type ConnectionStatus =
  | { state: "connecting"; url: string; attempt: number; at: Nanos }
  | {
      state: "connected";
      url: string;
      serverName: string;
      at: Nanos;
      /** How long the previous connection was down (ns); absent on the first connection. */
      downtimeNs?: Nanos;
    }
  | { state: "disconnected"; url: string; at: Nanos; reason: string; retryInMs: number }
  | { state: "failed"; url: string; at: Nanos; reason: string };

/** A channel came or went (topic stops without error when unadvertised). */
export type ChannelChange = {
  change: "advertised" | "readvertised" | "unadvertised";
  topic: string;
  channelId: number;
  schemaName: string;
  /** Whether we subscribe to it. */
  subscribed: boolean;
  at: Nanos;
};

/** What `foxgloveWebSocketSource` emits: messages, tagged, interleaved with status and channel events. */
export type BridgeEvent =
  { type: "message"; message: SensorMessage } | { type: "status"; status: ConnectionStatus } | { type: "channel"; channel: ChannelChange };

export type BridgeBuffer =
  /** Emit each message as it arrives (a slow synchronous consumer slows the socket, TCP pushes back). */
  | { mode: "lossless" }
  /**
   * Queue at most `perTopic` messages per topic (default 4) between the socket and the consumer;
   * the queue is drained on the scheduler, and when a topic's queue is full its oldest message is
   * dropped and counted.
   */
  | { mode: "latest"; perTopic?: number };

export type FoxgloveWsSourceOptions = {
  /** `ws://host:port`. */
  url: string;
  /** Subscribe to these topics only (exact names). Default: every topic `classifyTopic` supports. */
  topics?: readonly string[];
  /** Subscribe to every advertised topic, supported or not (ignored when `topics` is given). */
  allTopics?: boolean;
  /** The decode stage's topic mapping: topics it marks `ignore` are not subscribed. */
  mapping?: TopicMapping;
  /** Reconnection after a drop or a refused connection: delay = min(maxDelayMs, initialDelayMs × 2^(attempt−1)). */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number; maxAttempts?: number };
  /** Default `{ mode: "latest", perTopic: 4 }`. */
  buffer?: BridgeBuffer;
  /** Pass your own (createBridgeStats()) to read the counters while running. */
  stats?: BridgeStats;
  /** Arrival clock (ns); default the wall clock. */
  clock?: () => Nanos;
};

export type BridgeTopicStats = { received: number; delivered: number; dropped: number; bytes: number };

export type BridgeStats = {
  connects: number;
  disconnects: number;
  received: number;
  delivered: number;
  /** Dropped because the consumer was slower than the socket (latest mode). */
  dropped: number;
  /** Unparseable server frames, messages for unknown subscriptions: counted and skipped. */
  malformed: number;
  byTopic: Map<string, BridgeTopicStats>;
  /** One line per distinct problem (bounded to the last 50). */
  errors: string[];
};

export function createBridgeStats(): BridgeStats {
  return { connects: 0, disconnects: 0, received: 0, delivered: 0, dropped: 0, malformed: 0, byTopic: new Map(), errors: [] };
}

const SUBPROTOCOL = "foxglove.websocket.v1";
const VENDOR_SCHEMAS: ReadonlySet<string> = new Set(PACKET_SCHEMAS);

type Subscribed = {
  channelId: number;
  topic: string;
  info: Omit<SensorMessage, "logTime" | "publishTime" | "sequence" | "data">;
  sequence: number;
};

/** Schema bytes from an advertisement: binary encodings are base64, text encodings UTF-8. */
export function schemaBytes(channel: Pick<Channel, "schema" | "schemaEncoding" | "encoding">): Uint8Array {
  const encoding = channel.schemaEncoding ?? (channel.encoding === "protobuf" ? "protobuf" : "");
  if (encoding === "protobuf" || encoding === "flatbuffer") return new Uint8Array(Buffer.from(channel.schema, "base64"));
  return new TextEncoder().encode(channel.schema);
}

function schemaEncodingOf(channel: Channel): string {
  if (channel.schemaEncoding !== undefined) return channel.schemaEncoding;
  // Old servers (protocol before schemaEncoding) imply it from the message encoding.
  switch (channel.encoding) {
    case "protobuf":
      return "protobuf";
    case "json":
      return "jsonschema";
    case "cdr":
      return "ros2msg";
    case "ros1":
      return "ros1msg";
    default:
      return "";
  }
}

function pushError(stats: BridgeStats, line: string): void {
  if (stats.errors[stats.errors.length - 1] === line) return;
  stats.errors.push(line);
  if (stats.errors.length > 50) stats.errors.shift();
}

function topicStats(stats: BridgeStats, topic: string): BridgeTopicStats {
  let t = stats.byTopic.get(topic);
  if (!t) {
    t = { received: 0, delivered: 0, dropped: 0, bytes: 0 };
    stats.byTopic.set(topic, t);
  }
  return t;
}

/**
 * A Foxglove WebSocket client source (foxglove_bridge, `avfusion play --serve`, Foxglove SDK
 * servers). Subscribes to the wanted channels as they are advertised, follows re-advertisements
 * and unadvertisements, and reconnects with bounded exponential backoff after a drop, resubscribing
 * by topic. Never errors for a drop or bad data; errors only when `reconnect.maxAttempts`
 * consecutive attempts failed (a `failed` status precedes it). Timers run on `scheduler`.
 *
 * Messages carry `logTime` = arrival time, `publishTime` = the server's timestamp.
 */
export function foxgloveWebSocketSource(
  options: FoxgloveWsSourceOptions,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<BridgeEvent> {
  return new Observable<BridgeEvent>((subscriber) => {
    const stats = options.stats ?? createBridgeStats();
    const clock = options.clock ?? wallClockNs;
    const buffer = options.buffer ?? { mode: "latest", perTopic: 4 };
    const perTopic = buffer.mode === "latest" ? Math.max(1, buffer.perTopic ?? 4) : Infinity;
    const initialDelay = Math.max(1, options.reconnect?.initialDelayMs ?? 250);
    const maxDelay = Math.max(initialDelay, options.reconnect?.maxDelayMs ?? 5000);
    const maxAttempts = options.reconnect?.maxAttempts ?? Infinity;
    const wanted = options.topics ? new Set(options.topics) : undefined;
    const defer = deferOn(scheduler);

    let closed = false;
    let attempt = 0;
    let client: FoxgloveClient | undefined;
    let socket: WebSocket | undefined;
    let retryTimer: Subscription | undefined;
    let downSince: Nanos | undefined;
    let everConnected = false;
    // Per connection: channel id → advertisement; subscription id → channel.
    let channels = new Map<number, Channel>();
    let subscriptions = new Map<number, Subscribed>();
    let subByChannel = new Map<number, number>();

    // latest mode: one arrival-ordered queue, with per-topic counts to enforce `perTopic`.
    const queue: SensorMessage[] = [];
    const queuedPerTopic = new Map<string, number>();
    let drainScheduled: Deferred | undefined;

    const emitStatus = (status: ConnectionStatus): void => subscriber.next({ type: "status", status });

    const wants = (ch: Channel): boolean => {
      const override = options.mapping?.[ch.topic];
      if (override === "ignore" || (typeof override === "object" && override.ignore === true)) return false;
      if (wanted) return wanted.has(ch.topic);
      if (options.allTopics) return true;
      return classifyTopic(
        { topic: ch.topic, schemaName: ch.schemaName, schemaEncoding: schemaEncodingOf(ch), messageEncoding: ch.encoding },
        { vendorSchemas: VENDOR_SCHEMAS },
      ).supported;
    };

    const infoOf = (ch: Channel): Subscribed["info"] => ({
      topic: ch.topic,
      schemaName: ch.schemaName,
      schemaEncoding: schemaEncodingOf(ch),
      messageEncoding: ch.encoding,
      schemaData: schemaBytes(ch),
      channelId: ch.id,
    });

    const drain = (): void => {
      drainScheduled = undefined;
      // Only what is queued now; what arrives while the consumer works waits for the next drain.
      const batch = queue.splice(0, queue.length);
      queuedPerTopic.clear();
      for (const m of batch) {
        if (closed) return;
        stats.delivered++;
        topicStats(stats, m.topic).delivered++;
        subscriber.next({ type: "message", message: m });
      }
    };

    const deliver = (m: SensorMessage): void => {
      if (perTopic === Infinity) {
        stats.delivered++;
        topicStats(stats, m.topic).delivered++;
        subscriber.next({ type: "message", message: m });
        return;
      }
      const n = queuedPerTopic.get(m.topic) ?? 0;
      if (n >= perTopic) {
        const oldest = queue.findIndex((q) => q.topic === m.topic);
        queue.splice(oldest, 1);
        stats.dropped++;
        topicStats(stats, m.topic).dropped++;
      } else {
        queuedPerTopic.set(m.topic, n + 1);
      }
      queue.push(m);
      drainScheduled ??= defer(drain);
    };

    const onMessage = (event: MessageData): void => {
      const at = clock();
      const sub = subscriptions.get(event.subscriptionId);
      if (!sub) {
        // Normal right after an unsubscribe; anything else is a confused server.
        stats.malformed++;
        return;
      }
      const view = event.data;
      // Copy: the view points into the socket's receive buffer.
      const data = new Uint8Array(view.byteLength);
      data.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
      stats.received++;
      const ts = topicStats(stats, sub.topic);
      ts.received++;
      ts.bytes += data.byteLength;
      deliver({ ...sub.info, logTime: at, publishTime: event.timestamp, sequence: sub.sequence++, data });
    };

    const subscribe = (c: FoxgloveClient, ch: Channel): boolean => {
      if (!wants(ch)) return false;
      const subId = c.subscribe(ch.id);
      subscriptions.set(subId, { channelId: ch.id, topic: ch.topic, info: infoOf(ch), sequence: 0 });
      subByChannel.set(ch.id, subId);
      return true;
    };

    const onAdvertise = (c: FoxgloveClient, list: Channel[]): void => {
      const at = clock();
      for (const ch of list) {
        const known = channels.get(ch.id);
        channels.set(ch.id, ch);
        const subId = subByChannel.get(ch.id);
        if (known && subId !== undefined) {
          // Re-advertisement of a subscribed channel: same id, maybe a new schema.
          const sub = subscriptions.get(subId)!;
          sub.info = infoOf(ch);
          sub.topic = ch.topic;
          subscriber.next({
            type: "channel",
            channel: { change: "readvertised", topic: ch.topic, channelId: ch.id, schemaName: ch.schemaName, subscribed: true, at },
          });
          continue;
        }
        const subscribed = subscribe(c, ch);
        subscriber.next({
          type: "channel",
          channel: {
            change: known ? "readvertised" : "advertised",
            topic: ch.topic,
            channelId: ch.id,
            schemaName: ch.schemaName,
            subscribed,
            at,
          },
        });
      }
    };

    const onUnadvertise = (ids: number[]): void => {
      const at = clock();
      for (const id of ids) {
        const ch = channels.get(id);
        channels.delete(id);
        const subId = subByChannel.get(id);
        subByChannel.delete(id);
        // The server has dropped the channel; its subscription is gone with it.
        if (subId !== undefined) subscriptions.delete(subId);
        if (ch) {
          subscriber.next({
            type: "channel",
            channel: {
              change: "unadvertised",
              topic: ch.topic,
              channelId: id,
              schemaName: ch.schemaName,
              subscribed: subId !== undefined,
              at,
            },
          });
        }
      }
    };

    const scheduleRetry = (reason: string): void => {
      if (closed) return;
      const at = clock();
      if (attempt >= maxAttempts) {
        const text = `Foxglove WebSocket ${options.url}: ${reason}; gave up after ${attempt} attempt(s)`;
        emitStatus({ state: "failed", url: options.url, at, reason: text });
        subscriber.error(Object.assign(new Error(text), { badInput: true }));
        return;
      }
      const delay = Math.min(maxDelay, initialDelay * 2 ** Math.max(0, attempt - 1));
      emitStatus({ state: "disconnected", url: options.url, at, reason, retryInMs: delay });
      retryTimer = scheduler.schedule(() => connect(), delay);
    };

    const connect = (): void => {
      if (closed) return;
      attempt++;
      channels = new Map();
      subscriptions = new Map();
      subByChannel = new Map();
      emitStatus({ state: "connecting", url: options.url, attempt, at: clock() });
      let ws: WebSocket;
      try {
        ws = new WebSocket(options.url, [SUBPROTOCOL]);
      } catch (err) {
        const text = `Foxglove WebSocket ${options.url}: ${(err as Error).message}, expected ws://HOST:PORT`;
        emitStatus({ state: "failed", url: options.url, at: clock(), reason: text });
        subscriber.error(Object.assign(new Error(text), { badInput: true }));
        return;
      }
      socket = ws;
      const c = new FoxgloveClient({ ws });
      client = c;
      let lastError = "";
      let open = false;
      c.on("error", (err) => {
        if (!open) {
          lastError = err.message;
          return;
        }
        stats.malformed++;
        pushError(stats, `Foxglove WebSocket ${options.url}: ${err.message}`);
      });
      c.on("serverInfo", (info) => {
        if (ws.protocol !== SUBPROTOCOL) {
          pushError(stats, `Foxglove WebSocket ${options.url}: server chose subprotocol "${ws.protocol}", expected ${SUBPROTOCOL}`);
        }
        open = true;
        attempt = 0;
        stats.connects++;
        const at = clock();
        const status: ConnectionStatus = { state: "connected", url: options.url, serverName: info.name, at };
        if (everConnected && downSince !== undefined) status.downtimeNs = at - downSince;
        everConnected = true;
        downSince = undefined;
        emitStatus(status);
      });
      c.on("advertise", (list) => onAdvertise(c, list));
      c.on("unadvertise", onUnadvertise);
      c.on("message", onMessage);
      c.on("close", (event) => {
        if (client !== c) return;
        client = undefined;
        socket = undefined;
        if (closed) return;
        if (open) {
          stats.disconnects++;
          downSince = clock();
        }
        // Channels and subscriptions die with the connection; the next one re-advertises.
        for (const ch of channels.values()) onUnadvertise([ch.id]);
        const reason = open
          ? `connection closed (code ${event.code}${event.reason ? `, ${event.reason}` : ""})`
          : `cannot connect: ${lastError || `closed with code ${event.code}`}`;
        scheduleRetry(reason);
      });
    };

    connect();
    return () => {
      closed = true;
      retryTimer?.unsubscribe();
      drainScheduled?.unsubscribe();
      const ws = socket;
      client = undefined;
      socket = undefined;
      if (ws && ws.readyState !== ws.CLOSED) {
        ws.on("error", () => undefined);
        if (ws.readyState === ws.CONNECTING) ws.terminate();
        else ws.close();
      }
    };
  });
}

/** Only the messages of a bridge event stream. */
export function bridgeMessages(): OperatorFunction<BridgeEvent, SensorMessage> {
  return (source) =>
    source.pipe(
      filter((e): e is Extract<BridgeEvent, { type: "message" }> => e.type === "message"),
      map((e) => e.message),
    );
}

/** Only the connection status changes of a bridge event stream. */
export function bridgeStatus(): OperatorFunction<BridgeEvent, ConnectionStatus> {
  return (source) =>
    source.pipe(
      filter((e): e is Extract<BridgeEvent, { type: "status" }> => e.type === "status"),
      map((e) => e.status),
    );
}
