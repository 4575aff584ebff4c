import { McapIndexedReader, type DecompressHandlers } from "@mcap/core";
import { errorText } from "../../types/errors";
import type { RecordingReadable } from "./types";

export type IndexedOpen = { ok: true; reader: McapIndexedReader } | { ok: false; reason: string };

/**
 * Open the file's summary for indexed reading, or say why it cannot be used. The index is used
 * only when it covers every message: at least one ChunkIndex, every chunk with MessageIndex
 * offsets, and every indexed channel (and its schema) repeated in the summary. Anything else —
 * no summary, a bad summary CRC, a missing footer (truncated file) — means a streamed read.
 */
export async function openIndexed(source: RecordingReadable, handlers?: DecompressHandlers): Promise<IndexedOpen> {
  let reader: McapIndexedReader;
  try {
    reader = await McapIndexedReader.Initialize({ readable: source, decompressHandlers: handlers });
  } catch (err) {
    return { ok: false, reason: errorText(err) };
  }
  if (reader.chunkIndexes.length === 0) return { ok: false, reason: "summary has no ChunkIndex records" };
  if (reader.statistics && reader.statistics.chunkCount !== reader.chunkIndexes.length) {
    return {
      ok: false,
      reason: `summary lists ${reader.chunkIndexes.length} ChunkIndex records but Statistics counts ${reader.statistics.chunkCount} chunks`,
    };
  }
  const size = await source.size();
  for (const chunk of reader.chunkIndexes) {
    if (chunk.chunkStartOffset < 8n || chunk.chunkStartOffset + chunk.chunkLength > size) {
      return {
        ok: false,
        reason: `ChunkIndex points at ${chunk.chunkLength} bytes at offset ${chunk.chunkStartOffset}, outside the ${size}-byte file`,
      };
    }
    if (chunk.messageIndexOffsets.size === 0 || chunk.messageIndexLength === 0n) {
      return { ok: false, reason: `chunk at offset ${chunk.chunkStartOffset} has no MessageIndex records` };
    }
    for (const channelId of chunk.messageIndexOffsets.keys()) {
      const channel = reader.channelsById.get(channelId);
      if (!channel) return { ok: false, reason: `channel ${channelId} is not in the summary` };
      if (channel.schemaId !== 0 && !reader.schemasById.has(channel.schemaId)) {
        return { ok: false, reason: `schema ${channel.schemaId} of channel ${channelId} is not in the summary` };
      }
    }
  }
  return { ok: true, reader };
}
