import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

const ROOT = resolve(__dirname, "..");

describe("README.md", () => {
  it("is assembled from docs/readme/ (run `node scripts/assembleReadme.js` after editing a section)", () => {
    const r = spawnSync(process.execPath, [resolve(ROOT, "scripts/assembleReadme.js"), "--check"], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("starts with the install-and-run command and the test command that .ci/run runs", () => {
    const readme = readFileSync(resolve(ROOT, "README.md"), "utf8");
    const block = readme.slice(readme.indexOf("```sh"), readme.indexOf("```", readme.indexOf("```sh") + 5));
    expect(block).toMatch(/npm ci && npm start/);
    expect(block).toMatch(/^npm test\b/m);
    const ci = readFileSync(resolve(ROOT, ".ci/run"), "utf8");
    expect(ci).toMatch(/^npm ci$/m);
    expect(ci).toMatch(/^npm test$/m);
  });
});
