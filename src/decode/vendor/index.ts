/** Vendor packet decoders: what the decode stage and the UDP drivers use. */
export {
  createRawPacketDecoder,
  createUdpPacketDecoder,
  isRawPacketSchema,
  RAW_PACKET_SCHEMAS,
  type RawPacketDecoder,
  type RawPacketDecoderOptions,
  type RawPacketModel,
  type RawPacketResult,
  type RawPacketStats,
  type UdpPacketDecoder,
} from "./rawPacketDecoders";
export { readPacketMessage, type PacketMessage, type StampedPacket } from "./readPacketMessage";
export { identifyPacket, type PacketIdentity } from "./identifyPacket";
export { isPacketError, packetError } from "./packetError";
export * from "./ars548";
export * from "./ars548Frames";
export * from "./ars548Types";
export * from "./srr520";
export * from "./srr520Frames";
export * from "./velodyne";
