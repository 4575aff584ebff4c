import { parse as parseRosMsg } from "@foxglove/rosmsg";
import { MessageWriter } from "@foxglove/rosmsg2-serialization";
import { encodeProto, fileDescriptorSet } from "../../schemas/protoRegistry";
import type { SensorMessage } from "../../types";
import { ROS2_SCHEMA_TEXT } from "./ros2Schemas";

/** Builders of `SensorMessage`s for tests: protobuf with our registry's descriptor, ROS 2 CDR with MessageWriter. */

let nextChannel = 1;
const channelIds = new Map<string, number>();
function channelId(topic: string): number {
  let id = channelIds.get(topic);
  if (id === undefined) {
    id = nextChannel++;
    channelIds.set(topic, id);
  }
  return id;
}

export function protoMessage(topic: string, schemaName: string, obj: object, logTime = 1_000_000_000n): SensorMessage {
  return {
    topic,
    schemaName,
    schemaEncoding: "protobuf",
    messageEncoding: "protobuf",
    schemaData: fileDescriptorSet(schemaName),
    channelId: channelId(topic),
    logTime,
    publishTime: logTime,
    sequence: 0,
    data: encodeProto(schemaName, obj),
  };
}

const writers = new Map<string, MessageWriter>();

export function ros2Bytes(schemaName: string, obj: object): Uint8Array {
  let w = writers.get(schemaName);
  if (!w) {
    w = new MessageWriter(parseRosMsg(ROS2_SCHEMA_TEXT[schemaName], { ros2: true }));
    writers.set(schemaName, w);
  }
  return w.writeMessage(obj);
}

export function ros2Message(topic: string, schemaName: string, obj: object, logTime = 1_000_000_000n): SensorMessage {
  const text = ROS2_SCHEMA_TEXT[schemaName];
  if (text === undefined) throw new Error(`no test schema text for ${schemaName}`);
  return {
    topic,
    schemaName,
    schemaEncoding: "ros2msg",
    messageEncoding: "cdr",
    schemaData: new TextEncoder().encode(text),
    channelId: channelId(topic),
    logTime,
    publishTime: logTime,
    sequence: 0,
    data: ros2Bytes(schemaName, obj),
  };
}

/** A ROS header with a stamp in ns. */
export function rosHeader(stampNs: bigint, frameId: string): { stamp: { sec: number; nanosec: number }; frame_id: string } {
  return { stamp: { sec: Number(stampNs / 1_000_000_000n), nanosec: Number(stampNs % 1_000_000_000n) }, frame_id: frameId };
}

/** A protobuf Timestamp from ns. */
export function pbStamp(stampNs: bigint): { seconds: number; nanos: number } {
  return { seconds: Number(stampNs / 1_000_000_000n), nanos: Number(stampNs % 1_000_000_000n) };
}

export const JPEG_BYTES = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 0xff, 0xd9]);
export const PNG_BYTES = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
