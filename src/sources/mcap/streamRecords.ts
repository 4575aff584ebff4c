import { McapStreamReader, MCAP_MAGIC, type TypedMcapRecord, type DecompressHandlers } from "@mcap/core";
import { decompressHandlers } from "./decompress";
import { errorText, type BadInputError } from "../../types/errors";
import { mcapReadError } from "./errors";
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

/** Throws a one-line `mcapReadError` unless the file starts with the MCAP magic. */
export async function checkMagic(source: RecordingReadable, size: bigint): Promise<void> {
  const want = hex(Uint8Array.from(MCAP_MAGIC));
  if (size === 0n) {
    throw mcapReadError("empty", source.name, 0n, `file is empty, expected an MCAP file starting with magic ${want}`);
  }
  const n = size < BigInt(MCAP_MAGIC.length) ? size : BigInt(MCAP_MAGIC.length);
  const head = await source.read(0n, n);
  for (let i = 0; i < head.length; i++) {
    if (head[i] !== MCAP_MAGIC[i]) {
      throw mcapReadError("notMcap", source.name, 0n, `not an MCAP file: starts with ${hex(head)}, expected magic ${want}`);
    }
  }
  if (head.length < MCAP_MAGIC.length) {
    throw mcapReadError(
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
 * Damage ends the iteration with an `mcapReadError` *after* every record before it was delivered:
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
  const st: ParseState = { fed: 0, chunkStart: -1, chunkEnd: -1 };
  const includeChunks = options.includeChunks ?? false;
  let checkedAt = -1;
  let need = 0;

  for (;;) {
    const { batch, error } = parseBuffered(reader, st, includeChunks, source.name);
    // Everything parsed so far goes out first; an error follows on the next pull.
    if (batch.records.length > 0) yield batch;
    if (error) throw error;
    const fed = st.fed;
    if (reader.done()) {
      if (fed < fileSize) {
        throw mcapReadError(
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
      checkedAt = at;
      need = (await declaredLength(source, at, size)) - remaining;
    } else if (remaining < RECORD_HEADER) {
      need = 0;
    }
    if (fed === fileSize) {
      const detail =
        remaining === 0
          ? `file ends after ${fileSize} bytes without a Footer record, expected more records or the footer and closing magic`
          : `file ends inside a record (${remaining} bytes of it present), expected a complete record`;
      throw mcapReadError("truncated", source.name, BigInt(at), detail);
    }
    const n = Math.min(Math.max(blockSize, need), fileSize - fed);
    const bytes = await source.read(BigInt(fed), BigInt(n));
    reader.append(bytes);
    st.fed += n;
  }
}

/** Where the stream reader stands in the file: bytes fed to it, and the last chunk it parsed. */
type ParseState = { fed: number; chunkStart: number; chunkEnd: number };

/**
 * The records the reader can parse from what it was fed, with their file offsets, and the damage
 * that stopped it, if any.
 */
function parseBuffered(
  reader: McapStreamReader,
  st: ParseState,
  includeChunks: boolean,
  file: string,
): { batch: RecordBatch; error?: BadInputError } {
  const batch: RecordBatch = { records: [], offsets: [], ends: [] };
  for (;;) {
    const before = st.fed - reader.bytesRemaining();
    let record: TypedMcapRecord | undefined;
    try {
      record = reader.nextRecord();
    } catch (err) {
      const inChunk = before === st.chunkEnd;
      const at = inChunk ? st.chunkStart : before;
      return { batch, error: mcapReadError("corrupt", file, BigInt(at), `${inChunk ? "chunk" : "record"}: ${errorText(err)}`) };
    }
    if (record === undefined) return { batch };
    const after = st.fed - reader.bytesRemaining();
    let start = before;
    let end = after;
    if (record.type === "Chunk") {
      st.chunkStart = before;
      st.chunkEnd = after;
      if (!includeChunks) continue;
    } else if (after === before && before === st.chunkEnd) {
      // Parsed from the current chunk: the outer position did not move.
      start = st.chunkStart;
      end = st.chunkEnd;
    }
    batch.records.push(record);
    batch.offsets.push(start);
    batch.ends.push(end);
  }
}

/**
 * The total size of the record waiting at `at` for more bytes, checked against the file size now
 * rather than after buffering the rest of a damaged file.
 */
async function declaredLength(source: RecordingReadable, at: number, size: bigint): Promise<number> {
  const head = await source.read(BigInt(at), BigInt(RECORD_HEADER));
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const opcode = view.getUint8(0);
  const length = view.getBigUint64(1, true);
  const total = BigInt(RECORD_HEADER) + length;
  const what = `${OPCODE_NAMES[opcode] ?? `opcode 0x${opcode.toString(16)}`} record`;
  if (BigInt(at) + total > size) {
    // A cut file and a damaged length field look the same from here; the text gives both numbers.
    throw mcapReadError(
      "truncated",
      source.name,
      BigInt(at),
      `${what} declares ${length} bytes but the file ends ${Number(size) - at - RECORD_HEADER} bytes later, expected a complete record`,
    );
  }
  return Number(total);
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
