import { Command, CommanderError } from "commander";
import { COMMANDS } from "./commands";
import type { CliContext, CliIo, CommandRegistrar } from "./context";
import { isBadInput } from "../types/errors";
import { exitCodeFor } from "./errors";

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

function firstLine(text: string): string {
  return text.split("\n", 1)[0].trim();
}

/**
 * Runs the CLI and resolves to the exit code: 0 ok, 2 bad input or usage (one line on stderr, no
 * stack trace), 1 internal failure, 130 / 143 when Ctrl-C / SIGTERM stopped a `replay` or `live`
 * that then finished its outputs and printed its summary (src/cli/interrupt.ts). `argv` is
 * `process.argv` shaped (node, script, args...).
 */
export async function main(argv: string[], io: CliIo = defaultIo, commands: readonly CommandRegistrar[] = COMMANDS): Promise<number> {
  const ctx: CliContext = { ...io, exitCode: 0 };
  const program = new Command("avfusion")
    .description("Camera, LiDAR, radar and audio sensor fusion on RxJS streams")
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  for (const register of commands) register(program, ctx);
  program.commands.forEach((c) => c.exitOverride().configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) }));
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
