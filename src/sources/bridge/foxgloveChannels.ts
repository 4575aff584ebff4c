import type { Channel } from "@foxglove/ws-protocol";
import { classifyTopic, type TopicMapping } from "../../config/topicMapping";
import { PACKET_SCHEMAS, type SensorMessage } from "../../types";

/** What a message of a channel carries besides its bytes, times and sequence number. */
export type ChannelInfo = Omit<SensorMessage, "logTime" | "publishTime" | "sequence" | "data">;

/** Which advertised channels a source subscribes to. */
export type ChannelFilter = {
  /** Exact topic names; absent: every topic `classifyTopic` supports (or every one, `allTopics`). */
  topics?: ReadonlySet<string>;
  allTopics?: boolean;
  /** Topics it marks `ignore` are never subscribed. */
  mapping?: TopicMapping;
};

const VENDOR_SCHEMAS: ReadonlySet<string> = new Set(PACKET_SCHEMAS);

/** Schema bytes from an advertisement: binary encodings are base64, text encodings UTF-8. */
export function schemaBytes(channel: Pick<Channel, "schema" | "schemaEncoding" | "encoding">): Uint8Array {
  const encoding = channel.schemaEncoding ?? (channel.encoding === "protobuf" ? "protobuf" : "");
  if (encoding === "protobuf" || encoding === "flatbuffer") return new Uint8Array(Buffer.from(channel.schema, "base64"));
  return new TextEncoder().encode(channel.schema);
}

export function schemaEncodingOf(channel: Channel): string {
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

export function channelInfo(ch: Channel): ChannelInfo {
  return {
    topic: ch.topic,
    schemaName: ch.schemaName,
    schemaEncoding: schemaEncodingOf(ch),
    messageEncoding: ch.encoding,
    schemaData: schemaBytes(ch),
    channelId: ch.id,
  };
}

export function wantsChannel(ch: Channel, filter: ChannelFilter): boolean {
  const override = filter.mapping?.[ch.topic];
  if (override === "ignore" || (typeof override === "object" && override.ignore === true)) return false;
  if (filter.topics) return filter.topics.has(ch.topic);
  if (filter.allTopics) return true;
  return classifyTopic(
    { topic: ch.topic, schemaName: ch.schemaName, schemaEncoding: schemaEncodingOf(ch), messageEncoding: ch.encoding },
    { vendorSchemas: VENDOR_SCHEMAS },
  ).supported;
}
