/**
 * Velodyne data packets (1206-byte UDP payloads) → one PointCloudFrame per rotation, unpacked with
 * @foxglove/velodyne-cloud (its default calibration per model; points in the sensor frame,
 * x forward, y left, z up, like the ROS velodyne driver).
 */
import { Calibration, Model, PointCloud, RawPacket, Transformer } from "@foxglove/velodyne-cloud";
import { POINT_STRIDE, type Nanos, type PointCloudFrame } from "../../types";
import { isPacketError, packetError } from "./packetError";
import type { StampedPacket } from "./readPacketMessage";

export const VELODYNE_PACKET_SIZE = 1206;

/** Block start flags (little-endian u16): lasers 0–31, 32–63, 64–95, 96–127. */
const BLOCK_FLAGS = new Set([0xeeff, 0xddff, 0xccff, 0xbbff]);

/** Models velodyne-cloud unpacks, by the names users write in topic mappings. */
export const VELODYNE_MODELS = {
  VLP16: Model.VLP16,
  VLP16HiRes: Model.VLP16HiRes,
  VLP32C: Model.VLP32C,
  HDL32E: Model.HDL32E,
  HDL64E: Model.HDL64E,
  VLS128: Model.VLS128,
} as const;
export type VelodyneModelName = keyof typeof VELODYNE_MODELS;

const MODEL_NAMES = new Map<Model, VelodyneModelName>(
  Object.entries(VELODYNE_MODELS).map(([name, model]) => [model, name as VelodyneModelName]),
);

/** Factory byte (offset 1205) → model, or undefined for a product velodyne-cloud cannot unpack. */
export function velodyneModelOf(packet: Uint8Array): VelodyneModelName | undefined {
  if (packet.byteLength !== VELODYNE_PACKET_SIZE) return undefined;
  const model = RawPacket.InferModel(packet);
  return model === undefined ? undefined : MODEL_NAMES.get(model);
}

export type VelodyneOptions = {
  /** Force a model instead of reading it from each packet's factory byte. */
  model?: VelodyneModelName;
  /** Keep returns within [minRangeM, maxRangeM]; defaults are the model's (0.4 m to 100–300 m). */
  minRangeM?: number;
  maxRangeM?: number;
};

export type VelodyneFrameContext = {
  sensorId: string;
  topic: string;
  frameId: string;
  receivedAt: Nanos;
};

export type VelodyneScanResult = {
  frame: PointCloudFrame;
  model: VelodyneModelName | undefined;
  /** One line per packet that was skipped (wrong size, unknown product, mixed models). */
  errors: string[];
};

/**
 * Turns packets into point clouds. Holds one Transformer per model (their lookup tables take a
 * while to build), so keep one instance per sensor.
 */
export class VelodyneDecoder {
  readonly #options: VelodyneOptions;
  readonly #transformers = new Map<Model, Transformer>();

  constructor(options: VelodyneOptions = {}) {
    this.#options = options;
  }

  #transformer(model: Model): Transformer {
    let t = this.#transformers.get(model);
    if (!t) {
      t = new Transformer(new Calibration(model), { minRange: this.#options.minRangeM, maxRange: this.#options.maxRangeM });
      this.#transformers.set(model, t);
    }
    return t;
  }

  /**
   * Check one packet; returns its model or throws a packet error. `index` names the packet
   * within its scan for the error text.
   */
  checkPacket(data: Uint8Array, index = 0): VelodyneModelName {
    if (data.byteLength !== VELODYNE_PACKET_SIZE) {
      throw packetError(`Velodyne packet ${index}`, `${data.byteLength} bytes`, `${VELODYNE_PACKET_SIZE}`);
    }
    // A corrupt azimuth would index past the library's sin/cos tables and yield NaN points.
    for (let b = 0; b < 12; b++) {
      const at = b * 100;
      const flag = data[at]! | (data[at + 1]! << 8);
      const azimuth = data[at + 2]! | (data[at + 3]! << 8);
      if (!BLOCK_FLAGS.has(flag) || azimuth >= 36000) {
        throw packetError(
          `Velodyne packet ${index}`,
          `block ${b} at offset ${at} has flag 0x${flag.toString(16)} and azimuth ${azimuth}`,
          "flag 0xeeff/0xddff/0xccff/0xbbff and azimuth below 36000 (0.01°)",
        );
      }
    }
    if (this.#options.model) return this.#options.model;
    const model = velodyneModelOf(data);
    if (!model) {
      throw packetError(
        `Velodyne packet ${index}`,
        `factory byte 0x${(data[1205] ?? 0).toString(16)} at offset 1205 is not a supported model`,
        "VLP-16 (0x22), VLP-16 Hi-Res (0x24), VLP-32C (0x28), HDL-32E (0x21), HDL-64E (0xa0) or VLS-128 (0xa1/0x63); set the model explicitly",
      );
    }
    return model;
  }

  /**
   * All packets of one rotation (a VelodyneScan message, or what VelodyneRotationAssembler
   * collected) → one frame stamped with the first good packet's stamp. Bad packets are skipped and
   * reported in `errors`; the frame holds what the others gave.
   */
  decodeScan(packets: readonly StampedPacket[], ctx: VelodyneFrameContext): VelodyneScanResult {
    const errors: string[] = [];
    const good: { packet: StampedPacket; raw: RawPacket; model: VelodyneModelName }[] = [];
    let scanModel: VelodyneModelName | undefined;
    packets.forEach((packet, i) => {
      try {
        const model = this.checkPacket(packet.data, i);
        if (scanModel !== undefined && model !== scanModel) {
          throw packetError(`Velodyne packet ${i}`, `model ${model} in a ${scanModel} scan`, scanModel);
        }
        scanModel = model;
        good.push({ packet, raw: new RawPacket(packet.data), model });
      } catch (err) {
        if (!isPacketError(err)) throw err;
        errors.push(`${ctx.topic}: ${err.message}`);
      }
    });
    const first = good[0];
    const stamp = first ? first.packet.stamp : (packets[0]?.stamp ?? ctx.receivedAt);
    const cloud = new PointCloud({ stamp: 0, maxPoints: Math.max(1, good.length) * RawPacket.MAX_POINTS_PER_PACKET });
    for (const { packet, raw, model } of good) {
      // Seconds relative to the first packet keep float64 precision for the per-point offsets.
      const dt = Number(packet.stamp - stamp) / 1e9;
      this.#transformer(VELODYNE_MODELS[model]).unpack(raw, 0, dt, cloud);
    }
    return { frame: toFrame(cloud, stamp, ctx), model: scanModel, errors };
  }
}

function toFrame(cloud: PointCloud, stamp: Nanos, ctx: VelodyneFrameContext): PointCloudFrame {
  const count = cloud.width;
  const points = new Float32Array(count * POINT_STRIDE);
  const ring = new Uint16Array(count);
  const view = new DataView(cloud.data.buffer, cloud.data.byteOffset, cloud.data.byteLength);
  for (let i = 0; i < count; i++) {
    const at = i * PointCloud.POINT_STEP;
    points[i * POINT_STRIDE] = view.getFloat32(at, true);
    points[i * POINT_STRIDE + 1] = view.getFloat32(at + 4, true);
    points[i * POINT_STRIDE + 2] = view.getFloat32(at + 8, true);
    points[i * POINT_STRIDE + 3] = view.getFloat32(at + 16, true);
    ring[i] = view.getUint16(at + 20, true);
  }
  return {
    kind: "lidar",
    sensorId: ctx.sensorId,
    topic: ctx.topic,
    frameId: ctx.frameId,
    stamp,
    receivedAt: ctx.receivedAt,
    count,
    points,
    ring,
  };
}

/** Azimuth (0.01°) of the first block of a 1206-byte packet. */
function firstAzimuth(data: Uint8Array): number {
  return (data[2] ?? 0) | ((data[3] ?? 0) << 8);
}

/**
 * Live UDP: collect single packets and emit a frame each time the azimuth wraps past `cutAngleDeg`
 * (0° by default), like the ROS driver's `cut_angle`. Memory is bounded by `maxPacketsPerRotation`
 * (a full rotation at the slowest rate of the largest model is well under it); beyond it the
 * collected packets are emitted as a frame.
 */
export class VelodyneRotationAssembler {
  readonly #decoder: VelodyneDecoder;
  readonly #ctx: Omit<VelodyneFrameContext, "receivedAt">;
  readonly #cut: number;
  readonly #maxPackets: number;
  #packets: StampedPacket[] = [];
  #lastAzimuth = -1;
  #lastReceivedAt: Nanos = 0n;

  constructor(
    decoder: VelodyneDecoder,
    ctx: Omit<VelodyneFrameContext, "receivedAt">,
    { cutAngleDeg = 0, maxPacketsPerRotation = 2000 }: { cutAngleDeg?: number; maxPacketsPerRotation?: number } = {},
  ) {
    this.#decoder = decoder;
    this.#ctx = ctx;
    this.#cut = Math.round(cutAngleDeg * 100) % 36000;
    this.#maxPackets = maxPacketsPerRotation;
  }

  /**
   * Add one packet (throws a packet error for a bad one, which is then not kept). Returns the
   * finished rotation when this packet starts a new one.
   */
  push(packet: StampedPacket, receivedAt: Nanos): VelodyneScanResult | undefined {
    this.#decoder.checkPacket(packet.data);
    const azimuth = (firstAzimuth(packet.data) - this.#cut + 36000) % 36000;
    let done: VelodyneScanResult | undefined;
    const wrapped = this.#lastAzimuth >= 0 && azimuth < this.#lastAzimuth;
    if ((wrapped && this.#packets.length > 0) || this.#packets.length >= this.#maxPackets) done = this.flush();
    this.#packets.push(packet);
    this.#lastAzimuth = azimuth;
    this.#lastReceivedAt = receivedAt;
    return done;
  }

  /**
   * Emit what has been collected (end of stream), or undefined when nothing is pending. The
   * frame's `receivedAt` is that of its last packet: when the rotation was complete.
   */
  flush(): VelodyneScanResult | undefined {
    if (this.#packets.length === 0) return undefined;
    const result = this.#decoder.decodeScan(this.#packets, { ...this.#ctx, receivedAt: this.#lastReceivedAt });
    this.#packets = [];
    return result;
  }
}
