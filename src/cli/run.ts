// Entry for running the CLI from source without a build:
// `node --require ./bench/register.js src/cli/run.ts inspect FILE` (bin/avfusion.js runs dist/).
// The exit code is main()'s: 0, 1, 2, or 130 / 143 when Ctrl-C / SIGTERM stopped a run that then
// finished its outputs and printed its summary.
import { main } from "./main";

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`avfusion: internal error: ${err instanceof Error ? err.message.split("\n", 1)[0] : String(err)}\n`);
    process.exitCode = 1;
  },
);
