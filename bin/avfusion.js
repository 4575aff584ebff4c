#!/usr/bin/env node
// Thin launcher: the CLI lives in src/cli and is compiled to dist/ by `npm run build`. main()
// resolves to the exit code (0, 1, 2, or 130 / 143 after Ctrl-C / SIGTERM finished the outputs);
// only an error escaping it lands here, as one line (the stack with AVFUSION_DEBUG=1).
require("../dist/cli/main.js")
  .main(process.argv)
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      const text = err instanceof Error ? err.message : String(err);
      console.error(`avfusion: internal error: ${text.split("\n", 1)[0]}`);
      if (process.env.AVFUSION_DEBUG && err instanceof Error && err.stack) console.error(err.stack);
      process.exitCode = 1;
    },
  );
