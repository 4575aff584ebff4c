import { FoxgloveClient, type Channel, type MessageData } from "@foxglove/ws-protocol";
import {
  asyncScheduler,
  filter,
  map,
  Observable,
  type OperatorFunction,
  type SchedulerLike,
  type Subscriber,
  type Subscription,
} from "rxjs";
import { WebSocket } from "ws";
import type { TopicMapping } from "../../config/topicMapping";
import type { Nanos, SensorMessage } from "../../types";
import { BadInputError } from "../../types/errors";
import { ChannelSubscriptions } from "./ChannelSubscriptions";
import { deferOn, wallClockNs } from "./clock";
import { schemaEncodingOf, wantsChannel, type ChannelFilter } from "./foxgloveChannels";
import { LatestPerTopicQueue } from "./LatestPerTopicQueue";

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
  /** As advertised (the schema encoding implied by the message encoding for old servers): what `classifyTopic` reads. */
  schemaEncoding: string;
  messageEncoding: string;
  /** Whether we subscribe to it. */
  subscribed: boolean;
  at: Nanos;
};

/** What `foxgloveWebSocketSource` emits: messages, tagged, interleaved with status and channel events. */
const channelNames = (ch: Channel) => ({
  topic: ch.topic,
  schemaName: ch.schemaName,
  schemaEncoding: schemaEncodingOf(ch),
  messageEncoding: ch.encoding,
});

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
 * by topic. Never errors for a drop or bad data; errors (a one-line BadInputError) only for a
 * malformed URL or when `reconnect.maxAttempts` consecutive attempts failed (a `failed` status
 * precedes it). Timers run on `scheduler`.
 *
 * Messages carry `logTime` = arrival time, `publishTime` = the server's timestamp.
 */
export function foxgloveWebSocketSource(
  options: FoxgloveWsSourceOptions,
  scheduler: SchedulerLike = asyncScheduler,
): Observable<BridgeEvent> {
  return new Observable<BridgeEvent>((subscriber) => {
    const session = new BridgeSession(options, scheduler, subscriber);
    session.connect();
    return () => session.close();
  });
}

/** One subscription to the source: the connection (and its successors after a drop) and the counters. */
class BridgeSession {
  readonly #options: FoxgloveWsSourceOptions;
  readonly #scheduler: SchedulerLike;
  readonly #subscriber: Subscriber<BridgeEvent>;
  readonly #stats: BridgeStats;
  readonly #clock: () => Nanos;
  readonly #filter: ChannelFilter;
  readonly #initialDelay: number;
  readonly #maxDelay: number;
  readonly #maxAttempts: number;
  /** latest mode's buffer; undefined when every message is delivered as it arrives. */
  readonly #queue: LatestPerTopicQueue | undefined;

  #closed = false;
  #attempt = 0;
  #client: FoxgloveClient | undefined;
  #socket: WebSocket | undefined;
  #retryTimer: Subscription | undefined;
  #downSince: Nanos | undefined;
  #everConnected = false;
  #subs = new ChannelSubscriptions();

  constructor(options: FoxgloveWsSourceOptions, scheduler: SchedulerLike, subscriber: Subscriber<BridgeEvent>) {
    this.#options = options;
    this.#scheduler = scheduler;
    this.#subscriber = subscriber;
    this.#stats = options.stats ?? createBridgeStats();
    this.#clock = options.clock ?? wallClockNs;
    this.#filter = { topics: options.topics ? new Set(options.topics) : undefined, allTopics: options.allTopics, mapping: options.mapping };
    const buffer = options.buffer ?? { mode: "latest", perTopic: 4 };
    const perTopic = buffer.mode === "latest" ? Math.max(1, buffer.perTopic ?? 4) : Infinity;
    this.#initialDelay = Math.max(1, options.reconnect?.initialDelayMs ?? 250);
    this.#maxDelay = Math.max(this.#initialDelay, options.reconnect?.maxDelayMs ?? 5000);
    this.#maxAttempts = options.reconnect?.maxAttempts ?? Infinity;
    this.#queue =
      perTopic === Infinity
        ? undefined
        : new LatestPerTopicQueue(
            perTopic,
            deferOn(scheduler),
            (m) => this.#deliverNow(m),
            (m) => {
              this.#stats.dropped++;
              topicStats(this.#stats, m.topic).dropped++;
            },
            () => this.#closed,
          );
  }

  connect(): void {
    if (this.#closed) return;
    const url = this.#options.url;
    this.#attempt++;
    this.#subs = new ChannelSubscriptions();
    this.#emitStatus({ state: "connecting", url, attempt: this.#attempt, at: this.#clock() });
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, [SUBPROTOCOL]);
    } catch (err) {
      this.#fail(this.#clock(), (err as Error).message, "ws://HOST:PORT");
      return;
    }
    this.#socket = ws;
    const c = new FoxgloveClient({ ws });
    this.#client = c;
    this.#listen(c, ws);
  }

  close(): void {
    this.#closed = true;
    this.#retryTimer?.unsubscribe();
    this.#queue?.cancel();
    const ws = this.#socket;
    this.#client = undefined;
    this.#socket = undefined;
    if (ws && ws.readyState !== ws.CLOSED) {
      ws.on("error", () => undefined);
      if (ws.readyState === ws.CONNECTING) ws.terminate();
      else ws.close();
    }
  }

  /** The connection's events. Until the server says hello, errors only explain a failed connect. */
  #listen(c: FoxgloveClient, ws: WebSocket): void {
    const url = this.#options.url;
    let lastError = "";
    let open = false;
    c.on("error", (err) => {
      if (!open) {
        lastError = err.message;
        return;
      }
      this.#stats.malformed++;
      pushError(this.#stats, `Foxglove WebSocket ${url}: ${err.message}`);
    });
    c.on("serverInfo", (info) => {
      if (ws.protocol !== SUBPROTOCOL) {
        pushError(this.#stats, `Foxglove WebSocket ${url}: server chose subprotocol "${ws.protocol}", expected ${SUBPROTOCOL}`);
      }
      open = true;
      this.#onConnected(info.name);
    });
    c.on("advertise", (list) => this.#onAdvertise(c, list));
    c.on("unadvertise", (ids) => this.#onUnadvertise(ids));
    c.on("message", (event) => this.#onMessage(event));
    c.on("close", (event) => {
      if (this.#client !== c) return;
      this.#client = undefined;
      this.#socket = undefined;
      if (this.#closed) return;
      if (open) {
        this.#stats.disconnects++;
        this.#downSince = this.#clock();
      }
      // Channels and subscriptions die with the connection; the next one re-advertises.
      for (const ch of this.#subs.channels()) this.#onUnadvertise([ch.id]);
      const reason = open
        ? `connection closed (code ${event.code}${event.reason ? `, ${event.reason}` : ""})`
        : `cannot connect: ${lastError || `closed with code ${event.code}`}`;
      this.#scheduleRetry(reason);
    });
  }

  #onConnected(serverName: string): void {
    this.#attempt = 0;
    this.#stats.connects++;
    const at = this.#clock();
    const status: ConnectionStatus = { state: "connected", url: this.#options.url, serverName, at };
    if (this.#everConnected && this.#downSince !== undefined) status.downtimeNs = at - this.#downSince;
    this.#everConnected = true;
    this.#downSince = undefined;
    this.#emitStatus(status);
  }

  #scheduleRetry(reason: string): void {
    if (this.#closed) return;
    const at = this.#clock();
    if (this.#attempt >= this.#maxAttempts) {
      this.#fail(at, `${reason}; gave up after ${this.#attempt} attempt(s)`);
      return;
    }
    const delay = Math.min(this.#maxDelay, this.#initialDelay * 2 ** Math.max(0, this.#attempt - 1));
    this.#emitStatus({ state: "disconnected", url: this.#options.url, at, reason, retryInMs: delay });
    this.#retryTimer = this.#scheduler.schedule(() => this.connect(), delay);
  }

  /** The end: a `failed` status, then the one-line error. */
  #fail(at: Nanos, what: string, expected?: string): void {
    const where = `Foxglove WebSocket ${this.#options.url}`;
    const reason = `${where}: ${what}${expected === undefined ? "" : `, expected ${expected}`}`;
    this.#emitStatus({ state: "failed", url: this.#options.url, at, reason });
    this.#subscriber.error(new BadInputError({ where, what, expected }));
  }

  #emitStatus(status: ConnectionStatus): void {
    this.#subscriber.next({ type: "status", status });
  }

  #emitChannel(channel: ChannelChange): void {
    this.#subscriber.next({ type: "channel", channel });
  }

  #onAdvertise(c: FoxgloveClient, list: Channel[]): void {
    const at = this.#clock();
    for (const ch of list) {
      const { change, subscribed } = this.#subs.advertise(c, ch, (x) => wantsChannel(x, this.#filter));
      this.#emitChannel({ change, ...channelNames(ch), channelId: ch.id, subscribed, at });
    }
  }

  #onUnadvertise(ids: number[]): void {
    const at = this.#clock();
    for (const id of ids) {
      const { channel, subscribed } = this.#subs.unadvertise(id);
      if (channel) {
        this.#emitChannel({ change: "unadvertised", ...channelNames(channel), channelId: id, subscribed, at });
      }
    }
  }

  #onMessage(event: MessageData): void {
    const at = this.#clock();
    const sub = this.#subs.subscription(event.subscriptionId);
    if (!sub) {
      // Normal right after an unsubscribe; anything else is a confused server.
      this.#stats.malformed++;
      return;
    }
    const view = event.data;
    // Copy: the view points into the socket's receive buffer.
    const data = new Uint8Array(view.byteLength);
    data.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
    this.#stats.received++;
    const ts = topicStats(this.#stats, sub.topic);
    ts.received++;
    ts.bytes += data.byteLength;
    const m: SensorMessage = { ...sub.info, logTime: at, publishTime: event.timestamp, sequence: sub.sequence++, data };
    if (this.#queue) this.#queue.push(m);
    else this.#deliverNow(m);
  }

  #deliverNow(m: SensorMessage): void {
    this.#stats.delivered++;
    topicStats(this.#stats, m.topic).delivered++;
    this.#subscriber.next({ type: "message", message: m });
  }
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
