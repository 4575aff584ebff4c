import type { Nanos } from "./time";

/**
 * One raw message as a source delivers it, before decoding. Sources (MCAP files, Foxglove
 * WebSocket, UDP drivers) all produce this shape so that decode/ does not care where bytes came from.
 */
export type SensorMessage = {
  /** Topic (MCAP channel topic, WebSocket channel topic, or `udp:<driver>:<port>`). */
  topic: string;
  /** Schema name, e.g. `foxglove.CompressedImage` or `sensor_msgs/msg/PointCloud2`; "" when schemaless. */
  schemaName: string;
  /** Schema encoding: `protobuf`, `ros2msg`, `ros2idl`, `jsonschema`, "" ... */
  schemaEncoding: string;
  /** Message encoding: `protobuf`, `cdr`, `json`, ... */
  messageEncoding: string;
  /** Schema bytes (FileDescriptorSet, ros2msg text, ...), shared between messages of a channel. */
  schemaData: Uint8Array;
  /** Source-specific channel id; unique per topic within one source. */
  channelId: number;
  /** Time the message was logged / received (ns). */
  logTime: Nanos;
  /** Time the message was published (ns); equals logTime where the source has no such notion. */
  publishTime: Nanos;
  /** Per-channel sequence number where the source has one, else 0. */
  sequence: number;
  /** The serialized message. */
  data: Uint8Array;
};
