import type { VendorDecoders } from "./createDecoder";
import type { ClassifyOptions } from "../config/topicMapping";
import { createRawPacketDecoder, RAW_PACKET_SCHEMAS } from "./vendor/rawPacketDecoders";

/** The raw-packet decoders (Velodyne, Continental ARS548/SRR520) as the decode stage takes them. */
export const VENDOR_DECODERS: VendorDecoders = { schemas: RAW_PACKET_SCHEMAS, create: createRawPacketDecoder };

/** Tells classifyTopic that those packet schemas are decodable. */
export const VENDOR_CLASSIFY: ClassifyOptions = { vendorSchemas: new Set(RAW_PACKET_SCHEMAS) };
