/** Bad command-line usage or bad input named on the command line: exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  readonly exitCode = 2;
}

/**
 * Errors the CLI reports as bad input (one line, exit 2, no stack trace): anything carrying
 * `exitCode: 2` (UsageError) and the readers' one-line errors (McapReadError). Other libraries'
 * errors can opt in by setting `exitCode = 2` or `badInput = true` on the error object.
 */
export function isBadInput(err: unknown): err is Error {
  if (!(err instanceof Error)) return false;
  const e = err as Error & { exitCode?: unknown; badInput?: unknown };
  return e.exitCode === 2 || e.badInput === true || e.name === "McapReadError";
}
