import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";

const ROOT = resolve(__dirname, "..");
const MAX_README_LINES = 200;

function read(path: string): string {
  return readFileSync(resolve(ROOT, path), "utf8");
}

/** Markdown with fenced code blocks and inline code removed: links there are examples, not links. */
function proseOf(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, "").replace(/`[^`\n]*`/g, "");
}

/** Targets of inline links `[text](target)` and reference definitions `[label]: target`. */
function linkTargets(markdown: string): string[] {
  const prose = proseOf(markdown);
  const inline = [...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
  const defined = [...prose.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((m) => m[1]);
  return [...inline, ...defined];
}

/** The file a relative link points at, or undefined for web links, mail and in-page anchors. */
function linkedPath(fromFile: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("#")) return undefined;
  const path = decodeURIComponent(target.split("#")[0].split("?")[0]);
  return resolve(dirname(resolve(ROOT, fromFile)), path);
}

const DOC_PAGES = readdirSync(resolve(ROOT, "docs"))
  .filter((f) => f.endsWith(".md"))
  .map((f) => `docs/${f}`);

describe("README.md", () => {
  it("starts with the install-and-run command and the test command that .ci/run runs", () => {
    const readme = read("README.md");
    const start = readme.indexOf("```sh");
    expect(start).toBeGreaterThanOrEqual(0);
    const block = readme.slice(start, readme.indexOf("```", start + 5));
    const [, first, second] = block.split("\n");
    expect(first).toMatch(/^npm ci && npm start\b/);
    expect(second).toMatch(/^npm test\b/);
    const ci = read(".ci/run");
    expect(ci).toMatch(/^npm ci$/m);
    expect(ci).toMatch(/^npm test$/m);
  });

  it(`is at most ${MAX_README_LINES} lines (the details live in docs/)`, () => {
    const lines = read("README.md").replace(/\n$/, "").split("\n").length;
    expect(lines).toBeLessThanOrEqual(MAX_README_LINES);
  });

  it("links every page of docs/", () => {
    const linked = new Set(
      linkTargets(read("README.md"))
        .map((t) => linkedPath("README.md", t))
        .filter((p): p is string => p !== undefined)
        .map((p) => relative(ROOT, p)),
    );
    expect(DOC_PAGES.filter((page) => !linked.has(page))).toEqual([]);
  });
});

describe("relative links in README.md and docs/*.md", () => {
  it.each(["README.md", ...DOC_PAGES])("%s: every relative link resolves to a file in the checkout", (file) => {
    const broken = linkTargets(read(file))
      .map((target) => ({ target, path: linkedPath(file, target) }))
      .filter(({ path }) => path !== undefined && !relative(ROOT, path).startsWith("docs/api"))
      .filter(({ path }) => !existsSync(path!))
      .map(({ target }) => target);
    expect(broken).toEqual([]);
  });

  it("finds the links it checks (inline and reference style; none inside code)", () => {
    const sample = "[a](docs/x.md) [b](https://e.org) `[c](no.md)`\n```\n[d](no.md)\n```\n[e]: ../y.md\n";
    expect(linkTargets(sample)).toEqual(["docs/x.md", "https://e.org", "../y.md"]);
  });
});

describe("file paths named in README.md, DESIGN.md and docs/*.md", () => {
  // Docs that name a source file must follow it when it moves: every `src/…`, `test/…` or
  // `bench/…` file path in the prose exists in the tree.
  const pages = ["README.md", "DESIGN.md", ...DOC_PAGES];
  const named = pages.flatMap((page) =>
    [...read(page).matchAll(/\b((?:src|test|bench|scripts)\/[A-Za-z0-9_./-]+\.(?:ts|js|cjs))\b/g)].map((m) => ({ page, path: m[1]! })),
  );

  it("finds the paths it checks", () => {
    expect(named.length).toBeGreaterThan(20);
  });

  it("names only files that exist", () => {
    expect(named.filter((n) => !existsSync(resolve(ROOT, n.path))).map((n) => `${n.page}: ${n.path}`)).toEqual([]);
  });
});
