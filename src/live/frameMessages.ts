import { encodeProto, fileDescriptorSet } from "../schemas/protoRegistry";
import { parse as parseRosMsg } from "@foxglove/rosmsg";
import { MessageWriter } from "@foxglove/rosmsg2-serialization";
import { frameTransformsProto, pointCloudProto, radarScanProto } from "../schemas/protoObjects";
import type { FrameTransform, Nanos, PointCloudFrame, SensorMessage } from "../types";

/**
 * Messages the live glue makes itself, so that everything enters the scene pipeline through its
 * decode stage like a recording: LiDAR rotations the UDP driver assembled as `foxglove.PointCloud`,
 * raw radar packets as `nebula_msgs/msg/NebulaPackets`, sensor
 * mountings as `foxglove.FrameTransforms`, and the clock heartbeat.
 */

const descriptorCache = new Map<string, Uint8Array>();
function descriptor(typeName: string): Uint8Array {
  let d = descriptorCache.get(typeName);
  if (!d) descriptorCache.set(typeName, (d = fileDescriptorSet(typeName)));
  return d;
}

function message(topic: string, typeName: string, channelId: number, data: Uint8Array, logTime: Nanos, sequence: number): SensorMessage {
  return {
    topic,
    schemaName: typeName,
    schemaEncoding: "protobuf",
    messageEncoding: "protobuf",
    schemaData: descriptor(typeName),
    channelId,
    logTime,
    publishTime: logTime,
    sequence,
    data,
  };
}

/** A decoded LiDAR rotation as a lossless `foxglove.PointCloud`, so the decode stage gives back exactly the same points. */
export function pointCloudMessage(
  frame: PointCloudFrame,
  opts: { topic?: string; channelId?: number; logTime: Nanos; sequence?: number },
): SensorMessage {
  const obj = pointCloudProto(frame, "lossless");
  return message(
    opts.topic ?? frame.topic,
    "foxglove.PointCloud",
    opts.channelId ?? 0,
    encodeProto("foxglove.PointCloud", obj),
    opts.logTime,
    opts.sequence ?? 0,
  );
}

/** `nebula_msgs/msg/NebulaPackets` as the nebula drivers record it (ros2msg). */
export const NEBULA_PACKETS_SCHEMA = [
  "std_msgs/Header header",
  "nebula_msgs/NebulaPacket[] packets",
  "================================================================================",
  "MSG: std_msgs/Header",
  "builtin_interfaces/Time stamp",
  "string frame_id",
  "================================================================================",
  "MSG: builtin_interfaces/Time",
  "int32 sec",
  "uint32 nanosec",
  "================================================================================",
  "MSG: nebula_msgs/NebulaPacket",
  "builtin_interfaces/Time stamp",
  "uint8[] data",
].join("\n");
const NEBULA_SCHEMA_BYTES = new TextEncoder().encode(NEBULA_PACKETS_SCHEMA);
let nebulaWriter: MessageWriter | undefined;

const rosTime = (ns: Nanos): { sec: number; nanosec: number } => ({
  sec: Number(ns / 1_000_000_000n),
  nanosec: Number(ns % 1_000_000_000n),
});

/**
 * One raw sensor packet (a UDP datagram) as a `nebula_msgs/msg/NebulaPackets` CDR message with
 * that one packet, stamped `stamp`: the decode stage's vendor decoders read it like a packet
 * recording (Velodyne data packets, ARS548 PDUs are recognised from their bytes).
 */
export function packetMessage(
  topic: string,
  data: Uint8Array,
  opts: { frameId: string; stamp: Nanos; sequence?: number; channelId?: number },
): SensorMessage {
  nebulaWriter ??= new MessageWriter(parseRosMsg(NEBULA_PACKETS_SCHEMA, { ros2: true }));
  const time = rosTime(opts.stamp);
  const bytes = nebulaWriter.writeMessage({ header: { stamp: time, frame_id: opts.frameId }, packets: [{ stamp: time, data }] });
  return {
    topic,
    schemaName: "nebula_msgs/msg/NebulaPackets",
    schemaEncoding: "ros2msg",
    messageEncoding: "cdr",
    schemaData: NEBULA_SCHEMA_BYTES,
    channelId: opts.channelId ?? 0,
    logTime: opts.stamp,
    publishTime: opts.stamp,
    sequence: opts.sequence ?? 0,
    data: bytes,
  };
}

/** A `/tf`-style `foxglove.FrameTransforms` message carrying sensor mountings (parent ← child). */
export function transformsMessage(
  transforms: FrameTransform[],
  opts: { topic?: string; channelId?: number; logTime: Nanos },
): SensorMessage {
  return message(
    opts.topic ?? "/tf",
    "foxglove.FrameTransforms",
    opts.channelId ?? 0,
    encodeProto("foxglove.FrameTransforms", frameTransformsProto(transforms)),
    opts.logTime,
    0,
  );
}

/**
 * The live clock's heartbeat: an empty radar scan on a topic no sensor uses. The aligner runs on
 * the recording clock (largest `logTime` seen); a heartbeat every few ms carries the arrival clock
 * read on the source clock, so ticks keep coming at the tick rate while every source is silent.
 * Its sensor id is not in the plan: the aligner counts it as `unknownSensor` and skips it.
 */
export const HEARTBEAT_TOPIC = "/avfusion_live_clock_heartbeat";
export const HEARTBEAT_SENSOR_ID = "avfusion_live_clock_heartbeat";

let heartbeatBytes: Uint8Array | undefined;
export function heartbeatMessage(logTime: Nanos, sequence: number): SensorMessage {
  heartbeatBytes ??= encodeProto("avfusion.RadarScan", radarScanProto(0n, HEARTBEAT_SENSOR_ID, [], [], 0, 0));
  return message(HEARTBEAT_TOPIC, "avfusion.RadarScan", -1, heartbeatBytes, logTime, sequence);
}
