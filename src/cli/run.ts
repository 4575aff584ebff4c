// Entry for running the CLI from source without a build:
// `node --require ./bench/register.js src/cli/run.ts inspect FILE` (bin/avfusion.js runs dist/).
import { main } from "./main";

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`avfusion: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
