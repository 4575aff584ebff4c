import { MCAP_MAGIC, type DecompressHandlers } from "@mcap/core";
import type { SensorMessage } from "../../types";
import { chunkInFileOrder } from "./chunkMessages";
import { mcapReadError } from "./errors";
import { MessageParser, noteSkipped, OP, PARSED_RECORDS, u64, type MessageFilter, type ParseCounters } from "./MessageParser";
import { overCapText } from "./recordLimits";
import { checkMagic, OPCODE_NAMES } from "./streamRecords";
import type { RecordingReadable } from "./types";

const RECORD_HEADER = 9;

export type StreamMessagesOptions = MessageFilter & {
  validateCrcs: boolean;
  blockSize: number;
  handlers: DecompressHandlers;
  counters: ParseCounters;
  /** The record cap (recordLimits.ts). */
  maxRecordBytes: number;
};

/**
 * Streamed read of the messages, in file order, with MessageParser. Bytes are read in blocks of
 * `blockSize` (or one whole record when it is larger) only when the consumer pulls the next
 * batch; a batch holds the messages parsed from one block, or up to CHUNK_BATCH of one chunk. Damage throws an `mcapReadError` after
 * every earlier batch was yielded.
 */
export async function* streamMessageBatches(
  source: RecordingReadable,
  o: StreamMessagesOptions,
): AsyncGenerator<SensorMessage[], void, void> {
  const size = Number(await source.size());
  await checkMagic(source, BigInt(size));
  const parser = new MessageParser(source.name, o, o.counters, o.handlers, o.validateCrcs, o.maxRecordBytes);
  const w = new FileWindow(source, size, o.blockSize, MCAP_MAGIC.length);
  let pos = MCAP_MAGIC.length; // file offset of the next record
  let out: SensorMessage[] = [];
  const damage = (kind: "truncated" | "corrupt", at: number, what: string) => mcapReadError(kind, source.name, BigInt(at), what);

  for (;;) {
    if (w.heldFrom(pos) < RECORD_HEADER) {
      // Next read: hand over what is parsed first, so the consumer sets the pace.
      if (out.length > 0) {
        yield out;
        out = [];
      }
      if (!(await w.fill(pos, RECORD_HEADER))) {
        throw pos === size
          ? damage(
              "truncated",
              pos,
              `file ends after ${size} bytes without a Footer record, expected more records or the footer and closing magic`,
            )
          : damage("truncated", pos, `file ends inside a record header (${size - pos} bytes of it present), expected a complete record`);
      }
    }
    const at = pos - w.start;
    const op = w.bytes[at];
    const length = u64(w.view, at + 1);
    const total = RECORD_HEADER + length;
    if (pos + total > size) {
      if (out.length > 0) yield out;
      const what = `${OPCODE_NAMES[op] ?? `opcode 0x${op.toString(16)}`} record`;
      throw damage(
        "truncated",
        pos,
        `${what} declares ${length} bytes but the file ends ${size - pos - RECORD_HEADER} bytes later, expected a complete record`,
      );
    }
    if (PARSED_RECORDS.has(op) && total > o.maxRecordBytes) {
      // Never read: its length is sound, so the read goes on after it.
      noteSkipped(o.counters, source.name, pos, overCapText(`${OPCODE_NAMES[op]} record of`, total, o.maxRecordBytes));
    } else if (PARSED_RECORDS.has(op)) {
      if (w.heldFrom(pos) < total) {
        if (out.length > 0) {
          yield out;
          out = [];
        }
        // A big record (a chunk, a camera frame) is read alone in one piece: re-reading the part
        // of it the last block held is cheaper than allocating and copying a joined buffer.
        if (total > o.blockSize) await w.readAlone(pos, total);
        else await w.fill(pos, total);
      }
      try {
        if (op === OP.CHUNK) {
          if (out.length > 0) yield out;
          out = [];
          const records = parser.chunkRecords(w.bytes, w.view, pos - w.start + RECORD_HEADER, length, pos);
          if (records) yield* chunkInFileOrder(parser, records, pos);
        } else {
          parser.topLevel(w.bytes, w.view, pos - w.start, length, pos, out);
        }
      } catch (err) {
        // The parser's damage already names this file and the record's offset.
        if (out.length > 0) yield out;
        throw err;
      }
    }
    pos += total;
    if (op === OP.FOOTER) {
      if (out.length > 0) yield out;
      await checkClosingMagic(w, pos, size, damage);
      return;
    }
  }
}

/** After the footer: the closing magic, then the end of the file. */
async function checkClosingMagic(
  w: FileWindow,
  pos: number,
  size: number,
  damage: (kind: "truncated" | "corrupt", at: number, what: string) => Error,
): Promise<void> {
  const magicEnd = pos + MCAP_MAGIC.length;
  if (magicEnd > size)
    throw damage("truncated", pos, `file ends inside the closing magic, expected ${MCAP_MAGIC.length} bytes of magic after the footer`);
  if (!(await w.fill(pos, MCAP_MAGIC.length))) throw damage("truncated", pos, "file ends before the closing magic");
  const m = w.bytes.subarray(pos - w.start, pos - w.start + MCAP_MAGIC.length);
  if (!MCAP_MAGIC.every((b, i) => m[i] === b)) {
    throw damage(
      "corrupt",
      pos,
      `closing magic is ${Array.from(m, (b) => b.toString(16).padStart(2, "0")).join(" ")}, expected the MCAP magic`,
    );
  }
  if (magicEnd !== size)
    throw damage("corrupt", magicEnd, `${size - magicEnd} unexpected bytes after the closing magic, expected end of file`);
}

/**
 * The bytes of the file from `start` on that the reader holds: refilled block by block as the
 * read position moves on, so read-ahead stays one block (or one record).
 */
class FileWindow {
  bytes: Uint8Array = new Uint8Array(0);
  view = new DataView(this.bytes.buffer);

  constructor(
    private readonly source: RecordingReadable,
    private readonly size: number,
    private readonly blockSize: number,
    /** File offset of bytes[0]. */
    public start: number,
  ) {}

  /** Bytes held from file offset `pos` on. */
  heldFrom(pos: number): number {
    return this.start + this.bytes.byteLength - pos;
  }

  /** Makes the window hold [pos, pos + n), keeping what it has of it; false at end of file. */
  async fill(pos: number, n: number): Promise<boolean> {
    const have = this.heldFrom(pos);
    if (have >= n) return true;
    if (pos + n > this.size) return false;
    if (have <= 0) {
      // Nothing of it held: the window ends at or before it (a record skipped unread lies between).
      await this.readAlone(pos, Math.min(Math.max(n, this.blockSize), this.size - pos));
      return true;
    }
    const end = this.start + this.bytes.byteLength;
    const want = Math.min(Math.max(n - have, this.blockSize), this.size - end);
    const more = await this.source.read(BigInt(end), BigInt(want));
    const joined = new Uint8Array(have + more.byteLength);
    joined.set(this.bytes.subarray(pos - this.start));
    joined.set(more, have);
    this.bytes = joined;
    this.start = pos;
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    return true;
  }

  /** Replaces the window with [pos, pos + n) read in one piece. */
  async readAlone(pos: number, n: number): Promise<void> {
    this.bytes = await this.source.read(BigInt(pos), BigInt(n));
    this.start = pos;
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }
}
