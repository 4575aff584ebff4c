import { PACKET_SCHEMAS, type PacketSchemaName } from "../../types/packets";
import { parse } from "@foxglove/rosmsg";
import { MessageReader } from "@foxglove/rosmsg2-serialization";
import { fromSecNsec, type Nanos } from "../../types";
import { packetError } from "./packetError";

/** One raw vendor packet (UDP payload or CAN frame) with the host time it was received. */
export type StampedPacket = {
  stamp: Nanos;
  data: Uint8Array;
};

/** A ROS message that carries raw packets, reduced to what the vendor decoders need. */
export type PacketMessage = {
  /** Header stamp (ns). */
  stamp: Nanos;
  frameId: string;
  packets: StampedPacket[];
};

export { PACKET_SCHEMAS, type PacketSchemaName } from "../../types/packets";

export function isPacketSchema(name: string): name is PacketSchemaName {
  return (PACKET_SCHEMAS as readonly string[]).includes(name);
}

type RosTime = { sec: number; nanosec: number };
type RosPacketMessage = {
  header: { stamp: RosTime; frame_id: string };
  packets: { stamp: RosTime; data: Uint8Array; size?: number }[];
};

// Parsing a schema costs far more than reading a message; channels share one schema text.
const readers = new Map<string, MessageReader<RosPacketMessage>>();
const MAX_CACHED_READERS = 64;
const schemaTexts = new WeakMap<Uint8Array, string>();

function readerFor(schemaName: string, schemaText: string): MessageReader<RosPacketMessage> {
  const key = `${schemaName}\n${schemaText}`;
  let reader = readers.get(key);
  if (!reader) {
    let definitions;
    try {
      definitions = parse(schemaText, { ros2: true });
    } catch (err) {
      throw packetError(schemaName, `cannot parse ros2msg schema: ${(err as Error).message.split("\n")[0]}`);
    }
    const root = definitions[0];
    const fields = new Set(root?.definitions.map((d) => d.name));
    if (!fields.has("header") || !fields.has("packets")) {
      throw packetError(schemaName, `schema has fields [${[...fields].join(", ")}]`, "header and packets");
    }
    if (readers.size >= MAX_CACHED_READERS) readers.clear();
    reader = new MessageReader<RosPacketMessage>(definitions);
    readers.set(key, reader);
  }
  return reader;
}

/**
 * Decode one CDR message of a packet schema (NebulaPackets, VelodyneScan, PandarScan) with the
 * ros2msg schema text stored alongside it (MCAP schema record or Foxglove advertisement).
 * `where` names the source (topic, file offset) for error text.
 */
export function readPacketMessage(schemaName: string, schemaData: Uint8Array | string, data: Uint8Array, where = ""): PacketMessage {
  const at = where ? ` (${where})` : "";
  let schemaText: string;
  if (typeof schemaData === "string") {
    schemaText = schemaData;
  } else {
    // Sources share one schema buffer per channel; decode its text once.
    schemaText = schemaTexts.get(schemaData) ?? new TextDecoder().decode(schemaData);
    schemaTexts.set(schemaData, schemaText);
  }
  const reader = readerFor(schemaName, schemaText);
  let msg: RosPacketMessage;
  try {
    msg = reader.readMessage(data);
  } catch (err) {
    throw packetError(
      `${schemaName}${at}`,
      `CDR message of ${data.byteLength} bytes does not decode: ${(err as Error).message.split("\n")[0]}`,
    );
  }
  // @foxglove/cdr reads uint8[] as a view of the underlying ArrayBuffer without checking the
  // message's own length, so a truncated message inside a larger buffer (an MCAP chunk) "decodes"
  // into its neighbours' bytes. Only the consumed length tells.
  const consumed = reader.lastReadByteLength();
  if (consumed > data.byteLength) {
    throw packetError(
      `${schemaName}${at}`,
      `CDR message is ${data.byteLength} bytes but its packets need ${consumed}`,
      "a complete message (truncated?)",
    );
  }
  // rmw pads a CDR buffer to a multiple of 4, so up to 3 trailing bytes are normal.
  const trailing = data.byteLength - consumed;
  if (trailing > 3) {
    throw packetError(
      `${schemaName}${at}`,
      `${trailing} bytes left after the message at offset ${reader.lastReadByteLength()}`,
      "at most 3 bytes of padding",
    );
  }
  return {
    stamp: fromSecNsec({ sec: msg.header.stamp.sec, nsec: msg.header.stamp.nanosec }),
    frameId: msg.header.frame_id,
    packets: msg.packets.map((p) => ({
      stamp: fromSecNsec({ sec: p.stamp.sec, nsec: p.stamp.nanosec }),
      // PandarPacket stores a fixed 1500-byte array and the used length separately.
      data: p.size !== undefined && p.size <= p.data.byteLength ? p.data.subarray(0, p.size) : p.data,
    })),
  };
}
