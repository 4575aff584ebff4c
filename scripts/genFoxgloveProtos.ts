/**
 * Regenerates proto/foxglove/*.proto from @foxglove/schemas.
 * Run: node --require ./bench/register.js scripts/genFoxgloveProtos.ts
 */
import * as fs from "fs";
import * as path from "path";
import { generateFoxgloveProtos } from "../src/schemas/foxgloveProtos";

const outDir = path.resolve(__dirname, "../proto/foxglove");
fs.mkdirSync(outDir, { recursive: true });
const files = generateFoxgloveProtos();
for (const existing of fs.readdirSync(outDir)) {
  if (existing.endsWith(".proto") && !files.has(existing)) fs.unlinkSync(path.join(outDir, existing));
}
for (const [name, text] of files) fs.writeFileSync(path.join(outDir, name), text);
console.log(`wrote ${files.size} files to ${path.relative(process.cwd(), outDir)}`);
