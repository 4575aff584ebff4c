import { parse as parseRosMsg } from "@foxglove/rosmsg";
import { MessageWriter } from "@foxglove/rosmsg2-serialization";
import { McapWriter, type IWritable } from "@mcap/core";
import { zstdCompressChunk, zstdReady } from "../../runtime/zstd";
import type { Nanos } from "../../types";
import { ros2SchemaText, type Ros2SchemaName } from "./ros2Schemas";

const FOREVER = "    sec: 2147483647\n    nsec: 4294967295";

/** rosbag2's `offered_qos_profiles` for a reliable, transient-local (latched) publisher. */
function channelMetadata(latched: boolean): Map<string, string> {
  if (!latched) return new Map();
  const profile = [
    "- history: 1",
    "  depth: 1",
    "  reliability: 1",
    "  durability: 1",
    `  deadline:\n${FOREVER}`,
    `  lifespan:\n${FOREVER}`,
    "  liveliness: 1",
    `  liveliness_lease_duration:\n${FOREVER}`,
    "  avoid_ros_namespace_conventions: false",
  ].join("\n");
  return new Map([["offered_qos_profiles", profile]]);
}

/**
 * Writes ROS 2 messages (CDR, `ros2msg` schemas with their full definitions) to an indexed MCAP
 * file with zstd chunks and the `ros2` profile, as rosbag2 does: `ros2 bag play` and any ROS 2
 * tool reading MCAP takes it. Schemas and channels are registered on first use, in order.
 */
export class Ros2McapSink {
  private readonly channels = new Map<string, { id: number; schema: Ros2SchemaName; sequence: number }>();
  private readonly schemas = new Map<Ros2SchemaName, { id: number; writer: MessageWriter }>();
  private readonly encoder = new TextEncoder();

  private constructor(private readonly mcap: McapWriter) {}

  static async open(writable: IWritable, options: { library?: string } = {}): Promise<Ros2McapSink> {
    await zstdReady;
    const mcap = new McapWriter({ writable, chunkSize: 4 * 1024 * 1024, compressChunk: zstdCompressChunk(3) });
    await mcap.start({ profile: "ros2", library: options.library ?? "avfusion" });
    return new Ros2McapSink(mcap);
  }

  private async schema(name: Ros2SchemaName): Promise<{ id: number; writer: MessageWriter }> {
    let s = this.schemas.get(name);
    if (s === undefined) {
      const text = ros2SchemaText(name);
      const id = await this.mcap.registerSchema({ name, encoding: "ros2msg", data: this.encoder.encode(text) });
      s = { id, writer: new MessageWriter(parseRosMsg(text, { ros2: true })) };
      this.schemas.set(name, s);
    }
    return s;
  }

  /**
   * Serializes `message` (plain object, the .msg field names) as `schema` on `topic`. `latched`
   * (for /tf_static) records the topic as rosbag2 does a transient-local publisher, so
   * `ros2 bag play` re-offers it to nodes that subscribe later.
   */
  async write(topic: string, schema: Ros2SchemaName, logTime: Nanos, message: object, latched = false): Promise<void> {
    const s = await this.schema(schema);
    let ch = this.channels.get(topic);
    if (ch === undefined) {
      const id = await this.mcap.registerChannel({ topic, schemaId: s.id, messageEncoding: "cdr", metadata: channelMetadata(latched) });
      ch = { id, schema, sequence: 0 };
      this.channels.set(topic, ch);
    } else if (ch.schema !== schema) {
      throw new Error(`Ros2McapSink: topic ${topic} was registered with ${ch.schema}, got a ${schema} message`);
    }
    ch.sequence++;
    const data = s.writer.writeMessage(message);
    await this.mcap.addMessage({ channelId: ch.id, sequence: ch.sequence, logTime, publishTime: logTime, data });
  }

  /** Writes the last chunk, the summary and the footer. The writable is not closed. */
  async close(): Promise<void> {
    await this.mcap.end();
  }
}
