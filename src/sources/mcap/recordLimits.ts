import type { DecompressHandlers } from "@mcap/core";
import type { RecordingReadable } from "./types";

const MiB = 2 ** 20;

/**
 * The default cap on one record the reader holds in memory: a chunk's records after decompression,
 * or one top-level record as stored (a message in an unchunked file, a chunk, a schema).
 *
 * Why 256 MiB: writers close a chunk once it passes a target size of about a MiB (1 MiB in
 * @mcap/core's writer), so a chunk outgrows the target only by its last message, and the
 * largest sensor messages are raw frames: an uncompressed 8K RGB image is 100 MB, a 128-beam
 * LiDAR sweep 10 to 20 MB. 256 MiB holds those twice over, while a chunk at the cap costs at most
 * two chunk-sized buffers at once (the decompressor's output and the copy it hands back): about
 * 0.5 GiB, where the old 4 GiB limit allowed a 34 KB file to take gigabytes.
 */
export const DEFAULT_MAX_RECORD_BYTES = 256 * MiB;

/** The cap for a read: the reader's option, else the source's own, else the default. */
export function maxRecordBytes(option: number | undefined, source: Pick<RecordingReadable, "maxRecordBytes">): number {
  return option ?? source.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
}

function mib(bytes: number): string {
  const m = bytes / MiB;
  return Number.isInteger(m) ? `${m} MiB` : `${m.toFixed(2)} MiB`;
}

/**
 * The damage text for a record over the cap: `<what> N bytes (M MiB), over the record cap[; skipped],
 * expected at most …` (`skipped`: the read went on after it).
 */
export function overCapText(what: string, bytes: number, cap: number, skipped = true): string {
  return `${what} ${bytes} bytes (${mib(bytes)}), over the record cap${skipped ? "; skipped" : ""}, expected at most ${cap} bytes (${mib(cap)}, --max-record-mib)`;
}

/**
 * The decompressors with the cap for @mcap/core's own readers (inspect's scan, `parser: "library"`):
 * a chunk that declares more than `cap` bytes is refused before anything is allocated, and one
 * whose frame gives other than what it declares is an error (McapStreamReader does not check).
 */
export function cappedHandlers(handlers: DecompressHandlers, cap: number): DecompressHandlers {
  const capped: DecompressHandlers = {};
  for (const [name, decompress] of Object.entries(handlers)) {
    capped[name] = (buffer, size) => {
      if (size > BigInt(cap)) throw new Error(overCapText(`${name} chunk declares an uncompressed size of`, Number(size), cap, false));
      const out = decompress(buffer, size);
      if (BigInt(out.byteLength) !== size) {
        throw new Error(`${name} chunk holds ${out.byteLength} bytes after decompression, expected ${size}`);
      }
      return out;
    };
  }
  return capped;
}

/**
 * A source whose reads are refused over the cap, for @mcap/core's McapIndexedReader: it reads a
 * chunk, a summary or an index whole, at whatever size the file's index claims.
 */
export class CappedReadable implements RecordingReadable {
  /** Where the last read started: names the offset when the indexed reader throws. */
  lastOffset: bigint | undefined;
  constructor(
    private readonly inner: RecordingReadable,
    private readonly cap: number,
  ) {}
  get name(): string {
    return this.inner.name;
  }
  size(): Promise<bigint> {
    return this.inner.size();
  }
  read(offset: bigint, size: bigint): Promise<Uint8Array> {
    this.lastOffset = offset;
    if (size > BigInt(this.cap)) return Promise.reject(new Error(overCapText("read of", Number(size), this.cap, false)));
    return this.inner.read(offset, size);
  }
}
