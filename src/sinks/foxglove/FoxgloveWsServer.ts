import type http from "node:http";
import { FoxgloveServer, StatusLevel } from "@foxglove/ws-protocol";
import { tap, type MonoTypeOperatorFunction } from "rxjs";
import { WebSocketServer, type WebSocket } from "ws";
import { encodeProto, fileDescriptorSet } from "../../schemas/protoRegistry";
import type { Nanos } from "../../types";
import { BadInputError } from "../../types/errors";
import { admit, checkToken, exposureWarnings, originAllowList, type AdmissionPolicy } from "./admission";
import { capabilityList, serveParameters } from "./capabilities";
import { ConnectionGraph } from "./ConnectionGraph";
import { GuardedSocket } from "./GuardedSocket";
import { bind, createHttpServer, positiveInt, schemaText } from "./httpServer";
import type { FoxgloveWsServerOptions, FoxgloveWsServerStats, PublishRecord } from "./serverTypes";

export type { FoxgloveWsServerOptions, FoxgloveWsServerStats, PublishRecord } from "./serverTypes";
export { SLOW_CLIENT_CLOSE_CODE } from "./GuardedSocket";
export { StatusLevel } from "@foxglove/ws-protocol";

type ChannelEntry = { id: number; key: string; topic: string; subscribers: number };

/** The resolved limits of one server. */
type Limits = { maxBufferedBytes: number; slowClientMs: number; maxIncomingBytes: number };

const WHERE = "Foxglove WebSocket server";

/** How long `close` with a code waits for clients to answer the close frame before dropping them. */
const CLOSE_GRACE_MS = 1000;

function nowNs(): Nanos {
  return BigInt(Date.now()) * 1_000_000n;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A Foxglove WebSocket server (`foxglove.websocket.v1`) the Foxglove app or our own
 * `foxgloveWebSocketSource` connects to: channels are advertised on first publish (or by
 * `advertise`), messages go to subscribed clients only. It holds its ground: loopback by default
 * (another address needs a token), foreign browser origins, a wrong token and clients past
 * `maxClients` are refused during the upgrade; incoming frames are capped; a client that does not
 * keep up has messages dropped and is cut off after `slowClientMs`, never stalling the others.
 * Capabilities (`serverInfo`): `connectionGraph` always, `time` and `parameters` +
 * `parametersSubscribe` when the options ask for them (see capabilities.ts).
 */
export class FoxgloveWsServer {
  readonly host: string;
  readonly port: number;
  /** One line each (no prefix) the caller should show: serving beyond loopback. */
  readonly warnings: readonly string[];
  readonly stats: FoxgloveWsServerStats = {
    clients: 0,
    connections: 0,
    channels: 0,
    published: 0,
    sent: 0,
    unsubscribed: 0,
    droppedSlowClient: 0,
    closedSlowClient: 0,
    closedBadFrame: 0,
    refused: { origin: 0, token: 0, full: 0 },
  };
  readonly #server: FoxgloveServer;
  readonly #http: http.Server;
  readonly #wss: WebSocketServer;
  readonly #tls: boolean;
  readonly #limits: Limits;
  readonly #sockets = new Set<GuardedSocket>();
  readonly #byTopic = new Map<string, ChannelEntry>();
  readonly #byId = new Map<number, ChannelEntry>();
  readonly #subscribeWaiters = new Set<() => void>();
  readonly #sweep: NodeJS.Timeout;
  readonly #graph: ConnectionGraph;
  readonly #stopParameters: () => void;
  #closed = false;

  private constructor(
    parts: {
      server: FoxgloveServer;
      http: http.Server;
      host: string;
      port: number;
      tls: boolean;
      warnings: string[];
      options: FoxgloveWsServerOptions;
    },
    limits: Limits,
    policy: AdmissionPolicy,
  ) {
    this.#server = parts.server;
    this.#http = parts.http;
    this.host = parts.host;
    this.port = parts.port;
    this.#tls = parts.tls;
    this.warnings = parts.warnings;
    this.#limits = limits;
    this.#graph = new ConnectionGraph(this.#server.name);
    this.#stopParameters = parts.options.parameters ? serveParameters(this.#server, parts.options.parameters) : () => undefined;
    this.#wss = new WebSocketServer({
      server: parts.http,
      maxPayload: limits.maxIncomingBytes,
      perMessageDeflate: false,
      clientTracking: false,
      handleProtocols: (protocols) => this.#server.handleProtocols(protocols),
      // Answered at once, so the connection (counted against maxClients) follows synchronously.
      verifyClient: (info, done) => {
        const refusal = admit(info.req, policy, this.#sockets.size);
        if (!refusal) return done(true);
        this.stats.refused[refusal.why]++;
        done(false, refusal.status, refusal.message, refusal.headers);
      },
    });
    this.#wire();
    this.#sweep = setInterval(() => this.#cutSlowClients(), Math.max(10, Math.min(250, limits.slowClientMs / 4)));
    this.#sweep.unref();
  }

  /** ws://host:port (wss:// with TLS) of the bound server. */
  get url(): string {
    return `${this.#tls ? "wss" : "ws"}://${this.host.includes(":") ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** Start listening; rejects with a one-line error when the port cannot be bound or an option is bad. */
  static async listen(options: FoxgloveWsServerOptions = {}): Promise<FoxgloveWsServer> {
    const host = options.host ?? "127.0.0.1";
    const port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new BadInputError({ where: WHERE, what: `port ${port}`, expected: "an integer 0..65535", code: "usage" });
    }
    const limits: Limits = {
      maxBufferedBytes: positiveInt("maxBufferedBytes", options.maxBufferedBytes, 8 << 20),
      slowClientMs: positiveInt("slowClientMs", options.slowClientMs, 5000),
      maxIncomingBytes: positiveInt("maxIncomingBytes", options.maxIncomingBytes, 1 << 20),
    };
    const policy: AdmissionPolicy = {
      allowOrigins: originAllowList(options.allowOrigins),
      token: options.token === undefined ? undefined : checkToken(options.token),
      maxClients: positiveInt("maxClients", options.maxClients, 16),
    };
    const warnings = exposureWarnings(host, { token: policy.token, tls: options.tls !== undefined, insecure: options.insecure });
    const httpServer = createHttpServer(options.tls, policy.maxClients);
    const bound = await bind(httpServer, host, port);
    const server = new FoxgloveServer({
      name: options.name ?? "avfusion",
      capabilities: capabilityList(options),
      ...(options.metadata ? { metadata: { ...options.metadata } } : {}),
    });
    const parts = { server, http: httpServer, host, port: bound, tls: options.tls !== undefined, warnings, options };
    return new FoxgloveWsServer(parts, limits, policy);
  }

  #wire(): void {
    // Errors from a client (bad JSON, unknown op) must not bring the server down.
    this.#server.on("error", () => undefined);
    this.#wss.on("error", () => undefined);
    this.#http.on("error", () => undefined);
    this.#server.on("subscribe", (channelId) => {
      const ch = this.#byId.get(channelId);
      if (ch) ch.subscribers++;
      for (const wake of [...this.#subscribeWaiters]) wake();
    });
    this.#server.on("unsubscribe", (channelId) => {
      const ch = this.#byId.get(channelId);
      if (ch) ch.subscribers = 0;
    });
    this.#wss.on("connection", (ws, req) => this.#accept(ws, `${req.socket.remoteAddress ?? "?"}:${req.socket.remotePort ?? "?"}`));
  }

  #accept(ws: WebSocket, name: string): void {
    const guarded = new GuardedSocket(ws, this.#limits.maxBufferedBytes, {
      onDrop: () => this.stats.droppedSlowClient++,
      onSent: () => this.stats.sent++,
      onCut: () => {
        this.stats.closedSlowClient++;
        // Forgotten now, not at its "close" event: a client that does not read never answers the
        // close frame, so that event comes only when the grace ends; until then it would hold a
        // place under maxClients and count as connected.
        this.#forget(guarded);
      },
    });
    this.#sockets.add(guarded);
    this.stats.connections++;
    this.stats.clients = this.#sockets.size;
    // Only a frame past maxIncomingBytes or another protocol violation: ws already sent close
    // 1009 / 1002; the socket goes at once so nothing more of it is read.
    ws.on("error", () => {
      this.stats.closedBadFrame++;
      ws.terminate();
    });
    ws.on("close", () => this.#forget(guarded));
    // FoxgloveServer (0.8) does not serve the connection graph it declares: answered here (it
    // reports the op as unknown, on its error event, which is ignored).
    ws.on("message", (data, isBinary) => {
      if (!isBinary) this.#graph.handleText(guarded, String(data));
    });
    this.#server.handleConnection(guarded, name);
  }

  /** No longer counted as connected (nor against maxClients), nor looked at by pacing and sweeps. */
  #forget(s: GuardedSocket): void {
    this.#sockets.delete(s);
    this.#graph.forget(s);
    this.stats.clients = this.#sockets.size;
  }

  #cutSlowClients(): void {
    const now = performance.now();
    const { slowClientMs, maxBufferedBytes } = this.#limits;
    for (const s of this.#sockets) {
      if (s.overLimitFor(now) < slowClientMs) continue;
      const reason = `slow client: over ${(maxBufferedBytes / 1048576).toFixed(1)} MiB queued for ${(slowClientMs / 1000).toFixed(1)} s`;
      s.cut(reason);
    }
  }

  /** Advertise a channel (idempotent); returns its id. A topic whose schema changed is re-advertised. */
  advertise(record: Omit<PublishRecord, "data" | "logTime">): number {
    const key = `${record.schemaName}\u0000${record.schemaEncoding}\u0000${record.messageEncoding}`;
    const existing = this.#byTopic.get(record.topic);
    if (existing && existing.key === key) return existing.id;
    if (existing) this.unadvertise(record.topic);
    const id = this.#server.addChannel({
      topic: record.topic,
      encoding: record.messageEncoding,
      schemaName: record.schemaName,
      schema: schemaText(record.schemaEncoding, record.schemaData),
      ...(record.schemaEncoding ? { schemaEncoding: record.schemaEncoding } : {}),
    });
    const entry: ChannelEntry = { id, key, topic: record.topic, subscribers: 0 };
    this.#byTopic.set(record.topic, entry);
    this.#byId.set(id, entry);
    this.stats.channels = this.#byTopic.size;
    this.#graph.topicAdded(record.topic);
    return id;
  }

  /** Stop advertising a topic; clients see `unadvertise`. No-op for an unknown topic. */
  unadvertise(topic: string): void {
    const entry = this.#byTopic.get(topic);
    if (!entry) return;
    this.#byTopic.delete(topic);
    this.#byId.delete(entry.id);
    this.stats.channels = this.#byTopic.size;
    this.#graph.topicRemoved(topic);
    if (!this.#closed) this.#server.removeChannel(entry.id);
  }

  /** Topics advertised now. */
  get topics(): string[] {
    return [...this.#byTopic.keys()];
  }

  /** True when some client subscribes to the topic. */
  isSubscribed(topic: string): boolean {
    return (this.#byTopic.get(topic)?.subscribers ?? 0) > 0;
  }

  /** Send one message to every client subscribed to its topic (advertising the channel first if new). */
  publish(record: PublishRecord): void {
    if (this.#closed) return;
    const id = this.advertise(record);
    this.stats.published++;
    if (!this.isSubscribed(record.topic)) {
      this.stats.unsubscribed++;
      return;
    }
    this.#server.sendMessage(id, record.logTime ?? nowNs(), record.data);
  }

  /** Tells every client the server's clock (`time` capability; ignored without it). */
  broadcastTime(time: Nanos): void {
    if (!this.#closed) this.#server.broadcastTime(time);
  }

  /** A status message to every client (`id` lets a later one replace or `removeStatus` remove it). */
  sendStatus(level: StatusLevel, message: string, id?: string): void {
    if (!this.#closed) this.#server.sendStatus({ level, message, ...(id === undefined ? {} : { id }) });
  }

  /** Withdraws status messages sent with these ids. */
  removeStatus(ids: string[]): void {
    if (!this.#closed) this.#server.removeStatus(ids);
  }

  /** Largest number of bytes queued in any client socket. */
  get maxBufferedAmount(): number {
    let max = 0;
    for (const s of this.#sockets) max = Math.max(max, s.ws.bufferedAmount);
    return max;
  }

  /**
   * Resolves once every client has at most `highWater` bytes queued (polling every `pollMs`), so a
   * lossless producer (play) can pace itself on a slow client instead of dropping; but a client
   * is waited for `maxWaitMs` at most per stretch above `highWater`, then left to the queue
   * limit (messages dropped, cut off after `slowClientMs`): one stuck client never stalls the rest.
   */
  async drained(highWater = 1 << 20, pollMs = 2, maxWaitMs = 1000): Promise<void> {
    while (!this.#closed && this.#holdsPacing(highWater, maxWaitMs)) await sleep(pollMs);
  }

  #holdsPacing(highWater: number, maxWaitMs: number): boolean {
    const now = performance.now();
    let holds = false;
    // Every client is looked at, so each one's stretch above highWater starts and ends on time.
    for (const s of this.#sockets) if (s.holdsPacing(now, highWater, maxWaitMs)) holds = true;
    return holds;
  }

  /** Resolves when every listed topic has a subscriber (or the server closes). */
  async waitForSubscribers(topics: readonly string[]): Promise<void> {
    while (!this.#closed && !topics.every((t) => this.isSubscribed(t))) {
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.#subscribeWaiters.delete(wake);
          resolve();
        };
        this.#subscribeWaiters.add(wake);
        // Also wake on close.
        setTimeout(wake, 100);
      });
    }
  }

  /**
   * Close every client connection and the listening socket. Without `how` the connections are
   * dropped at once (clients see 1006); with it each client gets a close frame with that code
   * (1000 normal, 1001 going away) and reason, and up to 1 s to answer it.
   */
  async close(how?: { code: 1000 | 1001; reason: string }): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweep);
    this.#stopParameters();
    for (const wake of [...this.#subscribeWaiters]) wake();
    if (how) await this.#closeClients(how.code, how.reason);
    for (const s of this.#sockets) s.ws.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    const closed = new Promise<void>((resolve) => this.#http.close(() => resolve()));
    this.#http.closeAllConnections();
    await closed;
  }

  async #closeClients(code: number, reason: string): Promise<void> {
    const answered = [...this.#sockets]
      .filter((s) => s.open)
      .map(
        (s) =>
          new Promise<void>((resolve) => {
            s.ws.once("close", () => resolve());
            // A close reason is at most 123 bytes.
            s.ws.close(code, reason.slice(0, 120));
          }),
      );
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)));
    await Promise.race([Promise.all(answered), grace]);
    clearTimeout(timer);
  }
}

/** Sink operator: publishes every record passing through to `server` and passes it on. */
export function publishToFoxglove<T extends PublishRecord>(server: FoxgloveWsServer): MonoTypeOperatorFunction<T> {
  return tap((record: T) => server.publish(record));
}

/**
 * A record for one of our protobuf types (proto/: `avfusion.SceneState`, `avfusion.RadarScan`,
 * foxglove.* ...), encoded with encodeProto (snake_case field names) and carrying its
 * FileDescriptorSet, e.g. `protobufRecord("/avfusion/scene", "avfusion.SceneState", toSceneProto(state), state.stamp)`.
 */
export function protobufRecord(topic: string, typeName: string, message: object, logTime?: Nanos): PublishRecord {
  return {
    topic,
    schemaName: typeName,
    schemaEncoding: "protobuf",
    schemaData: fileDescriptorSet(typeName),
    messageEncoding: "protobuf",
    data: encodeProto(typeName, message),
    ...(logTime === undefined ? {} : { logTime }),
  };
}
