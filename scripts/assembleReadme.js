#!/usr/bin/env node
// README.md = docs/readme/head.md + each stage's section, in pipeline order. Each engineer keeps
// their section next to the others in docs/readme/; this joins them. `--check` exits 1 when
// README.md differs from what would be written (the test suite runs it).
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const DIR = path.join(ROOT, "docs", "readme");
const ORDER = [
  "head",
  "status",
  "pipeline",
  "mcap",
  "decode",
  "vendor",
  "sync",
  "runtime",
  "encoders",
  "encoders-vision",
  "fusion",
  "scene",
  "sim",
  "bridge",
  "eval",
  "bench",
];

function assemble() {
  const present = new Set(
    fs
      .readdirSync(DIR)
      .filter((f) => f.endsWith(".md"))
      .map((f) => f.slice(0, -3)),
  );
  const unknown = [...present].filter((name) => !ORDER.includes(name));
  if (unknown.length > 0) throw new Error(`docs/readme: ${unknown.join(", ")} not in ORDER of scripts/assembleReadme.js`);
  return (
    ORDER.filter((name) => present.has(name))
      .map((name) => fs.readFileSync(path.join(DIR, `${name}.md`), "utf8").trim())
      .join("\n\n") + "\n"
  );
}

const text = assemble();
const target = path.join(ROOT, "README.md");
if (process.argv.includes("--check")) {
  const current = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : "";
  if (current !== text) {
    console.error("README.md is out of date: run `node scripts/assembleReadme.js`");
    process.exit(1);
  }
} else {
  fs.writeFileSync(target, text);
}
