import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import type { IWritable } from "@mcap/core";
import { BadInputError, errorText } from "../../types/errors";

/** What FileWritable needs of an open file (`fs.promises.FileHandle` has it); tests pass a failing one. */
export type WritableHandle = {
  write(buffer: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
  stat(): Promise<{ size: number }>;
  sync(): Promise<void>;
  close(): Promise<void>;
};

export type FileWritableOptions = {
  /** Bytes batched before one write to the file (default 1 MiB; 0 writes each `write()` through). */
  flushBytes?: number;
  /** Names the output in errors (e.g. `--out scene.mcap`); default the path. */
  label?: string;
  /** Opens the file (default `fs.promises.open`): `wx` for the temporary file, `w` for a special file. */
  open?: (file: string, flags: "wx" | "w") => Promise<WritableHandle>;
};

/** Where the bytes go: a regular file is replaced through a temporary file beside it; a FIFO or device is written in place. */
type Target = { final: string; tmp: string | undefined };

async function resolveTarget(file: string, where: string): Promise<Target> {
  const refuse = (what: string, expected: string): BadInputError => new BadInputError({ where, what, expected, code: "usage" });
  const stat = await fsp.stat(file).catch(() => undefined);
  if (stat?.isDirectory()) throw refuse("is a directory", "a file path");
  if (stat !== undefined && !stat.isFile()) return { final: file, tmp: undefined };
  // An existing file is replaced where it really is (through a symlink, the link stays and its target is replaced).
  const final = stat === undefined ? file : await fsp.realpath(file);
  const dir = path.dirname(final);
  const dirStat = await fsp.stat(dir).catch(() => undefined);
  if (dirStat === undefined) throw refuse(`no such directory ${dir}`, "a path in an existing directory");
  if (!dirStat.isDirectory()) throw refuse(`${dir} is not a directory`, "a path in an existing directory");
  return { final, tmp: path.join(dir, `${path.basename(final)}.${randomBytes(4).toString("hex")}.partial`) };
}

/**
 * An `IWritable` over a file that is either complete or absent: bytes go to a temporary file in the
 * target's directory (`<name>.<random>.partial`, created exclusively) and only `close()` — after every
 * write was checked for its byte count, the size on disk checked and the file fsynced — renames it
 * into place. A failed write fails this and every later call with one line (a `BadInputError`
 * naming the output, the bytes written and the system's reason); `abort()` removes the temporary
 * file. `create` refuses a directory, a missing or unwritable directory before anything is written.
 * McapWriter's many small writes are batched into `flushBytes` appends. Callers await each call.
 */
export class FileWritable implements IWritable {
  private readonly batch: Uint8Array;
  private used = 0;
  private written = 0n;
  private flushed = 0;
  private failure: BadInputError | undefined;
  /** Set once `close()` or `abort()` is called. */
  private finished = false;
  private handleOpen = true;

  private constructor(
    private readonly handle: WritableHandle,
    readonly path: string,
    private readonly tmpPath: string | undefined,
    private readonly where: string,
    flushBytes: number,
  ) {
    this.batch = new Uint8Array(flushBytes);
  }

  static async create(file: string, options: FileWritableOptions | number = {}): Promise<FileWritable> {
    const opts = typeof options === "number" ? { flushBytes: options } : options;
    const where = opts.label ?? file;
    const target = await resolveTarget(file, where);
    const open = opts.open ?? ((p: string, flags: "wx" | "w") => fsp.open(p, flags));
    let handle: WritableHandle;
    try {
      handle = await open(target.tmp ?? target.final, target.tmp === undefined ? "w" : "wx");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "error";
      const what =
        target.tmp === undefined ? `cannot open for writing (${code})` : `cannot create a file in ${path.dirname(target.tmp)} (${code})`;
      throw new BadInputError({ where, what, expected: "a writable file path", code: "usage" });
    }
    return new FileWritable(handle, target.final, target.tmp, where, opts.flushBytes ?? 1 << 20);
  }

  async write(buffer: Uint8Array): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.finished) throw new Error(`FileWritable: ${this.where}: write after close`);
    this.written += BigInt(buffer.byteLength);
    // Copied: McapWriter reuses its buffer once write() resolves.
    if (this.used + buffer.byteLength <= this.batch.byteLength) {
      this.batch.set(buffer, this.used);
      this.used += buffer.byteLength;
      if (this.used === this.batch.byteLength) await this.flush();
      return;
    }
    await this.flush();
    if (buffer.byteLength < this.batch.byteLength) {
      this.batch.set(buffer, 0);
      this.used = buffer.byteLength;
    } else {
      await this.writeFully(buffer);
    }
  }

  /** Bytes accepted so far (what McapWriter indexes by). */
  position(): bigint {
    return this.written;
  }

  /** Writes the batch, checks the size on disk, fsyncs, closes and renames into place; on failure removes it and throws. */
  async close(): Promise<void> {
    if (this.finished) return;
    try {
      if (this.failure) throw this.failure;
      await this.flush();
      if (this.tmpPath !== undefined) await this.commit(this.tmpPath);
      else await this.closeHandle();
      this.finished = true;
    } catch (err) {
      await this.abort();
      throw err instanceof BadInputError ? err : this.fail("cannot finish the file", err);
    }
  }

  /** Closes and deletes the temporary file (after a failure, or to drop the output); a no-op after `close()`. */
  async abort(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.closeHandle().catch(() => undefined);
    if (this.tmpPath !== undefined) await fsp.rm(this.tmpPath, { force: true });
  }

  private async closeHandle(): Promise<void> {
    if (!this.handleOpen) return;
    this.handleOpen = false;
    await this.handle.close();
  }

  private async commit(tmp: string): Promise<void> {
    const size = (await this.handle.stat()).size;
    if (size !== this.flushed) throw this.fail(`the file holds ${size} bytes after writing ${this.flushed}`);
    await this.handle.sync();
    await this.closeHandle();
    await fsp.rename(tmp, this.path);
    // The rename is durable once the directory is synced too (best effort: not every file system allows it).
    const dir = await fsp.open(path.dirname(this.path), "r").catch(() => undefined);
    if (dir === undefined) return;
    await dir.sync().catch(() => undefined);
    await dir.close().catch(() => undefined);
  }

  private async flush(): Promise<void> {
    if (this.used === 0) return;
    const n = this.used;
    this.used = 0;
    await this.writeFully(this.batch.subarray(0, n));
  }

  /** One buffer to the file, however many writes that takes; a write that takes nothing or fails is the end. */
  private async writeFully(buffer: Uint8Array): Promise<void> {
    let done = 0;
    while (done < buffer.byteLength) {
      let n: number;
      try {
        n = (await this.handle.write(buffer, done, buffer.byteLength - done)).bytesWritten;
      } catch (err) {
        throw this.fail(`write failed after ${this.flushed} bytes`, err);
      }
      if (!(n > 0)) throw this.fail(`write failed after ${this.flushed} bytes: 0 of ${buffer.byteLength - done} bytes taken`);
      done += n;
      this.flushed += n;
    }
  }

  private fail(what: string, cause?: unknown): BadInputError {
    this.failure ??= new BadInputError({ where: this.where, what: cause === undefined ? what : `${what}: ${errorText(cause)}` });
    return this.failure;
  }
}
