import { promises as fsp } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { mcapReadError } from "./errors";
import type { RecordingReadable } from "./types";

/**
 * A recording file on disk. Reads go straight to the file handle (no cache), so memory use is
 * whatever the reader asks for at a time.
 */
export class FileReadable implements RecordingReadable {
  private constructor(
    readonly name: string,
    private readonly handle: FileHandle,
    private readonly byteSize: bigint,
    readonly maxRecordBytes: number | undefined,
  ) {}

  /**
   * Open a regular file; bad paths become a one-line `mcapReadError` of kind "open".
   * `maxRecordBytes` caps what every reader of it holds at once (default 256 MiB, recordLimits.ts).
   */
  static async open(path: string, options: { maxRecordBytes?: number | undefined } = {}): Promise<FileReadable> {
    let stat;
    try {
      stat = await fsp.stat(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : `cannot open (${code ?? "error"})`;
      throw mcapReadError("open", path, undefined, `${why}, expected an MCAP file`);
    }
    if (stat.isDirectory()) {
      throw mcapReadError("open", path, undefined, "is a directory, expected an MCAP file");
    }
    if (!stat.isFile()) {
      throw mcapReadError("open", path, undefined, "is not a regular file, expected an MCAP file");
    }
    let handle: FileHandle;
    try {
      handle = await fsp.open(path, "r");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw mcapReadError("open", path, undefined, `cannot open (${code ?? "error"}), expected a readable MCAP file`);
    }
    return new FileReadable(path, handle, BigInt(stat.size), options.maxRecordBytes);
  }

  async size(): Promise<bigint> {
    return this.byteSize;
  }

  async read(offset: bigint, size: bigint): Promise<Uint8Array> {
    if (offset < 0n || size < 0n || offset + size > this.byteSize) {
      throw new RangeError(`${this.name}: read of ${size} bytes at offset ${offset} is past the end of the ${this.byteSize}-byte file`);
    }
    const length = Number(size);
    const buffer = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buffer, done, length - done, Number(offset) + done);
      if (bytesRead === 0) {
        throw new RangeError(`${this.name}: file shrank while reading at offset ${Number(offset) + done}`);
      }
      done += bytesRead;
    }
    return buffer;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
