import { MCAP_MAGIC, type DecompressHandlers } from "@mcap/core";
import type { SensorMessage } from "../../types";
import { McapReadError } from "./errors";
import { MessageParser, OP, ParseDamage, u64, type MessageFilter, type ParseCounters } from "./MessageParser";
import { checkMagic, OPCODE_NAMES } from "./streamRecords";
import type { RecordingReadable } from "./types";

const RECORD_HEADER = 9;

export type StreamMessagesOptions = MessageFilter & {
  validateCrcs: boolean;
  blockSize: number;
  handlers: DecompressHandlers;
  counters: ParseCounters;
};

/**
 * Streamed read of the messages, in file order, with MessageParser. Bytes are read in blocks of
 * `blockSize` (or one whole record when it is larger) only when the consumer pulls the next
 * batch; a batch holds the messages parsed from one block. Damage throws a McapReadError after
 * every earlier batch was yielded.
 */
export async function* streamMessageBatches(
  source: RecordingReadable,
  o: StreamMessagesOptions,
): AsyncGenerator<SensorMessage[], void, void> {
  const size = Number(await source.size());
  await checkMagic(source, BigInt(size));
  const parser = new MessageParser(source.name, o, o.counters, o.handlers, o.validateCrcs);
  let buf: Uint8Array = new Uint8Array(0);
  let view = new DataView(buf.buffer);
  let bufStart = MCAP_MAGIC.length; // file offset of buf[0]
  let pos = MCAP_MAGIC.length; // file offset of the next record
  let out: SensorMessage[] = [];
  const damage = (kind: "truncated" | "corrupt", at: number, what: string) => new McapReadError(kind, source.name, BigInt(at), what);

  /** Make buf hold [pos, pos + n); false at end of file. */
  const fill = async (n: number): Promise<boolean> => {
    const have = bufStart + buf.byteLength - pos;
    if (have >= n) return true;
    if (pos + n > size) return false;
    const want = Math.min(Math.max(n - have, o.blockSize), size - (bufStart + buf.byteLength));
    const more = await source.read(BigInt(bufStart + buf.byteLength), BigInt(want));
    if (have === 0) {
      buf = more;
    } else {
      const joined = new Uint8Array(have + more.byteLength);
      joined.set(buf.subarray(pos - bufStart));
      joined.set(more, have);
      buf = joined;
    }
    bufStart = pos;
    view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    return true;
  };

  for (;;) {
    if (bufStart + buf.byteLength - pos < RECORD_HEADER) {
      // Next read: hand over what is parsed first, so the consumer sets the pace.
      if (out.length > 0) {
        yield out;
        out = [];
      }
      if (!(await fill(RECORD_HEADER))) {
        throw pos === size
          ? damage(
              "truncated",
              pos,
              `file ends after ${size} bytes without a Footer record, expected more records or the footer and closing magic`,
            )
          : damage("truncated", pos, `file ends inside a record header (${size - pos} bytes of it present), expected a complete record`);
      }
    }
    const at = pos - bufStart;
    const op = buf[at];
    const length = u64(view, at + 1);
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
    if (bufStart + buf.byteLength - pos < total) {
      if (out.length > 0) {
        yield out;
        out = [];
      }
      if (total > o.blockSize) {
        // A big record (a chunk, a camera frame) is read alone in one piece: re-reading the part
        // of it the last block held is cheaper than allocating and copying a joined buffer.
        buf = await source.read(BigInt(pos), BigInt(total));
        bufStart = pos;
        view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      } else {
        await fill(total);
      }
    }
    const rec = pos - bufStart;
    try {
      parser.topLevel(buf, view, rec, length, pos, out);
    } catch (err) {
      if (out.length > 0) yield out;
      if (err instanceof ParseDamage) throw damage(err.kind, err.offset, err.message);
      throw err;
    }
    pos += total;
    if (op === OP.FOOTER) {
      if (out.length > 0) yield out;
      const magicEnd = pos + MCAP_MAGIC.length;
      if (magicEnd > size)
        throw damage("truncated", pos, `file ends inside the closing magic, expected ${MCAP_MAGIC.length} bytes of magic after the footer`);
      if (!(await fill(MCAP_MAGIC.length))) throw damage("truncated", pos, "file ends before the closing magic");
      const m = buf.subarray(pos - bufStart, pos - bufStart + MCAP_MAGIC.length);
      if (!MCAP_MAGIC.every((b, i) => m[i] === b)) {
        throw damage(
          "corrupt",
          pos,
          `closing magic is ${Array.from(m, (b) => b.toString(16).padStart(2, "0")).join(" ")}, expected the MCAP magic`,
        );
      }
      if (magicEnd !== size)
        throw damage("corrupt", magicEnd, `${size - magicEnd} unexpected bytes after the closing magic, expected end of file`);
      return;
    }
  }
}
