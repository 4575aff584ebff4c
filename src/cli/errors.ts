import { CommanderError } from "commander";
import { isBadInput } from "../types/errors";

/** The CLI's exit codes: the only place in avfusion where an error becomes a number. */
export const EXIT = { ok: 0, internal: 1, badInput: 2 } as const;

/**
 * How a thrown error ends the CLI: bad input (`BadInputError`, from any stage, and Commander's own
 * usage errors) is exit code 2 with its one-line message and no stack trace; anything else is an
 * internal failure, exit code 1.
 */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.badInput;
  return isBadInput(err) ? EXIT.badInput : EXIT.internal;
}
