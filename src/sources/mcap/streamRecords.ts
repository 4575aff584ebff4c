import { McapStreamReader, MCAP_MAGIC, type TypedMcapRecord, type DecompressHandlers } from "@mcap/core";
import { decompressHandlers } from "./decompress";
import { McapReadError, errorText } from "./errors";
import type { RecordingReadable } from "./types";

export type StreamRecordsOptions = {
  /** Check chunk and attachment CRCs (default true). Off is faster. */
  validateCrcs?: boolean;
  /** Bytes read from the source at a time (default 1 MiB). Bounds the read-ahead. */
  blockSize?: number;
  /** Chunk decompressors (default: @mcap/support's zstd, lz4, bz2). */
  decompressHandlers?: DecompressHandlers;
  /** Also deliver Chunk records (before their contents). Default false. */
  includeChunks?: boolean;
};

/**
 * Records parsed from one block of the file, in file order. `offsets[i]` is the file offset of
 * the top-level record that holds `records[i]` (for records inside a chunk: the chunk's offset)
 * and `ends[i]` the offset just past it, so a record is wholly before byte N when `ends[i] <= N`.
 */
export type RecordBatch = {
  records: TypedMcapRecord[];
  offsets: number[];
  ends: number[];
};

const RECORD_HEADER = 9; // opcode u8 + length u64
const DEFAULT_BLOCK = 1 << 20;

export const OPCODE_NAMES: Readonly<Record<number, string>> = {
  0x01: "Header",
  0x02: "Footer",
  0x03: "Schema",
  0x04: "Channel",
  0x05: "Message",
  0x06: "Chunk",
  0x07: "MessageIndex",
  0x08: "ChunkIndex",
  0x09: "Attachment",
  0x0a: "AttachmentIndex",
  0x0b: "Statistics",
  0x0c: "Metadata",
  0x0d: "MetadataIndex",
  0x0e: "SummaryOffset",
  0x0f: "DataEnd",
};

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

/** Throws a one-line McapReadError unless the file starts with the MCAP magic. */
export async function checkMagic(source: RecordingReadable, size: bigint): Promise<void> {
  const want = hex(Uint8Array.from(MCAP_MAGIC));
  if (size === 0n) {
    throw new McapReadError("empty", source.name, 0n, `file is empty, expected an MCAP file starting with magic ${want}`);
  }
  const n = size < BigInt(MCAP_MAGIC.length) ? size : BigInt(MCAP_MAGIC.length);
  const head = await source.read(0n, n);
  for (let i = 0; i < head.length; i++) {
    if (head[i] !== MCAP_MAGIC[i]) {
      throw new McapReadError("notMcap", source.name, 0n, `not an MCAP file: starts with ${hex(head)}, expected magic ${want}`);
    }
  }
  if (head.length < MCAP_MAGIC.length) {
    throw new McapReadError(
      "truncated",
      source.name,
      size,
      `file ends inside the ${MCAP_MAGIC.length}-byte MCAP magic, expected a complete file`,
    );
  }
}

/**
 * Streamed, record-level read of a whole file with McapStreamReader, in batches of one block.
 * The next block is read only when the consumer asks for the next batch, so read-ahead is at most
 * one block (or one record, when a record is larger than a block).
 *
 * Damage ends the iteration with a McapReadError *after* every record before it was delivered:
 * a truncated file ("truncated") or a malformed record ("corrupt"), with the file offset of the
 * top-level record (or chunk) at fault.
 */
export async function* streamRecordBatches(
  source: RecordingReadable,
  options: StreamRecordsOptions = {},
): AsyncGenerator<RecordBatch, void, void> {
  const size = await source.size();
  await checkMagic(source, size);
  const fileSize = Number(size);
  const blockSize = Math.max(RECORD_HEADER, options.blockSize ?? DEFAULT_BLOCK);
  const reader = new McapStreamReader({
    includeChunks: true,
    validateCrcs: options.validateCrcs ?? true,
    decompressHandlers: options.decompressHandlers ?? (await decompressHandlers()),
  });
  const includeChunks = options.includeChunks ?? false;
  let fed = 0;
  let chunkStart = -1;
  let chunkEnd = -1;
  let checkedAt = -1;
  let need = 0;

  for (;;) {
    let batch: RecordBatch = { records: [], offsets: [], ends: [] };
    for (;;) {
      const before = fed - reader.bytesRemaining();
      let record: TypedMcapRecord | undefined;
      try {
        record = reader.nextRecord();
      } catch (err) {
        // Everything parsed so far goes out first; the error follows on the next pull.
        if (batch.records.length > 0) yield batch;
        const inChunk = before === chunkEnd;
        const at = inChunk ? chunkStart : before;
        throw new McapReadError("corrupt", source.name, BigInt(at), `${inChunk ? "chunk" : "record"}: ${errorText(err)}`);
      }
      if (record === undefined) break;
      const after = fed - reader.bytesRemaining();
      let start = before;
      let end = after;
      if (record.type === "Chunk") {
        chunkStart = before;
        chunkEnd = after;
        if (!includeChunks) continue;
      } else if (after === before && before === chunkEnd) {
        // Parsed from the current chunk: the outer position did not move.
        start = chunkStart;
        end = chunkEnd;
      }
      batch.records.push(record);
      batch.offsets.push(start);
      batch.ends.push(end);
    }
    if (batch.records.length > 0) {
      yield batch;
      batch = { records: [], offsets: [], ends: [] };
    }
    if (reader.done()) {
      if (fed < fileSize) {
        throw new McapReadError(
          "corrupt",
          source.name,
          BigInt(fed),
          `${fileSize - fed} unexpected bytes after the closing magic, expected end of file`,
        );
      }
      return;
    }

    const remaining = reader.bytesRemaining();
    const at = fed - remaining;
    if (remaining >= RECORD_HEADER && checkedAt !== at) {
      // A record is waiting for more bytes: check its declared length against the file size now,
      // rather than buffering the rest of a damaged file before finding out.
      checkedAt = at;
      const head = await source.read(BigInt(at), BigInt(RECORD_HEADER));
      const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
      const opcode = view.getUint8(0);
      const length = view.getBigUint64(1, true);
      const total = BigInt(RECORD_HEADER) + length;
      const what = `${OPCODE_NAMES[opcode] ?? `opcode 0x${opcode.toString(16)}`} record`;
      if (BigInt(at) + total > size) {
        // A cut file and a damaged length field look the same from here; the text gives both numbers.
        throw new McapReadError(
          "truncated",
          source.name,
          BigInt(at),
          `${what} declares ${length} bytes but the file ends ${fileSize - at - RECORD_HEADER} bytes later, expected a complete record`,
        );
      }
      need = Number(total) - remaining;
    } else if (remaining < RECORD_HEADER) {
      need = 0;
    }
    if (fed === fileSize) {
      const detail =
        remaining === 0
          ? `file ends after ${fileSize} bytes without a Footer record, expected more records or the footer and closing magic`
          : `file ends inside a record (${remaining} bytes of it present), expected a complete record`;
      throw new McapReadError("truncated", source.name, BigInt(at), detail);
    }
    const n = Math.min(Math.max(blockSize, need), fileSize - fed);
    const bytes = await source.read(BigInt(fed), BigInt(n));
    reader.append(bytes);
    fed += n;
  }
}

/** The same read, one record at a time (convenient for tests and tools; batches are faster). */
export async function* streamRecords(
  source: RecordingReadable,
  options: StreamRecordsOptions = {},
): AsyncGenerator<TypedMcapRecord, void, void> {
  for await (const batch of streamRecordBatches(source, options)) {
    yield* batch.records;
  }
}
