import { Command, CommanderError } from "commander";
import { COMMANDS } from "./commands";
import type { CliContext, CliIo, CommandRegistrar } from "./context";
import { packageVersion } from "../runtime/packageRoot";
import { isBadInput } from "../types/errors";
import { exitCodeFor } from "./errors";
import { addExamples } from "./examples";

/**
 * process.stdout and stderr, where a reader that went away (EPIPE: `--jsonl - | head -1`) is not
 * a crash: without a listener Node throws the stream's error with a stack trace. Writes after
 * that are dropped, and `stdoutClosed` tells the running command to stop.
 */
function processIo(): { io: CliIo; stdoutClosed: AbortSignal } {
  const closed = new AbortController();
  let stderrOpen = true;
  // bin/avfusion.js calls main() once per process, so these are installed once.
  process.stdout.on("error", () => closed.abort());
  process.stderr.on("error", () => {
    stderrOpen = false;
  });
  const io: CliIo = {
    stdout: (text) => {
      if (!closed.signal.aborted) process.stdout.write(text);
    },
    stderr: (text) => {
      if (stderrOpen) process.stderr.write(text);
    },
  };
  return { io, stdoutClosed: closed.signal };
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0].trim();
}

/**
 * Runs the CLI and resolves to the exit code: 0 ok, 2 bad input or usage (one line on stderr, no
 * stack trace), 1 internal failure, 130 / 143 when Ctrl-C / SIGTERM stopped a `replay`, `live` or `play`
 * that then finished its outputs and printed its summary (src/cli/interrupt.ts). `argv` is
 * `process.argv` shaped (node, script, args...).
 */
export async function main(argv: string[], given?: CliIo, commands: readonly CommandRegistrar[] = COMMANDS): Promise<number> {
  const { io, stdoutClosed } = given === undefined ? processIo() : { io: given, stdoutClosed: undefined };
  const ctx: CliContext = { ...io, exitCode: 0, ...(stdoutClosed ? { stdoutClosed } : {}) };
  const program = new Command("avfusion")
    .description("Camera, LiDAR, radar and audio sensor fusion on RxJS streams")
    .version(packageVersion(), "-V, --version", "print the version (from package.json) and exit")
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  for (const register of commands) register(program, ctx);
  addExamples(program);
  for (const c of program.commands) {
    c.exitOverride().configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
    addExamples(c);
  }
  try {
    if (argv.length <= 2) {
      program.outputHelp({ error: true });
      return 2;
    }
    await program.parseAsync(argv);
    return ctx.exitCode;
  } catch (err) {
    // Commander has already printed its one-line message (or the help / version text).
    if (err instanceof CommanderError) return exitCodeFor(err);
    if (isBadInput(err)) {
      io.stderr(`avfusion: ${firstLine(err.message)}\n`);
      return exitCodeFor(err);
    }
    const text = err instanceof Error ? err.message : String(err);
    io.stderr(`avfusion: internal error: ${firstLine(text)}\n`);
    if (process.env.AVFUSION_DEBUG && err instanceof Error && err.stack) io.stderr(`${err.stack}\n`);
    return exitCodeFor(err);
  }
}
