/**
 * The one way avfusion reports bad input: a file, a message, a flag or a config value that is
 * not what it should be. Every stage throws this (never a subclass); the CLI maps it to exit code
 * 2 with its one-line message, and anything else to exit code 1 ("internal error").
 *
 * The message is `<where>: <what>[, expected <expected>]`, on one line: where names the file (and
 * byte offset), topic, flag or config key; what says what was found, with the offending value
 * (it may be empty when "expected …" says it all).
 */
export class BadInputError extends Error {
  override readonly name = "BadInputError";
  /** The file[:offset], topic, flag or config key at fault. */
  readonly where: string;
  /** What was found there. */
  readonly what: string;
  /** What was expected instead, when that can be said. */
  readonly expected: string | undefined;
  /** A stable tag for callers that must tell kinds of bad input apart (e.g. `truncated`); never shown. */
  readonly code: BadInputCode;

  constructor(parts: { where: string; what: string; expected?: string | undefined; code?: BadInputCode }) {
    const found = [parts.what, parts.expected === undefined ? "" : `expected ${parts.expected}`].filter((t) => t !== "").join(", ");
    super(oneLine(parts.where === "" ? found : `${parts.where}: ${found}`));
    this.where = parts.where;
    this.what = parts.what;
    this.expected = parts.expected;
    this.code = parts.code ?? "invalid";
  }
}

/**
 * Kinds of bad input that some caller tells apart. `invalid` is everything else.
 * - `usage`: a command-line flag or argument.
 * - `config`: a config file or option object.
 * - `open` / `empty` / `notMcap` / `truncated` / `corrupt`: why a recording could not be read (completely).
 * - `packet`: one malformed vendor packet (counted and skipped by the decoders).
 * - `model`: a model file that is missing or does not match its card.
 */
export type BadInputCode = "invalid" | "usage" | "config" | "open" | "empty" | "notMcap" | "truncated" | "corrupt" | "packet" | "model";

/** True for bad input (exit code 2 at the CLI), false for anything else. */
export function isBadInput(err: unknown): err is BadInputError {
  return err instanceof BadInputError;
}

/** Error text from a library, squeezed onto one line. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}

/** The message of anything thrown, on one line. */
export function errorText(err: unknown): string {
  // Duck-typed: an Error from another realm (a worker, jest's sandbox) fails `instanceof Error`,
  // and String() of it would add its class name ("Error: ENOENT …").
  const message = typeof err === "object" && err !== null && "message" in err ? (err as { message: unknown }).message : undefined;
  return oneLine(typeof message === "string" ? message : String(err));
}
