/**
 * Why a recording could not be read (completely). Callers (the CLI) tell bad input apart from
 * internal failures by this class: bad input is exit code 2, anything else exit code 1.
 */
export type McapReadErrorKind =
  /** The path does not exist, is not a regular file, or cannot be opened. */
  | "open"
  /** Zero bytes. */
  | "empty"
  /** The first bytes are not the MCAP magic. */
  | "notMcap"
  /** The file ends in the middle of a record or without a footer. */
  | "truncated"
  /** A record is malformed: CRC mismatch, impossible length, bad compression, ... */
  | "corrupt";

/**
 * One-line description of bad input: `<file>:<offset>: <what>, expected <what>`.
 * `offset` is the byte offset in the file of the record (or chunk) where the damage was found.
 */
export class McapReadError extends Error {
  override readonly name = "McapReadError";
  constructor(
    readonly kind: McapReadErrorKind,
    readonly file: string,
    readonly offset: bigint | undefined,
    readonly detail: string,
  ) {
    super(`${file}${offset === undefined ? "" : `:${offset}`}: ${oneLine(detail)}`);
  }
}

/** Error text from a library, squeezed onto one line. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

/** The message of anything thrown, on one line. */
export function errorText(err: unknown): string {
  return oneLine(err instanceof Error ? err.message : String(err));
}
