// Lets `node --require ./bench/register.js file.ts` run TypeScript directly (benchmarks, scripts):
// each .ts file is compiled to CommonJS by @swc/core on load. Type checking is `npm run typecheck`.
const fs = require("node:fs");
const { transformSync } = require("@swc/core");

require.extensions[".ts"] = function compileTs(module, filename) {
  const source = fs.readFileSync(filename, "utf8");
  const { code } = transformSync(source, {
    filename,
    sourceMaps: "inline",
    module: { type: "commonjs" },
    jsc: { parser: { syntax: "typescript" }, target: "es2022" },
  });
  module._compile(code, filename);
};
