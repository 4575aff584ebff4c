import type { Command } from "commander";
import { BadInputError } from "../types/errors";

/**
 * `--max-record-mib N`: the record cap of every command that reads a recording (inspect, replay,
 * play, eval). It travels with the opened file (`FileReadable.open(path, { maxRecordBytes })`), so
 * every reader of it — inspection, planning, the replay itself — applies the same cap.
 */
export type RecordCapFlag = { maxRecordMib?: string };

/** The old hard limit: a chunk the reader can hold at all (a JS typed array tops out near 4 GiB). */
const MAX_MIB = 4096;

export function withRecordCapFlag(command: Command): Command {
  return command.option(
    "--max-record-mib <n>",
    "largest record a recording may make the reader hold, in MiB: a chunk after decompression, a message (default 256); a bigger one is damage, skipped unread",
  );
}

/** The cap in bytes, or undefined for the default (src/sources/mcap/recordLimits.ts). */
export function parseRecordCap(flags: RecordCapFlag): number | undefined {
  const text = flags.maxRecordMib;
  if (text === undefined) return undefined;
  const mib = Number(text);
  if (!Number.isInteger(mib) || mib < 1 || mib > MAX_MIB) {
    throw new BadInputError({
      where: `--max-record-mib ${text}`,
      what: "",
      expected: `a whole number of MiB from 1 to ${MAX_MIB}`,
      code: "usage",
    });
  }
  return mib * 2 ** 20;
}
