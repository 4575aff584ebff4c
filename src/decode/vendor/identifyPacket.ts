/**
 * Tell which sensor a raw packet came from, from its bytes alone, so a recording or a UDP port
 * can be mapped to a decoder (or to a clear "not supported" reason) without configuration.
 */
import { looksLikeArs548 } from "./ars548";
import { SRR520_PAYLOAD_SIZE } from "./srr520";
import { VELODYNE_PACKET_SIZE, velodyneModelOf, type VelodyneModelName } from "./velodyne";

export type PacketIdentity =
  | { vendor: "continental"; model: "ARS548"; supported: true }
  | { vendor: "velodyne"; model: VelodyneModelName; supported: true }
  | { vendor: "continental"; model: "SRR520"; supported: true }
  | { vendor: "hesai"; model: string; supported: false; reason: string }
  | { vendor: "velodyne"; model: "unknown"; supported: false; reason: string }
  | { vendor: "unknown"; model: "unknown"; supported: false; reason: string };

/** Hesai point-cloud packets start with 0xEE 0xFF, then protocol major/minor and the laser count. */
const HESAI_MODELS: Record<string, string> = {
  "3.1/64": "PandarQT64",
  "6.1/32": "PandarXT32",
  "6.1/16": "PandarXT16",
  "4.3/128": "PandarQT128",
  "1.4/40": "Pandar40P",
  "1.4/64": "Pandar64",
};

export function identifyPacket(data: Uint8Array): PacketIdentity {
  if (looksLikeArs548(data)) return { vendor: "continental", model: "ARS548", supported: true };
  if (data.byteLength === VELODYNE_PACKET_SIZE) {
    const model = velodyneModelOf(data);
    if (model) return { vendor: "velodyne", model, supported: true };
    // Every block of a Velodyne data packet starts with a 0xFFEE-style bank flag.
    if (data[0] === 0xff && (data[1] === 0xee || data[1] === 0xdd || data[1] === 0xcc || data[1] === 0xbb)) {
      return {
        vendor: "velodyne",
        model: "unknown",
        supported: false,
        reason: `Velodyne packet with factory byte 0x${(data[1205] ?? 0).toString(16)} (offset 1205) of a product @foxglove/velodyne-cloud cannot unpack`,
      };
    }
  }
  if (data.byteLength >= 8 && data[0] === 0xee && data[1] === 0xff) {
    const version = `${data[2]}.${data[3]}`;
    const lasers = data[6] ?? 0;
    const model = HESAI_MODELS[`${version}/${lasers}`] ?? `Hesai (protocol ${version}, ${lasers} lasers)`;
    return {
      vendor: "hesai",
      model,
      supported: false,
      reason: `${model} packets are recognised but not decoded: no Hesai decoder yet (formats are in tier4/nebula's nebula_hesai)`,
    };
  }
  if (data.byteLength >= 4) {
    const canId = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0);
    const size = SRR520_PAYLOAD_SIZE.get(canId);
    if (size !== undefined && data.byteLength - 4 === size) {
      return { vendor: "continental", model: "SRR520", supported: true };
    }
  }
  return {
    vendor: "unknown",
    model: "unknown",
    supported: false,
    reason: `unrecognised ${data.byteLength}-byte packet starting ${hex(data.subarray(0, 8))}, expected an ARS548 PDU, a 1206-byte Velodyne packet, a Hesai (0xEE 0xFF) packet or an SRR520 CAN frame`,
  };
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}
