import type { Nanos } from "../../types";
import type { ParameterStore } from "./ParameterStore";

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
  /** Default 127.0.0.1. Any other address needs `token` (or `insecure`); see `exposureWarnings`. */
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
  /** A client over `maxBufferedBytes` this long (ms) without catching up is cut off (close 1008). Default 5000. */
  slowClientMs?: number;
  /** Largest frame / message a client may send (clients send small JSON ops); bigger closes it (1009). Default 1 MiB. */
  maxIncomingBytes?: number;
  /** Clients connected at once; more are refused with HTTP 503. Default 16. */
  maxClients?: number;
  /**
   * Browser origins let in besides http(s)://localhost, 127.0.0.1, [::1] (any port), e.g.
   * `https://app.foxglove.dev`. Clients that send no Origin (non-browser) are always let in.
   */
  allowOrigins?: readonly string[];
  /** Clients must present it as `?token=` or `Authorization: Bearer`; else HTTP 401. */
  token?: string;
  /** PEM certificate and key: serve wss:// (https) instead of ws://. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Allow a non-loopback `host` without a token (a warning in `warnings`). */
  insecure?: boolean;
  /** Declare the `time` capability: the owner calls `broadcastTime` as its clock advances (playback, pipeline). */
  time?: boolean;
  /** Declare `parameters` + `parametersSubscribe`, served from this store (a client's set goes through each parameter's check). */
  parameters?: ParameterStore;
  /** Sent in `serverInfo.metadata` (e.g. what the server serves). */
  metadata?: Readonly<Record<string, string>>;
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
  /**
   * Clients cut off (close 1008) for not reading: over `maxBufferedBytes` for `slowClientMs`, or
   * sending a request while over twice `maxBufferedBytes` queued.
   */
  closedSlowClient: number;
  /** Clients closed for a frame over `maxIncomingBytes` (or another protocol error). */
  closedBadFrame: number;
  /** Upgrades refused: foreign Origin (403), missing or wrong token (401), too many clients (503). */
  refused: { origin: number; token: number; full: number };
};
