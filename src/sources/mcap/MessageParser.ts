import { crc32 } from "node:zlib";
import type { DecompressHandlers } from "@mcap/core";
import type { Nanos, SensorMessage } from "../../types";
import { errorText } from "../../types/errors";
import { mcapReadError } from "./errors";
import { DEFAULT_MAX_RECORD_BYTES, overCapText } from "./recordLimits";

export type ChannelInfo = Omit<SensorMessage, "logTime" | "publishTime" | "sequence" | "data"> & {
  /** Passes the topic filter. */
  wanted: boolean;
};

export type MessageFilter = {
  topics?: ReadonlySet<string>;
  startTime?: Nanos;
  endTime?: Nanos;
};

export type ParseCounters = {
  messagesRead: number;
  messagesFiltered: number;
  messagesSkipped: number;
  /** The first MAX_ERROR_LINES problems, one line each. */
  errors: string[];
  /** All problems, including those past the first MAX_ERROR_LINES. */
  errorCount: number;
  /** The first damage line: a record skipped over the record cap (the read went on), or what stopped the read. */
  damage?: string;
};

/** Error lines kept in diagnostics; the rest are only counted, so memory stays bounded. */
export const MAX_ERROR_LINES = 100;

export function noteError(counters: Pick<ParseCounters, "errors" | "errorCount">, line: string): void {
  counters.errorCount++;
  if (counters.errors.length < MAX_ERROR_LINES) counters.errors.push(line);
}

/**
 * A record skipped because it is over the record cap: damage (the file is not what it claims or
 * not what this reader will hold), but its length is sound, so the read goes on after it.
 */
export function noteSkipped(
  counters: Pick<ParseCounters, "errors" | "errorCount" | "damage">,
  file: string,
  at: number,
  text: string,
): void {
  const line = mcapReadError("corrupt", file, BigInt(at), text).message;
  noteError(counters, line);
  counters.damage ??= line;
}

export const OP = {
  HEADER: 0x01,
  FOOTER: 0x02,
  SCHEMA: 0x03,
  CHANNEL: 0x04,
  MESSAGE: 0x05,
  CHUNK: 0x06,
} as const;

/**
 * The top-level records a message reader needs: over the record cap they are damage. Every other
 * kind (attachments, metadata, indexes, statistics) it passes over unread, at any size.
 */
export const PARSED_RECORDS: ReadonlySet<number> = new Set([OP.MESSAGE, OP.CHUNK, OP.SCHEMA, OP.CHANNEL]);

const RECORD_HEADER = 9;
const MESSAGE_PREFIX = 2 + 4 + 8 + 8;
const utf8 = new TextDecoder("utf-8", { fatal: false });
const EMPTY = new Uint8Array(0);

/** Little-endian u64 as a JS number (lengths and offsets; files are < 2^53 bytes). */
export function u64(view: DataView, at: number): number {
  return view.getUint32(at, true) + view.getUint32(at + 4, true) * 0x1_0000_0000;
}

/**
 * The message hot path of a recording: Schema, Channel, Message and Chunk records parsed straight
 * from the bytes, with message `data` as a zero-copy view into the block or decompressed chunk it
 * came from (copy it to keep it beyond decoding). @mcap/core's readers copy every message into
 * its own ArrayBuffer, which costs more than the rest of the read for small messages; this parser
 * is checked message-for-message against McapStreamReader / McapIndexedReader in the tests.
 * Everything else (indexes, attachments, metadata, statistics) is skipped by its length.
 */
export class MessageParser {
  private readonly schemas = new Map<number, { name: string; encoding: string; data: Uint8Array }>();
  readonly channels = new Map<number, ChannelInfo | null>();
  private readonly undeclared = new Set<number>();

  constructor(
    private readonly file: string,
    private readonly filter: MessageFilter,
    private readonly counters: ParseCounters,
    private readonly handlers: DecompressHandlers,
    private readonly validateCrcs: boolean,
    /** The record cap (recordLimits.ts): a chunk declaring more is skipped before it is decompressed. */
    private readonly maxRecordBytes = DEFAULT_MAX_RECORD_BYTES,
  ) {}

  /** Channels known up front (indexed reads take them from the summary). */
  addChannel(info: Omit<ChannelInfo, "wanted">): void {
    this.channels.set(info.channelId, { ...info, wanted: !this.filter.topics || this.filter.topics.has(info.topic) });
  }

  /**
   * One top-level record other than a chunk (chunkRecords, then chunkMessages.ts) whose bytes are
   * `buf[at, at + 9 + length)`; `fileOffset` is where it starts in the file. Returns the opcode.
   * A message that passes the filter is appended to `out`.
   */
  topLevel(buf: Uint8Array, view: DataView, at: number, length: number, fileOffset: number, out: SensorMessage[]): number {
    const op = buf[at];
    const body = at + RECORD_HEADER;
    switch (op) {
      case OP.MESSAGE:
        this.message(buf, view, body, length, fileOffset, out);
        break;
      case OP.SCHEMA:
        this.schema(buf, view, body, length, fileOffset);
        break;
      case OP.CHANNEL:
        this.channel(buf, view, body, length, fileOffset);
        break;
      default:
        break;
    }
    return op;
  }

  /** A malformed record: `corrupt` at the file offset of the top-level record or chunk at fault. */
  private fail(fileOffset: number, what: string): never {
    throw mcapReadError("corrupt", this.file, BigInt(fileOffset), what);
  }

  private message(buf: Uint8Array, view: DataView, at: number, length: number, fileOffset: number, out: SensorMessage[]): void {
    const ch = this.admit(view, at, length, fileOffset);
    if (ch) out.push(this.build(buf, view, at, length, ch));
  }

  /** Counts a message record (body at `at`) and says on which channel it is delivered; undefined: skipped or filtered out. */
  private admit(view: DataView, at: number, length: number, fileOffset: number): ChannelInfo | undefined {
    this.counters.messagesRead++;
    if (length < MESSAGE_PREFIX) {
      // The record length is sound (the reader moves on by it), only this message is unusable.
      this.counters.messagesSkipped++;
      noteError(
        this.counters,
        `${this.file}:${fileOffset}: Message record of ${length} bytes, expected at least ${MESSAGE_PREFIX}; skipped`,
      );
      return undefined;
    }
    const channelId = view.getUint16(at, true);
    const ch = this.channels.get(channelId);
    if (ch === undefined) {
      this.counters.messagesSkipped++;
      if (!this.undeclared.has(channelId)) {
        this.undeclared.add(channelId);
        noteError(
          this.counters,
          `${this.file}:${fileOffset}: Message on channel ${channelId}, expected a Channel record for it first; its messages are skipped`,
        );
      }
      return undefined;
    }
    if (ch === null) {
      this.counters.messagesSkipped++;
      return undefined;
    }
    if (!ch.wanted) {
      this.counters.messagesFiltered++;
      return undefined;
    }
    const logTime = view.getBigUint64(at + 6, true);
    const f = this.filter;
    if ((f.startTime !== undefined && logTime < f.startTime) || (f.endTime !== undefined && logTime > f.endTime)) {
      this.counters.messagesFiltered++;
      return undefined;
    }
    return ch;
  }

  private build(buf: Uint8Array, view: DataView, at: number, length: number, ch: ChannelInfo): SensorMessage {
    return {
      topic: ch.topic,
      schemaName: ch.schemaName,
      schemaEncoding: ch.schemaEncoding,
      messageEncoding: ch.messageEncoding,
      schemaData: ch.schemaData,
      channelId: ch.channelId,
      logTime: view.getBigUint64(at + 6, true),
      publishTime: view.getBigUint64(at + 14, true),
      sequence: view.getUint32(at + 2, true),
      data: buf.subarray(at + MESSAGE_PREFIX, at + length),
    };
  }

  /**
   * The message whose record starts at `pos` of a chunk `walkChunk` admitted it from: the channel
   * it names is known, as channels are never forgotten.
   */
  messageAt(records: Uint8Array, view: DataView, pos: number): SensorMessage {
    const body = pos + RECORD_HEADER;
    return this.build(records, view, body, u64(view, pos + 1), this.channels.get(view.getUint16(body, true))!);
  }

  private string(buf: Uint8Array, view: DataView, at: number, end: number, fileOffset: number, what: string): [string, number] {
    if (at + 4 > end) this.fail(fileOffset, `${what}: length field past the end of the record`);
    const n = view.getUint32(at, true);
    if (at + 4 + n > end) this.fail(fileOffset, `${what}: ${n}-byte string past the end of the record`);
    return [utf8.decode(buf.subarray(at + 4, at + 4 + n)), at + 4 + n];
  }

  private schema(buf: Uint8Array, view: DataView, at: number, length: number, fileOffset: number): void {
    const end = at + length;
    if (length < 2) this.fail(fileOffset, "Schema record too short, expected an id");
    const id = view.getUint16(at, true);
    const [name, p1] = this.string(buf, view, at + 2, end, fileOffset, "Schema name");
    const [encoding, p2] = this.string(buf, view, p1, end, fileOffset, "Schema encoding");
    if (p2 + 4 > end) this.fail(fileOffset, "Schema data length past the end of the record");
    const n = view.getUint32(p2, true);
    if (p2 + 4 + n > end) this.fail(fileOffset, `Schema data of ${n} bytes past the end of the record`);
    if (id === 0) this.fail(fileOffset, "Schema record with id 0, expected a non-zero id");
    if (!this.schemas.has(id)) this.schemas.set(id, { name, encoding, data: buf.slice(p2 + 4, p2 + 4 + n) });
  }

  private channel(buf: Uint8Array, view: DataView, at: number, length: number, fileOffset: number): void {
    const end = at + length;
    if (length < 4) this.fail(fileOffset, "Channel record too short, expected an id and a schema id");
    const id = view.getUint16(at, true);
    const schemaId = view.getUint16(at + 2, true);
    const [topic, p1] = this.string(buf, view, at + 4, end, fileOffset, "Channel topic");
    const [messageEncoding, p2] = this.string(buf, view, p1, end, fileOffset, "Channel message encoding");
    if (p2 + 4 > end || p2 + 4 + view.getUint32(p2, true) > end) this.fail(fileOffset, "Channel metadata past the end of the record");
    if (this.channels.has(id)) return;
    const schema = schemaId === 0 ? undefined : this.schemas.get(schemaId);
    if (schemaId !== 0 && !schema) {
      noteError(
        this.counters,
        `${this.file}:${fileOffset}: channel ${id} (${topic}) refers to schema ${schemaId}, expected a Schema record before it; its messages are skipped`,
      );
      this.channels.set(id, null);
      return;
    }
    this.addChannel({
      topic,
      schemaName: schema?.name ?? "",
      schemaEncoding: schema?.encoding ?? "",
      messageEncoding,
      schemaData: schema?.data ?? EMPTY,
      channelId: id,
    });
  }

  /** Decompress and CRC-check a chunk record body; returns its records, or undefined for a chunk skipped over the cap. */
  chunkRecords(buf: Uint8Array, view: DataView, at: number, length: number, fileOffset: number): Uint8Array | undefined {
    const end = at + length;
    if (length < 8 + 8 + 8 + 4 + 4) this.fail(fileOffset, `Chunk record of ${length} bytes, expected a chunk header`);
    const uncompressedSize = u64(view, at + 16);
    const crc = view.getUint32(at + 24, true);
    const [compression, p] = this.string(buf, view, at + 28, end, fileOffset, "Chunk compression");
    if (p + 8 > end) this.fail(fileOffset, "Chunk records length past the end of the record");
    const n = u64(view, p);
    if (p + 8 + n > end) this.fail(fileOffset, `Chunk records of ${n} bytes past the end of the ${length}-byte record`);
    let records = buf.subarray(p + 8, p + 8 + n);
    if (compression !== "" && n > 0) {
      const decompress = this.handlers[compression];
      if (!decompress) {
        this.fail(
          fileOffset,
          `chunk compression "${compression}" is not supported, expected one of "", ${Object.keys(this.handlers)
            .map((k) => `"${k}"`)
            .join(", ")}`,
        );
      }
      if (uncompressedSize > this.maxRecordBytes) {
        // Checked before the decompressor allocates: a 34 KB zstd frame can declare 1 GiB.
        noteSkipped(
          this.counters,
          this.file,
          fileOffset,
          overCapText("Chunk declares an uncompressed size of", uncompressedSize, this.maxRecordBytes),
        );
        return undefined;
      }
      try {
        records = decompress(records, BigInt(uncompressedSize));
      } catch (err) {
        this.fail(fileOffset, `${compression} chunk does not decompress (${errorText(err)}), expected ${uncompressedSize} bytes`);
      }
    }
    if (records.byteLength !== uncompressedSize) {
      this.fail(fileOffset, `chunk holds ${records.byteLength} bytes after decompression, expected ${uncompressedSize}`);
    }
    if (this.validateCrcs && crc !== 0) {
      const got = crc32(records);
      if (got !== crc) this.fail(fileOffset, `chunk CRC mismatch: computed ${got}, expected ${crc}`);
    }
    return records;
  }

  /**
   * Walks a decompressed chunk from chunk offset `from` in file order: Schema and Channel records
   * are taken in, each message is counted and, when delivered, handed to `admitted` with the
   * offset of its record; true from `admitted` stops the walk after it. Returns where the walk
   * stopped (the chunk's length when done), so a chunk of millions of messages goes out in slices.
   */
  walkChunk(records: Uint8Array, view: DataView, fileOffset: number, from: number, admitted: (pos: number) => boolean): number {
    const end = records.byteLength;
    let pos = from;
    while (pos < end) {
      if (pos + RECORD_HEADER > end)
        this.fail(fileOffset, `chunk ends inside a record header at chunk offset ${pos}, expected whole records`);
      const op = records[pos];
      const length = u64(view, pos + 1);
      if (pos + RECORD_HEADER + length > end) {
        this.fail(
          fileOffset,
          `record at chunk offset ${pos} declares ${length} bytes, only ${end - pos - RECORD_HEADER} left in the chunk`,
        );
      }
      const at = pos;
      const body = pos + RECORD_HEADER;
      pos = body + length;
      if (op === OP.MESSAGE) {
        if (this.admit(view, body, length, fileOffset) && admitted(at)) return pos;
      } else if (op === OP.SCHEMA) this.schema(records, view, body, length, fileOffset);
      else if (op === OP.CHANNEL) this.channel(records, view, body, length, fileOffset);
      else if (op >= OP.HEADER && op <= 0x0f)
        this.fail(fileOffset, `record with opcode 0x${op.toString(16)} inside a chunk, expected Schema, Channel or Message`);
    }
    return pos;
  }
}
