import type { AddressInfo } from "node:net";
import { FoxgloveServer, type IWebSocket } from "@foxglove/ws-protocol";
import { tap, type MonoTypeOperatorFunction } from "rxjs";
import { WebSocketServer, type WebSocket } from "ws";
import { encodeProto, fileDescriptorSet } from "../../schemas/protoRegistry";
import type { Nanos } from "../../types";
import { BadInputError } from "../../types/errors";

/**
 * One message to publish: what a source emits (`SensorMessage` fits) or what a later stage
 * serializes (scene state, foxglove.SceneUpdate). The channel is keyed by topic + schema name +
 * encodings; a topic whose schema changes gets a new channel (the old one is unadvertised).
 */
export type PublishRecord = {
  topic: string;
  schemaName: string;
  /** `protobuf`, `ros2msg`, `jsonschema`, ... or "" when schemaless. */
  schemaEncoding: string;
  /** Schema bytes: a FileDescriptorSet for protobuf (sent base64), else the schema text (UTF-8). */
  schemaData: Uint8Array;
  /** `protobuf`, `cdr`, `json`, ... */
  messageEncoding: string;
  data: Uint8Array;
  /** Timestamp sent with the message (ns); defaults to the wall clock. */
  logTime?: Nanos;
};

export type FoxgloveWsServerOptions = {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default) = an ephemeral port; read `port` after `listen`. */
  port?: number;
  /** Server name sent in `serverInfo`. */
  name?: string;
  /**
   * Bytes a client may have queued in its socket before message data for that client is dropped
   * (counted in `stats.droppedSlowClient`); control messages (advertise, ...) are never dropped.
   * Default 8 MiB.
   */
  maxBufferedBytes?: number;
};

export type FoxgloveWsServerStats = {
  /** Clients connected now. */
  clients: number;
  /** Clients connected since start. */
  connections: number;
  /** Channels advertised now. */
  channels: number;
  /** `publish` calls. */
  published: number;
  /** Messages written to a client socket (one per subscribed client). */
  sent: number;
  /** Published on a channel nobody subscribed to. */
  unsubscribed: number;
  /** Messages not sent to a client whose socket had more than `maxBufferedBytes` queued. */
  droppedSlowClient: number;
};

type ChannelEntry = { id: number; key: string; topic: string; subscribers: number };

const MESSAGE_DATA_OPCODE = 1;

function schemaText(encoding: string, data: Uint8Array): string {
  // The protocol carries schemas as strings: binary encodings base64, text encodings as they are.
  if (encoding === "protobuf" || encoding === "flatbuffer")
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8");
}

function nowNs(): Nanos {
  return BigInt(Date.now()) * 1_000_000n;
}

/**
 * Passes a client's socket to FoxgloveServer, dropping message data (never control messages)
 * while the socket has more than `limit` bytes queued, so one slow client cannot grow the
 * server's memory without bound. FoxgloveServer sends a message as header + payload frames
 * (`fin: false` then `fin: true`); the decision is made once per message.
 */
class GuardedSocket implements IWebSocket {
  #dropping = false;
  #inMessage = false;
  constructor(
    readonly ws: WebSocket,
    private readonly limit: number,
    private readonly onDrop: () => void,
    private readonly onSent: () => void,
  ) {}
  get binaryType(): string {
    return this.ws.binaryType;
  }
  set binaryType(value: string) {
    this.ws.binaryType = value as WebSocket["binaryType"];
  }
  get protocol(): string {
    return this.ws.protocol;
  }
  get onerror(): WebSocket["onerror"] {
    return this.ws.onerror;
  }
  set onerror(h: WebSocket["onerror"]) {
    this.ws.onerror = h;
  }
  get onopen(): WebSocket["onopen"] {
    return this.ws.onopen;
  }
  set onopen(h: WebSocket["onopen"]) {
    this.ws.onopen = h;
  }
  get onclose(): WebSocket["onclose"] {
    return this.ws.onclose;
  }
  set onclose(h: WebSocket["onclose"]) {
    this.ws.onclose = h;
  }
  get onmessage(): WebSocket["onmessage"] {
    return this.ws.onmessage;
  }
  set onmessage(h: WebSocket["onmessage"]) {
    this.ws.onmessage = h;
  }
  close(): void {
    this.ws.close();
  }
  send(data: string | ArrayBuffer | ArrayBufferView, options?: { fin?: boolean }): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    const fin = options?.fin ?? true;
    if (!this.#inMessage && typeof data !== "string") {
      const first = data instanceof ArrayBuffer ? new Uint8Array(data, 0, 1)[0] : new Uint8Array(data.buffer, data.byteOffset, 1)[0];
      this.#dropping = first === MESSAGE_DATA_OPCODE && this.ws.bufferedAmount > this.limit;
      if (this.#dropping) this.onDrop();
      else if (first === MESSAGE_DATA_OPCODE) this.onSent();
    }
    this.#inMessage = !fin;
    if (this.#dropping) {
      if (fin) this.#dropping = false;
      return;
    }
    this.ws.send(data, { fin, binary: typeof data !== "string" });
  }
}

/**
 * A Foxglove WebSocket server (`foxglove.websocket.v1`) the Foxglove app or our own
 * `foxgloveWebSocketSource` connects to: channels are advertised on first publish (or by
 * `advertise`), messages go to subscribed clients only, any number of clients.
 */
export class FoxgloveWsServer {
  readonly host: string;
  readonly port: number;
  readonly stats: FoxgloveWsServerStats = {
    clients: 0,
    connections: 0,
    channels: 0,
    published: 0,
    sent: 0,
    unsubscribed: 0,
    droppedSlowClient: 0,
  };
  readonly #server: FoxgloveServer;
  readonly #wss: WebSocketServer;
  readonly #sockets = new Set<GuardedSocket>();
  readonly #byTopic = new Map<string, ChannelEntry>();
  readonly #byId = new Map<number, ChannelEntry>();
  readonly #subscribeWaiters = new Set<() => void>();
  #closed = false;

  private constructor(server: FoxgloveServer, wss: WebSocketServer, host: string, port: number) {
    this.#server = server;
    this.#wss = wss;
    this.host = host;
    this.port = port;
  }

  /** ws://host:port of the bound server. */
  get url(): string {
    return `ws://${this.host.includes(":") ? `[${this.host}]` : this.host}:${this.port}`;
  }

  /** Start listening; rejects with a one-line error when the port cannot be bound. */
  static async listen(options: FoxgloveWsServerOptions = {}): Promise<FoxgloveWsServer> {
    const host = options.host ?? "127.0.0.1";
    const port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new BadInputError({ where: "Foxglove WebSocket server", what: `port ${port}`, expected: "an integer 0..65535", code: "usage" });
    }
    const limit = options.maxBufferedBytes ?? 8 << 20;
    const server = new FoxgloveServer({ name: options.name ?? "avfusion" });
    const wss = new WebSocketServer({
      host,
      port,
      handleProtocols: (protocols) => server.handleProtocols(protocols),
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        reject(
          new BadInputError({
            where: "Foxglove WebSocket server",
            what: `cannot listen on ${host}:${port}: ${err.message}`,
            code: "usage",
          }),
        );
      };
      wss.once("error", onError);
      wss.once("listening", () => {
        wss.off("error", onError);
        resolve();
      });
    });
    const bound = (wss.address() as AddressInfo).port;
    const self = new FoxgloveWsServer(server, wss, host, bound);
    self.#wire(limit);
    return self;
  }

  #wire(limit: number): void {
    // Errors from a client (bad JSON, unknown op) must not bring the server down.
    this.#server.on("error", () => undefined);
    this.#wss.on("error", () => undefined);
    this.#server.on("subscribe", (channelId) => {
      const ch = this.#byId.get(channelId);
      if (ch) ch.subscribers++;
      for (const wake of [...this.#subscribeWaiters]) wake();
    });
    this.#server.on("unsubscribe", (channelId) => {
      const ch = this.#byId.get(channelId);
      if (ch) ch.subscribers = 0;
    });
    this.#wss.on("connection", (ws, req) => {
      const guarded = new GuardedSocket(
        ws,
        limit,
        () => this.stats.droppedSlowClient++,
        () => this.stats.sent++,
      );
      this.#sockets.add(guarded);
      this.stats.connections++;
      this.stats.clients = this.#sockets.size;
      ws.on("error", () => undefined);
      ws.on("close", () => {
        this.#sockets.delete(guarded);
        this.stats.clients = this.#sockets.size;
      });
      this.#server.handleConnection(guarded, `${req.socket.remoteAddress ?? "?"}:${req.socket.remotePort ?? "?"}`);
    });
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
    return id;
  }

  /** Stop advertising a topic; clients see `unadvertise`. No-op for an unknown topic. */
  unadvertise(topic: string): void {
    const entry = this.#byTopic.get(topic);
    if (!entry) return;
    this.#byTopic.delete(topic);
    this.#byId.delete(entry.id);
    this.stats.channels = this.#byTopic.size;
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

  /** Largest number of bytes queued in any client socket. */
  get maxBufferedAmount(): number {
    let max = 0;
    for (const s of this.#sockets) max = Math.max(max, s.ws.bufferedAmount);
    return max;
  }

  /**
   * Resolves once every client has at most `highWater` bytes queued (polling every `pollMs`), so a
   * lossless producer (play) can pace itself on the slowest client instead of dropping.
   */
  async drained(highWater = 1 << 20, pollMs = 2): Promise<void> {
    while (!this.#closed && this.maxBufferedAmount > highWater) {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
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

  /** Close every client connection and the listening socket. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const wake of [...this.#subscribeWaiters]) wake();
    for (const s of this.#sockets) s.ws.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
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
