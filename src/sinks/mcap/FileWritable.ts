import { promises as fsp } from "fs";
import type { IWritable } from "@mcap/core";
import { BadInputError } from "../../types/errors";

/**
 * An `IWritable` over a file, batching McapWriter's many small writes into ~1 MiB appends.
 * Writes go to `<path>.partial` and are renamed into place on `close()`, so an interrupted run
 * never leaves a truncated file under the final name.
 */
export class FileWritable implements IWritable {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private written = 0n;

  private constructor(
    private readonly handle: fsp.FileHandle,
    readonly path: string,
    private readonly tmpPath: string,
    private readonly flushBytes: number,
  ) {}

  static async create(path: string, flushBytes = 1 << 20): Promise<FileWritable> {
    const tmp = `${path}.partial`;
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(tmp, "w");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "error";
      throw new BadInputError({ where: "", what: `cannot write ${path}: ${code} (expected a writable file path)`, code: "usage" });
    }
    return new FileWritable(handle, path, tmp, flushBytes);
  }

  async write(buffer: Uint8Array): Promise<void> {
    // McapWriter reuses its buffer after write() resolves: copy.
    this.pending.push(buffer.slice());
    this.pendingBytes += buffer.byteLength;
    this.written += BigInt(buffer.byteLength);
    if (this.pendingBytes >= this.flushBytes) await this.flush();
  }

  position(): bigint {
    return this.written;
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const parts = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    await this.handle.writev(parts);
  }

  /** Flushes, closes and moves the file into place. */
  async close(): Promise<void> {
    await this.flush();
    await this.handle.close();
    await fsp.rename(this.tmpPath, this.path);
  }

  /** Closes and deletes the partial file (after a failure). */
  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await fsp.rm(this.tmpPath, { force: true });
  }
}
