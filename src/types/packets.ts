import type { Nanos } from "./time";
import type { PointCloudFrame, RadarFrame } from "./frames";

/**
 * ROS 2 schemas whose messages are a header plus an array of raw vendor packets. Sources need the
 * names (to subscribe to such topics) and the vendor decoders need them (to decode them).
 */
export const PACKET_SCHEMAS = ["nebula_msgs/msg/NebulaPackets", "velodyne_msgs/msg/VelodyneScan", "pandar_msgs/msg/PandarScan"] as const;
export type PacketSchemaName = (typeof PACKET_SCHEMAS)[number];

/** What one datagram (or a flush at end of stream) gave a datagram decoder. */
export type DatagramResult = {
  frames: (RadarFrame | PointCloudFrame)[];
  /** Datagrams skipped as malformed. */
  malformed: number;
  /** One line per malformed datagram. */
  errors: string[];
};

/**
 * Turns one sensor's datagrams into frames. The UDP source (a stage that only receives) is given
 * one per sensor by whoever wires it to the vendor decoders (the decode stage).
 */
export interface DatagramDecoder {
  /** One datagram payload, stamped with its arrival time (ns). */
  push(datagram: Uint8Array, receivedAt: Nanos): DatagramResult;
  /** End of stream: a partial rotation, if any. */
  flush(): DatagramResult;
}
