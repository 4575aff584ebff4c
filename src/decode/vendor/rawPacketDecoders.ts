/**
 * Registry: a ROS schema that carries raw vendor packets (+ the sensor model, given or read from
 * the packets) → a decoder that turns one message into frames. The decode stage hooks this in for
 * `nebula_msgs/msg/NebulaPackets`, `velodyne_msgs/msg/VelodyneScan` and
 * `pandar_msgs/msg/PandarScan` channels; UDP drivers use `createUdpPacketDecoder` (one datagram at
 * a time, Velodyne rotations assembled across datagrams).
 *
 * Malformed packets are counted and skipped (one-line reasons in `errors`); a message that does
 * not decode at all gives a result with no frames and one error. Nothing here throws for bad input.
 */
import type { Nanos, PointCloudFrame, RadarFrame, SensorMessage } from "../../types";
import { decodeArs548Packet } from "./ars548";
import {
  ars548DetectionsToFrame,
  ars548MountingOf,
  ars548ObjectsToFrame,
  type Ars548FrameOptions,
  type Ars548Mounting,
} from "./ars548Frames";
import type { Ars548SensorStatus } from "./ars548Types";
import { identifyPacket, type PacketIdentity } from "./identifyPacket";
import { Srr520Assembler } from "./srr520";
import { srr520DetectionsToFrame, srr520ObjectsToFrame } from "./srr520Frames";
import { isPacketError } from "./packetError";
import { isPacketSchema, PACKET_SCHEMAS, readPacketMessage, type PacketMessage, type StampedPacket } from "./readPacketMessage";
import { VELODYNE_MODELS, VelodyneDecoder, VelodyneRotationAssembler, type VelodyneModelName } from "./velodyne";

export { PACKET_SCHEMAS as RAW_PACKET_SCHEMAS };

export type RawPacketModel = "ARS548" | "SRR520" | VelodyneModelName | "Hesai";

export type RawPacketDecoderOptions = {
  sensorId: string;
  topic: string;
  /** Sensor model; read from the first recognisable packet when absent. */
  model?: RawPacketModel;
  /** frame_id to use when the message header has none (UDP, or an empty header). */
  frameId?: string;
  ars548?: Pick<Ars548FrameOptions, "objectFrameId" | "useSensorTime" | "mounting"> & {
    /**
     * Frame for objects: "sensor" (default) moves them into the radar frame next to the detections,
     * with `mounting` or else the mounting the radar last reported (detection list origin, sensor
     * status); until one is known they stay in the vehicle frame. "vehicle" keeps the radar's own.
     */
    objectsIn?: "sensor" | "vehicle";
  };
  /** SRR520 objects come in the vehicle frame; default `base_link`. */
  srr520?: { objectFrameId?: string };
  velodyne?: { minRangeM?: number; maxRangeM?: number; cutAngleDeg?: number };
};

export type RawPacketResult = {
  frames: (RadarFrame | PointCloudFrame)[];
  /** Packets in the message. */
  packets: number;
  /** Packets (or whole messages) skipped as malformed. */
  malformed: number;
  /** One line per malformed packet / message. */
  errors: string[];
  /** Set when the packets are recognised but their sensor is not supported (no frames then). */
  unsupported?: string;
};

export type RawPacketStats = {
  messages: number;
  packets: number;
  frames: number;
  malformed: number;
  unsupported: number;
};

export interface RawPacketDecoder {
  readonly schemaName: string;
  /** The model in use: given, or inferred from the first packet seen (undefined until then). */
  readonly model: RawPacketModel | undefined;
  /** Last ARS548 sensor status packet seen (mounting, firmware, blockage), if any. */
  readonly ars548Status: Ars548SensorStatus | undefined;
  readonly stats: Readonly<RawPacketStats>;
  /** Decode one CDR message of this decoder's schema. */
  decodeMessage(message: SensorMessage): RawPacketResult;
  /** Decode already-unwrapped packets (UDP datagrams, or a PacketMessage read elsewhere). */
  decodePackets(message: PacketMessage, receivedAt: Nanos): RawPacketResult;
}

/** True when `createRawPacketDecoder` accepts this schema name. */
export function isRawPacketSchema(schemaName: string): boolean {
  return isPacketSchema(schemaName);
}

function modelOfIdentity(id: PacketIdentity): RawPacketModel | undefined {
  if (id.vendor === "continental") return id.model;
  if (id.vendor === "velodyne" && id.model !== "unknown") return id.model;
  if (id.vendor === "hesai") return "Hesai";
  return undefined;
}

/**
 * Live UDP: one datagram at a time. ARS548 and SRR520 frames come out as their lists complete;
 * Velodyne packets are gathered into rotations (cut at `velodyne.cutAngleDeg`, default 0°).
 */
export interface UdpPacketDecoder {
  readonly model: RawPacketModel | undefined;
  readonly ars548Status: Ars548SensorStatus | undefined;
  readonly stats: Readonly<RawPacketStats>;
  /** One datagram payload, stamped with its arrival time (ns). */
  push(datagram: Uint8Array, receivedAt: Nanos): RawPacketResult;
  /** End of stream: the partial Velodyne rotation, if any. */
  flush(): RawPacketResult;
}

export function createUdpPacketDecoder(options: RawPacketDecoderOptions): UdpPacketDecoder {
  return new Registry("udp", options);
}

/** The vendor decoder options a UDP sensor spec may carry (its id and topic come from the spec). */
export type VendorDatagramOptions = Omit<RawPacketDecoderOptions, "sensorId" | "topic">;

/**
 * `udpSource`'s `createDecoder` for the vendor units it listens for: an ARS548 port is read as an
 * ARS548 unless the spec names a model; a Velodyne's model is read from its first packet.
 */
export function createVendorDatagramDecoder(sensor: {
  driver: string;
  sensorId: string;
  topic: string;
  decoder?: VendorDatagramOptions | undefined;
}): UdpPacketDecoder {
  return createUdpPacketDecoder({
    ...sensor.decoder,
    model: sensor.decoder?.model ?? (sensor.driver === "ars548" ? "ARS548" : undefined),
    sensorId: sensor.sensorId,
    topic: sensor.topic,
  });
}

/**
 * A decoder for one channel. Throws (at set-up, not per message) when the schema is not a
 * raw-packet schema.
 */
export function createRawPacketDecoder(schemaName: string, options: RawPacketDecoderOptions): RawPacketDecoder {
  if (!isPacketSchema(schemaName)) {
    throw new Error(
      `raw packet decoder for ${options.topic}: schema ${schemaName} is not a packet schema, expected one of ${PACKET_SCHEMAS.join(", ")}`,
    );
  }
  return new Registry(schemaName, options);
}

class Registry implements RawPacketDecoder, UdpPacketDecoder {
  readonly schemaName: string;
  readonly stats: RawPacketStats = { messages: 0, packets: 0, frames: 0, malformed: 0, unsupported: 0 };
  ars548Status: Ars548SensorStatus | undefined;
  #ars548Mounting: Ars548Mounting | undefined;
  #model: RawPacketModel | undefined;
  #unsupportedReason: string | undefined;
  readonly #options: RawPacketDecoderOptions;
  #velodyne: VelodyneDecoder | undefined;
  #srr520: Srr520Assembler | undefined;
  #rotation: VelodyneRotationAssembler | undefined;

  constructor(schemaName: string, options: RawPacketDecoderOptions) {
    this.schemaName = schemaName;
    this.#options = options;
    if (options.model) this.#setModel(options.model);
  }

  get model(): RawPacketModel | undefined {
    return this.#model;
  }

  #setModel(model: RawPacketModel, reason?: string): void {
    this.#model = model;
    if (model === "Hesai") {
      this.#unsupportedReason = reason ?? "Hesai packets are recognised but not decoded: no Hesai decoder yet";
    } else if (model === "SRR520") {
      this.#srr520 = new Srr520Assembler();
    } else if (model in VELODYNE_MODELS) {
      this.#velodyne = new VelodyneDecoder({
        model: this.#options.model === undefined ? undefined : (model as VelodyneModelName),
        ...this.#options.velodyne,
      });
      if (this.schemaName === "udp") {
        this.#rotation = new VelodyneRotationAssembler(
          this.#velodyne,
          { sensorId: this.#options.sensorId, topic: this.#options.topic, frameId: this.#options.frameId ?? "" },
          { cutAngleDeg: this.#options.velodyne?.cutAngleDeg },
        );
      }
    }
  }

  push(datagram: Uint8Array, receivedAt: Nanos): RawPacketResult {
    return this.decodePackets({ stamp: receivedAt, frameId: "", packets: [{ stamp: receivedAt, data: datagram }] }, receivedAt);
  }

  flush(): RawPacketResult {
    const result: RawPacketResult = { frames: [], packets: 0, malformed: 0, errors: [] };
    const scan = this.#rotation?.flush();
    if (scan) {
      result.frames.push(scan.frame);
      this.stats.frames++;
    }
    return result;
  }

  decodeMessage(message: SensorMessage): RawPacketResult {
    let msg: PacketMessage;
    try {
      msg = readPacketMessage(this.schemaName, message.schemaData, message.data, `topic ${message.topic}, log time ${message.logTime}`);
    } catch (err) {
      if (!isPacketError(err)) throw err;
      this.stats.messages++;
      this.stats.malformed++;
      return { frames: [], packets: 0, malformed: 1, errors: [err.message] };
    }
    return this.decodePackets(msg, message.logTime);
  }

  decodePackets(msg: PacketMessage, receivedAt: Nanos): RawPacketResult {
    this.stats.messages++;
    this.stats.packets += msg.packets.length;
    if (this.#model === undefined) {
      for (const p of msg.packets) {
        const id = identifyPacket(p.data);
        const model = modelOfIdentity(id);
        if (model) {
          this.#setModel(model, id.supported ? undefined : id.reason);
          break;
        }
      }
    }
    const result: RawPacketResult = { frames: [], packets: msg.packets.length, malformed: 0, errors: [] };
    if (this.#model === undefined) {
      if (msg.packets.length > 0) {
        const first = msg.packets[0]!;
        result.malformed = msg.packets.length;
        result.errors.push(`${this.#options.topic}: ${(identifyPacket(first.data) as { reason: string }).reason}`);
      }
    } else if (this.#unsupportedReason) {
      this.stats.unsupported++;
      result.unsupported = `${this.#options.topic}: ${this.#unsupportedReason}`;
    } else if (this.#model === "ARS548") {
      this.#decodeArs548(msg, receivedAt, result);
    } else if (this.#srr520) {
      this.#decodeSrr520(this.#srr520, msg, receivedAt, result);
    } else if (this.#rotation) {
      this.#pushVelodyne(this.#rotation, msg, receivedAt, result);
    } else if (this.#velodyne) {
      const scan = this.#velodyne.decodeScan(msg.packets, {
        sensorId: this.#options.sensorId,
        topic: this.#options.topic,
        frameId: msg.frameId || this.#options.frameId || "",
        receivedAt,
      });
      result.malformed += scan.errors.length;
      result.errors.push(...scan.errors);
      if (scan.errors.length < msg.packets.length) result.frames.push(scan.frame);
    }
    this.stats.malformed += result.malformed;
    this.stats.frames += result.frames.length;
    return result;
  }

  #pushVelodyne(rotation: VelodyneRotationAssembler, msg: PacketMessage, receivedAt: Nanos, result: RawPacketResult): void {
    for (const packet of msg.packets) {
      try {
        const done = rotation.push(packet, receivedAt);
        if (done) result.frames.push(done.frame);
      } catch (err) {
        if (!isPacketError(err)) throw err;
        result.malformed++;
        result.errors.push(`${this.#options.topic}: ${err.message}`);
      }
    }
  }

  #decodeSrr520(assembler: Srr520Assembler, msg: PacketMessage, receivedAt: Nanos, result: RawPacketResult): void {
    const opts = {
      sensorId: this.#options.sensorId,
      topic: this.#options.topic,
      frameId: msg.frameId || this.#options.frameId || "",
      receivedAt,
      ...this.#options.srr520,
    };
    this.#eachPacket(msg, result, (packet) => {
      const list = assembler.push(packet);
      if (list?.type === "objectList") result.frames.push(srr520ObjectsToFrame(list, opts));
      else if (list) result.frames.push(srr520DetectionsToFrame(list, opts));
    });
  }

  #decodeArs548(msg: PacketMessage, receivedAt: Nanos, result: RawPacketResult): void {
    const { objectsIn = "sensor", mounting, ...frameOptions } = this.#options.ars548 ?? {};
    this.#eachPacket(msg, result, (packet) => {
      const decoded = decodeArs548Packet(packet.data);
      const opts: Ars548FrameOptions = {
        sensorId: this.#options.sensorId,
        topic: this.#options.topic,
        frameId: msg.frameId || this.#options.frameId || "",
        packetStamp: packet.stamp,
        receivedAt,
        ...frameOptions,
      };
      if (decoded.type === "detectionList") {
        const reported = ars548MountingOf(decoded);
        if (Object.values(reported).every(Number.isFinite)) this.#ars548Mounting = reported;
        result.frames.push(ars548DetectionsToFrame(decoded, opts));
      } else if (decoded.type === "objectList") {
        const useMounting = objectsIn === "sensor" ? (mounting ?? this.#ars548Mounting) : undefined;
        result.frames.push(ars548ObjectsToFrame(decoded, { ...opts, mounting: useMounting }));
      } else if (decoded.type === "sensorStatus") {
        this.ars548Status = decoded;
        const configured = {
          x: decoded.longitudinal,
          y: decoded.lateral,
          z: decoded.vertical,
          yawRad: decoded.yaw,
          pitchRad: decoded.pitch,
          rollRad: 0,
        };
        if (Object.values(configured).every(Number.isFinite)) this.#ars548Mounting ??= configured;
      }
    });
  }

  /** Each packet of the message through `decode`; a malformed one is counted and named, the rest go on. */
  #eachPacket(msg: PacketMessage, result: RawPacketResult, decode: (packet: StampedPacket) => void): void {
    msg.packets.forEach((packet, i) => {
      try {
        decode(packet);
      } catch (err) {
        if (!isPacketError(err)) throw err;
        result.malformed++;
        result.errors.push(`${this.#options.topic}: packet ${i}: ${err.message}`);
      }
    });
  }
}
