#!/usr/bin/env node
// Thin launcher: the CLI lives in src/cli and is compiled to dist/ by `npm run build`.
require("../dist/cli/main.js")
  .main(process.argv)
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(`avfusion: internal error: ${err && err.stack ? err.stack : err}`);
      process.exitCode = 1;
    },
  );
