import { McapWriter } from "@mcap/core";
import { MemoryWritable } from "./MemoryWritable";

export type BuiltMessage = {
  topic: string;
  logTime: bigint;
  data: Uint8Array;
  publishTime?: bigint;
};

export type BuildOptions = {
  /** Schema per topic (default: name `test.Blob`, encoding `jsonschema`, message encoding `json`). */
  schemas?: Record<string, { name: string; encoding: string; messageEncoding: string; data?: Uint8Array }>;
  /** Write messages into chunks (default true) of about this many bytes (default 64 KiB). */
  useChunks?: boolean;
  chunkSize?: number;
  /** Compress chunks, e.g. zstd via @foxglove/wasm-zstd (tests pass their own). */
  compressChunk?: (data: Uint8Array) => { compression: string; compressedData: Uint8Array };
  /** Write the summary and indexes (default true). */
  index?: boolean;
  profile?: string;
  attachments?: number;
  metadata?: number;
};

/** An MCAP recording in memory, written by @mcap/core's McapWriter; for tests and generators. */
export async function buildRecording(messages: readonly BuiltMessage[], options: BuildOptions = {}): Promise<Uint8Array> {
  const out = new MemoryWritable();
  const index = options.index ?? true;
  const writer = new McapWriter({
    writable: out,
    useChunks: options.useChunks ?? true,
    chunkSize: options.chunkSize ?? 64 * 1024,
    compressChunk: options.compressChunk,
    useStatistics: index,
    useSummaryOffsets: index,
    useChunkIndex: index,
    useMessageIndex: index,
    useAttachmentIndex: index,
    useMetadataIndex: index,
    repeatChannels: index,
    repeatSchemas: index,
  });
  await writer.start({ profile: options.profile ?? "", library: "avfusion buildRecording" });
  const channels = new Map<string, number>();
  const sequences = new Map<string, number>();
  for (const m of messages) {
    let channelId = channels.get(m.topic);
    if (channelId === undefined) {
      const s = options.schemas?.[m.topic] ?? { name: "test.Blob", encoding: "jsonschema", messageEncoding: "json" };
      const schemaId = await writer.registerSchema({ name: s.name, encoding: s.encoding, data: s.data ?? new TextEncoder().encode("{}") });
      channelId = await writer.registerChannel({ topic: m.topic, schemaId, messageEncoding: s.messageEncoding, metadata: new Map() });
      channels.set(m.topic, channelId);
    }
    const sequence = (sequences.get(m.topic) ?? 0) + 1;
    sequences.set(m.topic, sequence);
    await writer.addMessage({ channelId, sequence, logTime: m.logTime, publishTime: m.publishTime ?? m.logTime, data: m.data });
  }
  for (let i = 0; i < (options.attachments ?? 0); i++) {
    await writer.addAttachment({
      name: `a${i}`,
      logTime: 0n,
      createTime: 0n,
      mediaType: "application/octet-stream",
      data: new Uint8Array([i]),
    });
  }
  for (let i = 0; i < (options.metadata ?? 0); i++) {
    await writer.addMetadata({ name: `m${i}`, metadata: new Map([["k", String(i)]]) });
  }
  await writer.end();
  return out.bytes();
}
