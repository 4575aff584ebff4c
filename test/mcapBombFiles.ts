import fs from "node:fs";
import { McapRecordBuilder } from "@mcap/core";
import type { SensorMessage } from "../src/types";

/**
 * Decompression bombs and oversized records, built byte by byte (no compressor needed): a zstd
 * frame of RLE blocks, an LZ4 frame of long matches, and MCAP files around them. A zstd RLE block
 * regenerates 128 KiB from 4 bytes, so 1 GiB of zeros is a 32 KiB frame.
 */

const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const ZSTD_BLOCK = 128 * 1024;

/** A zstd frame that decompresses to `size` zero bytes; `contentSize` is the size its header declares (null: none). */
export function zstdZeros(size: number, contentSize: number | null = size): Uint8Array {
  const blocks = Math.max(1, Math.ceil(size / ZSTD_BLOCK));
  const head = contentSize === null ? [0x00, 0x58] /* no FCS, window 2^21 */ : [0xe0 /* FCS 8 bytes, single segment */];
  const out = new Uint8Array(4 + head.length + (contentSize === null ? 0 : 8) + blocks * 4);
  out.set(ZSTD_MAGIC, 0);
  out.set(head, 4);
  let p = 4 + head.length;
  if (contentSize !== null) {
    new DataView(out.buffer).setBigUint64(p, BigInt(contentSize), true);
    p += 8;
  }
  let left = size;
  for (let b = 0; b < blocks; b++) {
    const n = Math.min(ZSTD_BLOCK, left);
    left -= n;
    const header = (n << 3) | (1 << 1) | (b === blocks - 1 ? 1 : 0); // RLE block
    out[p] = header & 0xff;
    out[p + 1] = (header >>> 8) & 0xff;
    out[p + 2] = (header >>> 16) & 0xff;
    out[p + 3] = 0; // the repeated byte
    p += 4;
  }
  return out;
}

/** xxHash32 of fewer than 16 bytes (enough for an LZ4 frame descriptor's checksum). */
function xxh32Short(b: Uint8Array): number {
  const P1 = 2654435761;
  const P2 = 2246822519;
  const P3 = 3266489917;
  const P4 = 668265263;
  const P5 = 374761393;
  const rotl = (x: number, r: number) => ((x << r) | (x >>> (32 - r))) >>> 0;
  let h = (P5 + b.length) >>> 0;
  let i = 0;
  for (; i + 4 <= b.length; i += 4) {
    const w = (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24)) >>> 0;
    h = Math.imul(rotl((h + Math.imul(w, P3)) >>> 0, 17), P4) >>> 0;
  }
  for (; i < b.length; i++) h = Math.imul(rotl((h + Math.imul(b[i], P5)) >>> 0, 11), P1) >>> 0;
  h = Math.imul(h ^ (h >>> 15), P2) >>> 0;
  h = Math.imul(h ^ (h >>> 13), P3) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

const LZ4_BLOCK = 4 * 1024 * 1024;

/** One LZ4 block regenerating `n` (≥ 13) zero bytes: a literal, one long match at offset 1, five closing literals. */
function lz4ZeroBlock(n: number): Uint8Array {
  const match = n - 6;
  const nibble = Math.min(15, match - 4);
  const bytes: number[] = [0x10 | nibble, 0x00, 0x01, 0x00];
  if (nibble === 15) {
    let left = match - 4 - 15;
    for (; left >= 255; left -= 255) bytes.push(255);
    bytes.push(left);
  }
  bytes.push(0x50, 0, 0, 0, 0, 0);
  return Uint8Array.from(bytes);
}

/** An LZ4 frame (4 MiB independent blocks) that decompresses to `size` zero bytes; `contentSize` goes in its header when given. */
export function lz4Zeros(size: number, contentSize?: number): Uint8Array {
  const descriptor = contentSize === undefined ? [0x60, 0x70] : [0x68, 0x70];
  const desc = Uint8Array.from(descriptor);
  const parts: Uint8Array[] = [Uint8Array.from([0x04, 0x22, 0x4d, 0x18])];
  const withSize = new Uint8Array(desc.length + (contentSize === undefined ? 0 : 8));
  withSize.set(desc);
  if (contentSize !== undefined) new DataView(withSize.buffer).setBigUint64(2, BigInt(contentSize), true);
  parts.push(withSize, Uint8Array.of((xxh32Short(withSize) >>> 8) & 0xff));
  const full = lz4ZeroBlock(LZ4_BLOCK);
  for (let left = size; left > 0; left -= LZ4_BLOCK) {
    const block = left >= LZ4_BLOCK ? full : lz4ZeroBlock(left);
    const head = new Uint8Array(4);
    new DataView(head.buffer).setUint32(0, block.byteLength, true);
    parts.push(head, block);
  }
  parts.push(new Uint8Array(4)); // EndMark
  return concat(parts);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.byteLength;
  }
  return out;
}

/** A chunk as written: what it declares and what it holds. */
export type BombChunk = { compression: string; uncompressedSize: number; records: Uint8Array };

export type BombOptions = {
  /** Messages written (unchunked) before the chunks; their schemas and channels come with them. */
  before?: readonly SensorMessage[];
  chunks: readonly BombChunk[];
  /** Write a summary (ChunkIndex, MessageIndex, Statistics) so the file is read indexed. */
  index?: boolean;
};

/**
 * An MCAP file: magic, header, the `before` messages (top level), the chunks exactly as given
 * (each followed by a MessageIndex for channel 1 when indexed), DataEnd, an optional summary,
 * footer, magic.
 */
export function bombRecording(options: BombOptions): Uint8Array {
  const b = new McapRecordBuilder();
  b.writeMagic();
  b.writeHeader({ profile: "", library: "avfusion bomb" });
  const channels = new Map<string, number>();
  const declare = (m: Pick<SensorMessage, "topic" | "schemaName" | "schemaEncoding" | "schemaData" | "messageEncoding">) => {
    let id = channels.get(m.topic);
    if (id === undefined) {
      id = channels.size + 1;
      channels.set(m.topic, id);
      b.writeSchema({ id, name: m.schemaName, encoding: m.schemaEncoding, data: m.schemaData });
      b.writeChannel({ id, schemaId: id, topic: m.topic, messageEncoding: m.messageEncoding, metadata: new Map() });
    }
    return id;
  };
  if (options.chunks.length > 0 || !options.before?.length)
    declare({
      topic: "/bomb",
      schemaName: "test.Blob",
      schemaEncoding: "jsonschema",
      schemaData: new Uint8Array(2),
      messageEncoding: "json",
    });
  let t = 0n;
  for (const m of options.before ?? []) {
    t = m.logTime;
    b.writeMessage({ channelId: declare(m), sequence: m.sequence, logTime: m.logTime, publishTime: m.publishTime, data: m.data });
  }
  const indexes = [];
  for (const c of options.chunks) {
    t += 1_000_000n;
    const start = BigInt(b.length);
    const chunkLength = b.writeChunk({
      messageStartTime: t,
      messageEndTime: t,
      uncompressedSize: BigInt(c.uncompressedSize),
      uncompressedCrc: 0,
      compression: c.compression,
      records: c.records,
    });
    const indexStart = BigInt(b.length);
    const indexLength = b.writeMessageIndex({ channelId: channels.get("/bomb")!, records: [[t, 0n]] });
    indexes.push({
      messageStartTime: t,
      messageEndTime: t,
      chunkStartOffset: start,
      chunkLength,
      messageIndexOffsets: new Map([[channels.get("/bomb")!, indexStart]]),
      messageIndexLength: indexLength,
      compression: c.compression,
      compressedSize: BigInt(c.records.byteLength),
      uncompressedSize: BigInt(c.uncompressedSize),
    });
  }
  b.writeDataEnd({ dataSectionCrc: 0 });
  let summaryStart = 0n;
  if (options.index) {
    summaryStart = BigInt(b.length);
    b.writeSchema({ id: 1, name: "test.Blob", encoding: "jsonschema", data: new Uint8Array(2) });
    b.writeChannel({ id: 1, schemaId: 1, topic: "/bomb", messageEncoding: "json", metadata: new Map() });
    for (const ci of indexes) b.writeChunkIndex(ci);
  }
  b.writeFooter({ summaryStart, summaryOffsetStart: 0n, summaryCrc: 0 });
  b.writeMagic();
  return b.buffer.slice();
}

/**
 * An unchunked file on disk whose one Message record holds `dataBytes` zero bytes, written sparse
 * (no memory, little disk): header, schema, channel, the message, DataEnd, footer, magic.
 */
export function writeBigMessageFile(path: string, dataBytes: number): void {
  const b = new McapRecordBuilder();
  b.writeMagic();
  b.writeHeader({ profile: "", library: "avfusion bomb" });
  b.writeSchema({ id: 1, name: "test.Blob", encoding: "jsonschema", data: new Uint8Array(2) });
  b.writeChannel({ id: 1, schemaId: 1, topic: "/big", messageEncoding: "json", metadata: new Map() });
  const head = b.buffer.slice();
  const message = new Uint8Array(9 + 22);
  const view = new DataView(message.buffer);
  message[0] = 0x05;
  view.setBigUint64(1, BigInt(22 + dataBytes), true);
  view.setUint16(9, 1, true);
  b.reset();
  b.writeDataEnd({ dataSectionCrc: 0 });
  b.writeFooter({ summaryStart: 0n, summaryOffsetStart: 0n, summaryCrc: 0 });
  b.writeMagic();
  const tail = b.buffer.slice();
  const fd = fs.openSync(path, "w");
  try {
    fs.writeSync(fd, head, 0, head.byteLength, 0);
    fs.writeSync(fd, message, 0, message.byteLength, head.byteLength);
    fs.writeSync(fd, tail, 0, tail.byteLength, head.byteLength + message.byteLength + dataBytes);
  } finally {
    fs.closeSync(fd);
  }
}
