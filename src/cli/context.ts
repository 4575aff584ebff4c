import type { Command } from "commander";

/** Where a command writes and how it reports its exit code; tests pass their own. */
export type CliIo = {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
};

export type CliContext = CliIo & {
  /** A command sets this when it finishes with a non-zero status without throwing. */
  exitCode: number;
  /**
   * Aborts when the reader of stdout went away (EPIPE: `replay --jsonl - | head -1`): a command
   * stops as after Ctrl-C, finishes its files and exits 0, without a stack trace. Absent in tests
   * that pass their own io.
   */
  stdoutClosed?: AbortSignal;
};

/** Adds one command to the program. One file per command in src/cli/, listed in commands.ts. */
export type CommandRegistrar = (program: Command, ctx: CliContext) => void;
