import type { DecodedMessage, ObjectClass, SensorMessage, TopicRole } from "../types";
import { AVFUSION_DECODERS } from "./avfusion";
import { type DecodeContext, type Fields } from "./common";
import { BadInputError } from "../types/errors";
import { FOXGLOVE_DECODERS } from "./foxgloveProtobuf";
import { roleFromContent } from "./contentRole";
import { protobufReader } from "./protobufReader";
import { pointCloudRadar } from "./foxgloveProtobuf";
import { DEFAULT_ANNOTATION_CLASSES, sceneUpdateGroundTruth } from "./sceneUpdateTruth";
import { createRos2Reader, ros2Converter, type Ros2Reader } from "./ros2";
import type { AudioFormats } from "./ros2Audio";
import {
  ANNOTATION_SCHEMA,
  classifyTopic,
  normalizeRosName,
  resolveSensor,
  type ResolvedSensor,
  type TopicClassification,
  type TopicMapping,
} from "../config/topicMapping";

/**
 * One channel's raw vendor packet decoder (velodyne_msgs, pandar_msgs, nebula_msgs); stateful
 * (e.g. it gathers packets into rotations), so one is created per channel. The shape matches
 * `createRawPacketDecoder` in src/decode/vendor/rawPacketDecoders.ts.
 */
export type VendorChannelDecoder = {
  decodeMessage(message: SensorMessage): {
    frames: readonly DecodedMessage[];
    /** One line per malformed packet or message. */
    errors: readonly string[];
    /** Set when the packets are recognised but their sensor is not supported. */
    unsupported?: string;
  };
};

export type VendorDecoders = {
  /** ROS 2 schema names handled, e.g. `velodyne_msgs/msg/VelodyneScan`. */
  schemas: readonly string[];
  create(schemaName: string, options: { sensorId: string; topic: string }): VendorChannelDecoder;
};

export type DecoderOptions = {
  /** Per-topic sensor id / role overrides and ignored topics. */
  mapping?: TopicMapping;
  /**
   * Raw vendor packet decoders; without them those topics are skipped as "raw vendor packets:
   * decoder not available". Hook-in: `{ schemas: RAW_PACKET_SCHEMAS, create: createRawPacketDecoder }`.
   */
  vendor?: VendorDecoders;
  /**
   * Protobuf channels whose schema data is empty (some live sources send none) are decoded with
   * our own registry (proto/) when true (default). The recording's descriptor wins when present.
   */
  registryFallback?: boolean;
  /**
   * For annotation topics read as ground truth (`foxglove.SceneUpdate` with `role: groundTruth`):
   * label → our class, over `DEFAULT_ANNOTATION_CLASSES` (nuScenes' categories, plain class names).
   */
  groundTruthClasses?: Readonly<Record<string, ObjectClass>>;
};

export type DecodeResult = { messages: DecodedMessage[] } | { skipped: string } | { error: string };

export type TopicDecodeStats = {
  topic: string;
  schemaName: string;
  role: TopicRole | null;
  sensorId: string;
  decoded: number;
  skipped: number;
  errors: number;
  /**
   * Values dropped inside otherwise good messages: points / radar detections with NaN or infinite
   * values, malformed vendor packets.
   */
  droppedValues: number;
  /** Why the topic is skipped, or the latest error (one line). */
  lastReason?: string;
};

/** Live counters: updated in place by every `decode` call. */
export type DecodeStats = {
  decoded: number;
  skipped: number;
  errors: number;
  droppedValues: number;
  byTopic: Map<string, TopicDecodeStats>;
};

export type Decoder = {
  decode(msg: SensorMessage): DecodeResult;
  readonly stats: DecodeStats;
};

type ChannelState =
  | { kind: "skip"; reason: string; schemaData: Uint8Array }
  | { kind: "broken"; reason: string; schemaData: Uint8Array }
  | {
      kind: "decode";
      schemaData: Uint8Array;
      sensorId: string;
      /** Bytes → plain object. */
      read: (data: Uint8Array) => Fields;
      /** Plain object → frames. */
      convert: (obj: Fields, msg: SensorMessage, ctx: DecodeContext) => DecodedMessage[];
    };

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0];
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** JSON-encoded Foxglove messages: same field names as the .proto, bytes as base64, time as {sec, nsec}. */
function readJson(data: Uint8Array): Fields {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(data));
  } catch (err) {
    throw new BadInputError({ where: "", what: `${data.length} bytes are not a JSON message (${firstLine(err)})` });
  }
  if (value == null || typeof value !== "object" || Array.isArray(value))
    throw new BadInputError({ where: "", what: "JSON message is not an object" });
  return value as Fields;
}

type ChannelSetup = {
  mapping: TopicMapping;
  /** AudioInfo formats by namespace, for the AudioData channels beside them. */
  audioFormats: AudioFormats;
  vendorSchemas: ReadonlySet<string>;
  vendor: VendorDecoders | undefined;
  /** DecoderOptions.registryFallback. */
  fallback: boolean;
  /** DecoderOptions.groundTruthClasses. */
  groundTruthClasses: Readonly<Record<string, ObjectClass>>;
};

const unsupported = (msg: SensorMessage): ChannelState => ({
  kind: "skip",
  reason: `unsupported schema ${msg.schemaName}`,
  schemaData: msg.schemaData,
});

/**
 * How to decode one channel, decided once (and again when its schema bytes change): skip it, or
 * a reader (bytes → plain object) and a converter (plain object → frames). A schema that cannot
 * be compiled leaves the channel `broken`: each of its messages is then an error.
 */
function channelState(msg: SensorMessage, cls: TopicClassification, resolved: ResolvedSensor, setup: ChannelSetup): ChannelState {
  if (resolved.ignored) return { kind: "skip", reason: "ignored by the topic mapping", schemaData: msg.schemaData };
  if (!resolved.supported)
    return { kind: "skip", reason: cls.reason ?? `unsupported schema ${msg.schemaName}`, schemaData: msg.schemaData };
  try {
    if (msg.schemaEncoding === "protobuf") return schemaDecoder(msg, resolved, () => protobufReader(msg, setup.fallback), setup);
    if (msg.messageEncoding === "json") return schemaDecoder(msg, resolved, () => readJson, setup);
    const name = normalizeRosName(msg.schemaName);
    const text = new TextDecoder().decode(msg.schemaData);
    if (text.trim() === "")
      throw new BadInputError({ where: "", what: "channel has no schema text", expected: `ros2msg for ${msg.schemaName}` });
    if (setup.vendor && setup.vendorSchemas.has(name))
      return vendorDecoder(msg, resolved.sensorId, setup.vendor.create(name, { sensorId: resolved.sensorId, topic: msg.topic }));
    const reader: Ros2Reader = createRos2Reader(msg.schemaName, text);
    const override = setup.mapping[msg.topic];
    const configured = override === undefined || override === "ignore" ? undefined : override.audio;
    const ros = ros2Converter(name, { role: resolved.role, audio: { formats: setup.audioFormats, configured } });
    if (!ros) return unsupported(msg);
    return {
      kind: "decode",
      schemaData: msg.schemaData,
      sensorId: resolved.sensorId,
      read: reader.read,
      convert: (o, _m, ctx) => ros(o, ctx),
    };
  } catch (err) {
    return { kind: "broken", reason: firstLine(err), schemaData: msg.schemaData };
  }
}

/**
 * A Foxglove or avfusion schema (protobuf or JSON). The reader is made only for a schema we can
 * convert, so an unknown schema is skipped even when its descriptor would not compile.
 */
function schemaDecoder(
  msg: SensorMessage,
  resolved: ResolvedSensor,
  reader: () => (data: Uint8Array) => Fields,
  setup: ChannelSetup,
): ChannelState {
  if (msg.schemaName === ANNOTATION_SCHEMA && resolved.role === "groundTruth") {
    const classes = { ...DEFAULT_ANNOTATION_CLASSES, ...setup.groundTruthClasses };
    return {
      kind: "decode",
      schemaData: msg.schemaData,
      sensorId: resolved.sensorId,
      read: reader(),
      convert: (o, _m, ctx) => sceneUpdateGroundTruth(o, ctx, classes),
    };
  }
  // A point cloud whose topic plays radar (by its fields or the mapping) is read as radar returns.
  const radarCloud =
    msg.schemaName === "foxglove.PointCloud" && resolved.role === "radar"
      ? (o: Fields, ctx: DecodeContext) => [pointCloudRadar(o, ctx)]
      : undefined;
  const convert = radarCloud ?? FOXGLOVE_DECODERS[msg.schemaName] ?? AVFUSION_DECODERS[msg.schemaName];
  if (!convert) return unsupported(msg);
  return {
    kind: "decode",
    schemaData: msg.schemaData,
    sensorId: resolved.sensorId,
    read: reader(),
    convert: (o, _m, ctx) => convert(o, ctx),
  };
}

/** Raw vendor packets: the channel's own stateful decoder reads the whole message. */
function vendorDecoder(msg: SensorMessage, sensorId: string, channel: VendorChannelDecoder): ChannelState {
  return {
    kind: "decode",
    schemaData: msg.schemaData,
    sensorId,
    read: () => ({}),
    convert: (_o, m, ctx) => {
      const r = channel.decodeMessage(m);
      if (r.unsupported !== undefined && r.frames.length === 0) throw new BadInputError({ where: "", what: r.unsupported });
      // A message with no frames and errors failed as a whole; otherwise bad packets are counted.
      if (r.frames.length === 0 && r.errors.length > 0) {
        throw new BadInputError({
          where: "",
          what: r.errors.length === 1 ? r.errors[0] : `${r.errors[0]} (and ${r.errors.length - 1} more)`,
        });
      }
      ctx.dropped += r.errors.length;
      return [...r.frames];
    },
  };
}

/**
 * A synchronous decoder: `SensorMessage` → our frames, with per-topic counters. Never throws for
 * bad input: unsupported topics give `{ skipped }`, bad bytes or content give `{ error }` with a
 * one-line message `topic @ logTime: what, expected what`.
 */
export function createDecoder(options: DecoderOptions = {}): Decoder {
  const mapping = options.mapping ?? {};
  const setup: ChannelSetup = {
    mapping,
    audioFormats: new Map(),
    vendorSchemas: new Set(options.vendor?.schemas ?? []),
    vendor: options.vendor,
    fallback: options.registryFallback ?? true,
    groundTruthClasses: options.groundTruthClasses ?? {},
  };
  const channels = new Map<string, ChannelState>();
  const stats: DecodeStats = { decoded: 0, skipped: 0, errors: 0, droppedValues: 0, byTopic: new Map() };

  const stateOf = (msg: SensorMessage): ChannelState => {
    const cls = classifyTopic(msg, { vendorSchemas: setup.vendorSchemas });
    const mapped = resolveSensor(msg.topic, cls, mapping);
    // A PointCloud2's fields may say radar: the channel's first message decides, as the plan's did.
    const resolved = { ...mapped, role: roleFromContent(msg, mapping) ?? mapped.role };
    topicStats(stats, msg, resolved.role, resolved.sensorId).role = resolved.role;
    return channelState(msg, cls, resolved, setup);
  };

  const decode = (msg: SensorMessage): DecodeResult => {
    // One compiled schema per channel; re-checked when the channel's schema bytes change.
    const key = `${msg.channelId}\u0000${msg.topic}\u0000${msg.schemaName}\u0000${msg.messageEncoding}`;
    let state = channels.get(key);
    if (!state || !sameBytes(state.schemaData, msg.schemaData)) {
      state = stateOf(msg);
      channels.set(key, state);
    }
    const ts = stats.byTopic.get(msg.topic) ?? topicStats(stats, msg, null, "");
    if (state.kind === "skip") {
      stats.skipped++;
      ts.skipped++;
      ts.lastReason = state.reason;
      return { skipped: state.reason };
    }
    const fail = (reason: string): DecodeResult => {
      const error = `${msg.topic} @ ${msg.logTime}: ${reason}`;
      stats.errors++;
      ts.errors++;
      ts.lastReason = error;
      return { error };
    };
    if (state.kind === "broken") return fail(state.reason);
    const ctx: DecodeContext = { topic: msg.topic, sensorId: state.sensorId, logTime: msg.logTime, dropped: 0 };
    let messages: DecodedMessage[];
    try {
      messages = state.convert(state.read(msg.data), msg, ctx);
    } catch (err) {
      return fail(firstLine(err));
    }
    stats.decoded++;
    ts.decoded++;
    stats.droppedValues += ctx.dropped;
    ts.droppedValues += ctx.dropped;
    return { messages };
  };

  return { decode, stats };
}

/** The topic's counters, created on its first message. */
function topicStats(stats: DecodeStats, msg: SensorMessage, role: TopicRole | null, sensorId: string): TopicDecodeStats {
  let s = stats.byTopic.get(msg.topic);
  if (!s) {
    s = {
      topic: msg.topic,
      schemaName: msg.schemaName,
      role,
      sensorId,
      decoded: 0,
      skipped: 0,
      errors: 0,
      droppedValues: 0,
    };
    stats.byTopic.set(msg.topic, s);
  }
  return s;
}
