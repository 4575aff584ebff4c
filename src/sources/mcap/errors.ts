import { BadInputError, isBadInput, type BadInputCode } from "../../types/errors";

/** Why a recording could not be read (completely): the `code` of the readers' BadInputErrors. */
export type McapReadErrorKind = Extract<
  BadInputCode,
  /** The path does not exist, is not a regular file, or cannot be opened. */
  | "open"
  /** Zero bytes. */
  | "empty"
  /** The first bytes are not the MCAP magic. */
  | "notMcap"
  /** The file ends in the middle of a record or without a footer. */
  | "truncated"
  /** A record is malformed: CRC mismatch, impossible length, bad compression, ... */
  | "corrupt"
>;

const KINDS: ReadonlySet<BadInputCode> = new Set<McapReadErrorKind>(["open", "empty", "notMcap", "truncated", "corrupt"]);

/**
 * One-line description of bad input: `<file>:<offset>: <what>, expected <what>`. `offset` is the
 * byte offset in the file of the record (or chunk) where the damage was found; `detail` is
 * squeezed onto one line.
 */
export function mcapReadError(kind: McapReadErrorKind, file: string, offset: bigint | undefined, detail: string): BadInputError {
  return new BadInputError({ where: offset === undefined ? file : `${file}:${offset}`, what: detail, code: kind });
}

/** True for the errors of `mcapReadError`: the recording itself is missing, damaged or not MCAP. */
export function isMcapReadError(err: unknown): err is BadInputError & { code: McapReadErrorKind } {
  return isBadInput(err) && KINDS.has(err.code);
}
