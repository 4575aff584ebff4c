import type { DecompressHandlers, McapIndexedReader } from "@mcap/core";
import type { SensorMessage } from "../../types";
import { chunkInTimeOrder } from "./chunkMessages";
import { isMcapReadError, mcapReadError } from "./errors";
import { MessageParser, noteSkipped, OP, u64, type MessageFilter, type ParseCounters } from "./MessageParser";
import { overCapText } from "./recordLimits";
import type { RecordingReadable } from "./types";

export type IndexedMessagesOptions = MessageFilter & {
  validateCrcs: boolean;
  handlers: DecompressHandlers;
  counters: ParseCounters;
  /** The record cap (recordLimits.ts). */
  maxRecordBytes: number;
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
 * log time (stable, so equal times keep file order). A chunk is read only when the consumer pulls
 * its first batch; a batch holds up to CHUNK_BATCH of its messages.
 */
export async function* indexedMessageBatches(
  source: RecordingReadable,
  reader: McapIndexedReader,
  o: IndexedMessagesOptions,
): AsyncGenerator<SensorMessage[], void, void> {
  const parser = new MessageParser(source.name, o, o.counters, o.handlers, o.validateCrcs, o.maxRecordBytes);
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
    if (c.chunkLength > BigInt(o.maxRecordBytes)) {
      // Not read at all; the index says where the next chunk is, so the read goes on.
      noteSkipped(o.counters, source.name, at, overCapText("Chunk record of", Number(c.chunkLength), o.maxRecordBytes));
      continue;
    }
    const bytes = await source.read(c.chunkStartOffset, c.chunkLength);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.byteLength < 9 || bytes[0] !== OP.CHUNK) {
      throw damage(`ChunkIndex points at a record with opcode 0x${(bytes[0] ?? 0).toString(16)}, expected a Chunk record`);
    }
    const length = u64(view, 1);
    if (9 + length !== bytes.byteLength) {
      throw damage(`Chunk record declares ${length} bytes, expected ${bytes.byteLength - 9} from its ChunkIndex`);
    }
    const batches = chunkBatches(parser, bytes, view, length, at);
    for (;;) {
      let next: IteratorResult<SensorMessage[]>;
      try {
        next = batches.next();
      } catch (err) {
        // The parser names the file and offset itself; here the damage is the indexed read's.
        if (isMcapReadError(err)) throw damage(err.what);
        throw err;
      }
      if (next.done) break;
      yield next.value;
    }
  }
}

/** A chunk record's messages in log-time order: decompressed (or skipped over the cap), then sliced. */
function* chunkBatches(parser: MessageParser, bytes: Uint8Array, view: DataView, length: number, at: number): Generator<SensorMessage[]> {
  const records = parser.chunkRecords(bytes, view, 9, length, at);
  if (records) yield* chunkInTimeOrder(parser, records, at);
}
