import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { BadInputError, isBadInput } from "../types/errors";

/** The name stdin goes by in messages. */
export const STDIN_NAME = "-";

/** A recording argument made readable: a file as given, or stdin (`-`) buffered to a temporary file. */
export type InputFile = {
  /** What to open. */
  path: string;
  /** Text (a log line, an error) with the temporary file's path replaced by `-`. */
  shown(text: string): string;
  /** Removes the temporary file (nothing for a plain file). */
  dispose(): Promise<void>;
};

type Stdin = NodeJS.ReadableStream & { isTTY?: boolean };

/**
 * `FILE` or `-`. A recording is read twice (inspected, then replayed) and the indexed reader
 * seeks to the summary at its end, so stdin cannot be read as it streams in: it is copied to a
 * temporary file first. Disk, not memory, holds it (no unbounded buffering, DESIGN.md), and the
 * same reader then handles it as any file, damaged or unindexed ones included.
 */
export async function inputFile(file: string, stdin: Stdin = process.stdin): Promise<InputFile> {
  if (file !== STDIN_NAME) return { path: file, shown: (text) => text, dispose: async () => {} };
  if (stdin.isTTY)
    throw new BadInputError({ where: STDIN_NAME, what: "stdin is a terminal", expected: "an MCAP recording piped in", code: "usage" });
  const dir = await mkdtemp(join(tmpdir(), "avfusion-stdin-"));
  const path = join(dir, "stdin.mcap");
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    await pipeline(stdin, createWriteStream(path));
  } catch (err) {
    await dispose();
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    throw new BadInputError({ where: STDIN_NAME, what: `cannot copy stdin to ${tmpdir()} (${code})`, code: "open" });
  }
  return { path, shown: (text) => text.replaceAll(path, STDIN_NAME), dispose };
}

/** A BadInputError that names the temporary file, renamed to `-`; anything else as it was. */
export function shownError(err: unknown, input: InputFile): unknown {
  if (!isBadInput(err) || input.shown(err.message) === err.message) return err;
  return new BadInputError({
    where: input.shown(err.where),
    what: input.shown(err.what),
    ...(err.expected !== undefined ? { expected: input.shown(err.expected) } : {}),
    code: err.code,
  });
}
