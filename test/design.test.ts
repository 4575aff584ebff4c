import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";

const ROOT = resolve(__dirname, "..");
const design = readFileSync(resolve(ROOT, "DESIGN.md"), "utf8");

/** Every folder of the checkout that a `src/...` path in the text names (`src/a/b/c.ts` names `src/a/` and `src/a/b/`). */
function namedFolders(text: string): string[] {
  const folders = new Set<string>();
  for (const [path] of text.matchAll(/(?<![\w./-])src\/[\w.-]+(?:\/[\w.-]+)*\/?/g)) {
    const parts = path.split("/"); // the last part is a file name, or "" after a trailing slash
    for (let i = 2; i < parts.length; i++) folders.add(`${parts.slice(0, i).join("/")}/`);
  }
  return [...folders].sort();
}

describe("DESIGN.md", () => {
  it("names every top-level folder of src/ as `src/<name>/`", () => {
    const folders = readdirSync(resolve(ROOT, "src")).filter((name) => statSync(resolve(ROOT, "src", name)).isDirectory());
    expect(folders.length).toBeGreaterThan(0);
    expect(folders.filter((name) => !design.includes(`src/${name}/`))).toEqual([]);
  });

  it("names no src/ folder that does not exist", () => {
    const named = namedFolders(design);
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((folder) => !existsSync(resolve(ROOT, folder)) || !statSync(resolve(ROOT, folder)).isDirectory())).toEqual([]);
  });

  it("reads folder names out of paths the way the check above relies on", () => {
    expect(namedFolders("`src/a/` and src/b/c/d.ts, src/index.ts, x/src/no/")).toEqual(["src/a/", "src/b/", "src/b/c/"]);
  });
});
