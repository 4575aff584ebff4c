import { McapIndexedReader, McapStreamReader } from "@mcap/core";
import { decompressHandlers } from "../src/sources/mcap/decompress";
import { BufferReadable } from "../src/sources/mcap/BufferReadable";
import { MemoryWritable } from "../src/sources/mcap/MemoryWritable";
import { decodeProto } from "../src/schemas/protoRegistry";
import { simulateToMcap, type SimulationStats } from "../src/sim/simulate";
import { validateScenario, type Scenario, type ScenarioInput } from "../src/sim/scenario";

/** Shared helpers for the simulator tests: run a scenario into memory and read it back. */
export type ReadMessage = {
  topic: string;
  schemaName: string;
  schemaEncoding: string;
  schemaData: Uint8Array;
  messageEncoding: string;
  channelId: number;
  logTime: bigint;
  publishTime: bigint;
  sequence: number;
  data: Uint8Array;
};

export async function simulateBytes(scenario: Scenario): Promise<{ bytes: Uint8Array; stats: SimulationStats }> {
  const out = new MemoryWritable();
  const stats = await simulateToMcap(scenario, out);
  return { bytes: out.bytes(), stats };
}

/** All messages in file order, streamed (checks CRCs and decompresses zstd). */
export async function readMessages(bytes: Uint8Array): Promise<{ messages: ReadMessage[]; compression: Set<string> }> {
  const reader = new McapStreamReader({ decompressHandlers: await decompressHandlers(), validateCrcs: true, includeChunks: true });
  reader.append(bytes);
  const channels = new Map<number, { topic: string; schemaId: number; messageEncoding: string }>();
  const schemas = new Map<number, { name: string; encoding: string; data: Uint8Array }>();
  const messages: ReadMessage[] = [];
  const compression = new Set<string>();
  for (let r = reader.nextRecord(); r; r = reader.nextRecord()) {
    if (r.type === "Schema") schemas.set(r.id, { name: r.name, encoding: r.encoding, data: r.data });
    else if (r.type === "Channel") channels.set(r.id, { topic: r.topic, schemaId: r.schemaId, messageEncoding: r.messageEncoding });
    else if (r.type === "Chunk") compression.add(r.compression);
    else if (r.type === "Message") {
      const ch = channels.get(r.channelId)!;
      const sc = schemas.get(ch.schemaId);
      messages.push({
        topic: ch.topic,
        schemaName: sc?.name ?? "",
        schemaEncoding: sc?.encoding ?? "",
        schemaData: sc?.data ?? new Uint8Array(),
        messageEncoding: ch.messageEncoding,
        channelId: r.channelId,
        logTime: r.logTime,
        publishTime: r.publishTime,
        sequence: r.sequence,
        data: r.data,
      });
    }
  }
  if (!reader.done()) throw new Error("MCAP stream did not end cleanly");
  return { messages, compression };
}

/** Opens the file through its index (fails if there is none). */
export async function openIndexedBytes(bytes: Uint8Array): Promise<McapIndexedReader> {
  return McapIndexedReader.Initialize({ readable: new BufferReadable(bytes), decompressHandlers: await decompressHandlers() });
}

export function decode<T>(m: ReadMessage): T {
  return decodeProto<T>(m.schemaName, m.data);
}

export function scenario(input: ScenarioInput): Scenario {
  return validateScenario(input, "test");
}

export type Stamp = { seconds: number; nanos: number };
export const stampNs = (t: Stamp): bigint => BigInt(t.seconds) * 1_000_000_000n + BigInt(t.nanos);
