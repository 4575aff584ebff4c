import { McapStreamReader, MCAP_MAGIC, type TypedMcapRecord, type DecompressHandlers } from "@mcap/core";
import { decompressHandlers } from "./decompress";
import { errorText, type BadInputError } from "../../types/errors";
import { mcapReadError } from "./errors";
import { cappedHandlers, maxRecordBytes, overCapText } from "./recordLimits";
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
  /** The record cap (bytes; default the source's, else 256 MiB, recordLimits.ts). */
  maxRecordBytes?: number | undefined;
  /**
   * A record over the cap, passed over unread (a chunk declaring more than the cap uncompressed
   * too): its file offset, opcode and the damage text. Whether it is damage is the caller's call
   * (a message is, an attachment the caller only counts need not be); the read goes on after it.
   */
  onSkipped?: (offset: number, opcode: number, text: string) => void;
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
/** Records per batch: a chunk of 256 MiB of 9-byte records would otherwise be 30 million objects in one batch. */
const MAX_BATCH_RECORDS = 4096;

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
  const cap = maxRecordBytes(options.maxRecordBytes, source);
  const reader = new McapStreamReader({
    includeChunks: true,
    validateCrcs: options.validateCrcs ?? true,
    decompressHandlers: cappedHandlers(options.decompressHandlers ?? (await decompressHandlers()), cap),
  });
  const st: ParseState = { fed: 0, chunkStart: -1, chunkEnd: -1, next: MCAP_MAGIC.length, afterFooter: false };
  const includeChunks = options.includeChunks ?? false;
  let skip: Skip | undefined;
  let checkedAt = -1;
  let need = 0;

  for (;;) {
    const { batch, error, full } = parseBuffered(reader, st, includeChunks, source.name);
    // Everything parsed so far goes out first; an error follows on the next pull.
    if (batch.records.length > 0) yield batch;
    if (error) throw error;
    if (full) continue;
    if (skip) {
      // The reader has every record before it (they end where it starts): pass over it unread.
      if (reader.bytesRemaining() !== 0)
        throw mcapReadError("corrupt", source.name, BigInt(skip.at), "records before this one run into it");
      options.onSkipped?.(skip.at, skip.opcode, skip.text);
      st.fed = st.next = skip.at + skip.total;
      skip = undefined;
    }
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
    skip = await frame(source, bytes, st, fileSize, cap);
    const feed = skip ? skip.at - fed : n;
    reader.append(feed === n ? bytes : bytes.subarray(0, feed));
    st.fed += feed;
  }
}

/** A record over the cap, found by `frame` and passed over once the reader has every record before it. */
type Skip = { at: number; total: number; opcode: number; text: string };

/** `[at, at + n)` of the file: from the block just read when it holds it, else read (a header across blocks). */
async function peek(source: RecordingReadable, block: Uint8Array, blockAt: number, at: number, n: number): Promise<DataView> {
  const bytes =
    at >= blockAt && at + n <= blockAt + block.byteLength
      ? block.subarray(at - blockAt, at - blockAt + n)
      : await source.read(BigInt(at), BigInt(n));
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Walks the top-level record headers in the block just read (the reader frames records the same
 * way) and returns the first record over the cap: one longer than the cap as stored, or a chunk
 * that declares more than the cap uncompressed. McapStreamReader holds a record whole and
 * decompresses a chunk at whatever size it declares, so such a record must never reach it. A record
 * that runs past the end of the file is left to the reader, whose damage that is.
 */
async function frame(
  source: RecordingReadable,
  block: Uint8Array,
  st: ParseState,
  fileSize: number,
  cap: number,
): Promise<Skip | undefined> {
  const blockAt = st.fed;
  const end = blockAt + block.byteLength;
  let p = st.next;
  while (!st.afterFooter && p + RECORD_HEADER <= end) {
    const head = await peek(source, block, blockAt, p, RECORD_HEADER);
    const opcode = head.getUint8(0);
    const total = RECORD_HEADER + Number(head.getBigUint64(1, true));
    if (p + total > fileSize) break;
    const name = OPCODE_NAMES[opcode] ?? `opcode 0x${opcode.toString(16)}`;
    if (total > cap) return { at: p, total, opcode, text: overCapText(`${name} record of`, total, cap) };
    // A chunk's uncompressed size is the u64 after its start and end times.
    if (opcode === 0x06 && total >= RECORD_HEADER + 24) {
      const declared = Number((await peek(source, block, blockAt, p + RECORD_HEADER + 16, 8)).getBigUint64(0, true));
      if (declared > cap) return { at: p, total, opcode, text: overCapText("Chunk declares an uncompressed size of", declared, cap) };
    }
    if (opcode === 0x02) st.afterFooter = true;
    p += total;
  }
  st.next = p;
  return undefined;
}

/**
 * Where the stream reader stands in the file: bytes fed to it, the last chunk it parsed, and how
 * far `frame` has walked the record headers (`next`: the first record it has not looked at).
 */
type ParseState = { fed: number; chunkStart: number; chunkEnd: number; next: number; afterFooter: boolean };

/**
 * The records the reader can parse from what it was fed, with their file offsets, and the damage
 * that stopped it, if any.
 */
function parseBuffered(
  reader: McapStreamReader,
  st: ParseState,
  includeChunks: boolean,
  file: string,
): { batch: RecordBatch; error?: BadInputError; full?: boolean } {
  const batch: RecordBatch = { records: [], offsets: [], ends: [] };
  for (;;) {
    if (batch.records.length >= MAX_BATCH_RECORDS) return { batch, full: true };
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
