import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

// The layering rule (.dependency-cruiser.cjs) must fail on the imports it forbids: each case plants
// a tiny tree with that import in a temporary folder and runs dependency-cruiser on it with the
// project's own rules.
const ROOT = resolve(__dirname, "..");
const CRUISER = resolve(ROOT, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");

function cruise(files: Record<string, string>): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), "avfusion-layering-"));
  try {
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "nodenext", moduleResolution: "nodenext" } }));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    const r = spawnSync(process.execPath, [CRUISER, "src", "--config", resolve(ROOT, ".dependency-cruiser.cjs"), "--output-type", "err"], {
      cwd: dir,
      encoding: "utf8",
    });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const leaf = "export const x = 1;\n";

describe("layering rule (dependency-cruiser)", () => {
  it("passes imports that run downward: face → tools → applications → composition → stages → ground", () => {
    const r = cruise({
      "src/types/a.ts": leaf,
      "src/config/c.ts": 'import { x } from "../types/a";\nexport const c = x;\n',
      "src/decode/d.ts": 'import { c } from "../config/c";\nexport const d = c;\n',
      "src/pipeline/p.ts": 'import { d } from "../decode/d";\nexport const p = d;\n',
      "src/replay/r.ts": 'import { p } from "../pipeline/p";\nexport const r = p;\n',
      "src/eval/e.ts": 'import { r } from "../replay/r";\nexport const e = r;\n',
      "src/cli/main.ts": 'import { e } from "../eval/e";\nexport const m = e;\n',
    });
    expect(r.output).not.toMatch(/error/);
    expect(r.status).toBe(0);
  });

  it("fails on a planted back-up import (ground → face)", () => {
    const r = cruise({
      "src/types/a.ts": 'import { m } from "../cli/main";\nexport const x = m;\n',
      "src/cli/main.ts": leaf.replace("x", "m"),
    });
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/ground-types-imports-downward: src\/types\/a\.ts → src\/cli\/main\.ts/);
  });

  it("fails when a stage imports another stage", () => {
    const r = cruise({
      "src/scene/s.ts": 'import { f } from "../fusion/f";\nexport const s = f;\n',
      "src/fusion/f.ts": leaf.replace("x", "f"),
    });
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/stages-scene-imports-downward: src\/scene\/s\.ts → src\/fusion\/f\.ts/);
  });

  it("fails when a stage imports a tool (the simulator)", () => {
    const r = cruise({
      "src/encoders/e.ts": 'import { w } from "../sim/w";\nexport const e = w;\n',
      "src/sim/w.ts": leaf.replace("x", "w"),
    });
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/stages-encoders-imports-downward/);
  });

  it("fails when one application imports another", () => {
    const r = cruise({ "src/live/l.ts": 'import { p } from "../play/p";\nexport const l = p;\n', "src/play/p.ts": leaf.replace("x", "p") });
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/applications-live-imports-downward/);
  });

  it("fails on a cycle inside one folder", () => {
    const r = cruise({
      "src/sync/a.ts": 'import { b } from "./b";\nexport const a = () => b;\n',
      "src/sync/b.ts": 'import { a } from "./a";\nexport const b = () => a;\n',
    });
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/no-circular/);
  });
});
