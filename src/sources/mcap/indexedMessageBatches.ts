import type { DecompressHandlers, McapIndexedReader } from "@mcap/core";
import type { SensorMessage } from "../../types";
import { isMcapReadError, mcapReadError } from "./errors";
import { MessageParser, OP, u64, type MessageFilter, type ParseCounters } from "./MessageParser";
import type { RecordingReadable } from "./types";

export type IndexedMessagesOptions = MessageFilter & {
  validateCrcs: boolean;
  handlers: DecompressHandlers;
  counters: ParseCounters;
};

/**
 * Whether chunk-by-chunk reading gives log-time order: the chunks (sorted by start time) do not
 * overlap in time. Otherwise the caller merges with McapIndexedReader.readMessages.
 */
export function chunksInTimeOrder(reader: McapIndexedReader): boolean {
  const chunks = [...reader.chunkIndexes].sort((a, b) =>
    a.messageStartTime < b.messageStartTime ? -1 : a.messageStartTime > b.messageStartTime ? 1 : 0,
  );
  for (let i = 1; i < chunks.length; i++) if (chunks[i].messageStartTime < chunks[i - 1].messageEndTime) return false;
  return true;
}

/**
 * Indexed read in log-time order for files whose chunks do not overlap in time: each chunk the
 * time range and topic filter need is read whole (one read), checked, and its messages sorted by
 * log time (stable, so equal times keep file order). One batch per chunk, read only when the
 * consumer pulls it.
 */
export async function* indexedMessageBatches(
  source: RecordingReadable,
  reader: McapIndexedReader,
  o: IndexedMessagesOptions,
): AsyncGenerator<SensorMessage[], void, void> {
  const parser = new MessageParser(source.name, o, o.counters, o.handlers, o.validateCrcs);
  for (const ch of reader.channelsById.values()) {
    const schema = ch.schemaId === 0 ? undefined : reader.schemasById.get(ch.schemaId);
    parser.addChannel({
      topic: ch.topic,
      schemaName: schema?.name ?? "",
      schemaEncoding: schema?.encoding ?? "",
      messageEncoding: ch.messageEncoding,
      schemaData: schema?.data ?? new Uint8Array(0),
      channelId: ch.id,
    });
  }
  const chunks = reader.chunkIndexes
    .filter(
      (c) =>
        (o.startTime === undefined || c.messageEndTime >= o.startTime) &&
        (o.endTime === undefined || c.messageStartTime <= o.endTime) &&
        (!o.topics || [...c.messageIndexOffsets.keys()].some((id) => parser.channels.get(id)?.wanted)),
    )
    .sort((a, b) =>
      a.messageStartTime < b.messageStartTime
        ? -1
        : a.messageStartTime > b.messageStartTime
          ? 1
          : Number(a.chunkStartOffset - b.chunkStartOffset),
    );
  for (const c of chunks) {
    const at = Number(c.chunkStartOffset);
    const damage = (what: string) => mcapReadError("corrupt", source.name, BigInt(at), `indexed read: ${what}`);
    const bytes = await source.read(c.chunkStartOffset, c.chunkLength);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.byteLength < 9 || bytes[0] !== OP.CHUNK) {
      throw damage(`ChunkIndex points at a record with opcode 0x${(bytes[0] ?? 0).toString(16)}, expected a Chunk record`);
    }
    const length = u64(view, 1);
    if (9 + length !== bytes.byteLength) {
      throw damage(`Chunk record declares ${length} bytes, expected ${bytes.byteLength - 9} from its ChunkIndex`);
    }
    let out: SensorMessage[] = [];
    try {
      parser.chunk(bytes, view, 9, length, at, out);
    } catch (err) {
      // The parser names the file and offset itself; here the damage is the indexed read's.
      if (isMcapReadError(err)) throw damage(err.what);
      throw err;
    }
    let sorted = true;
    for (let i = 1; i < out.length && sorted; i++) sorted = out[i - 1].logTime <= out[i].logTime;
    if (!sorted)
      out = out
        .map((m, i) => [m, i] as const)
        .sort((a, b) => (a[0].logTime < b[0].logTime ? -1 : a[0].logTime > b[0].logTime ? 1 : a[1] - b[1]))
        .map(([m]) => m);
    if (out.length > 0) yield out;
  }
}
