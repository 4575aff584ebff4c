/**
 * The held-out evaluation suite, runnable without the rest of the CLI:
 *   node --require ./bench/register.js bench/evalSuite.ts [NAME|FILE] [eval flags...]
 * e.g. `bench/evalSuite.ts standard --report tmp/suite-report --json`. Same code path as
 * `avfusion eval --suite` (src/cli/eval.ts); prints the load average before and after, since the
 * encoders' wall time depends on what else the machine runs.
 */
import { Command } from "commander";
import { loadavg } from "node:os";
import { registerEval } from "../src/cli/eval";
import { isBadInput } from "../src/types/errors";

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const suite = args[0] !== undefined && !args[0].startsWith("-") ? [args.shift()!] : [];
  const ctx = { stdout: (t: string) => void process.stdout.write(t), stderr: (t: string) => void process.stderr.write(t), exitCode: 0 };
  const load = (): string =>
    loadavg()
      .map((x) => x.toFixed(2))
      .join(" ");
  process.stderr.write(`evalSuite: start ${new Date().toISOString()}, load average ${load()}\n`);
  const program = new Command("avfusion").exitOverride();
  registerEval(program, ctx);
  await program.parseAsync(["node", "avfusion", "eval", "--suite", ...suite, ...args]);
  process.stderr.write(`evalSuite: end ${new Date().toISOString()}, load average ${load()}\n`);
  return ctx.exitCode;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`evalSuite: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}\n`);
    process.exit(isBadInput(err) ? 2 : 1);
  },
);
