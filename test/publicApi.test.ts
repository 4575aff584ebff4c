import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import ts from "typescript";

// The library's public face (src/index.ts) stays small and documented: what a user builds with,
// at most 66 names, each with a doc comment on its declaration (TypeDoc shows it: `npm run docs`).
// 66, not 60: evaluation (five functions) and publishing a live tick were documented but not exported.
const ENTRY = resolve(__dirname, "../src/index.ts");

function publicExports(): { name: string; documented: boolean }[] {
  const program = ts.createProgram([ENTRY], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(ENTRY)!)!;
  return checker.getExportsOfModule(moduleSymbol).map((s) => {
    const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
    return { name: s.getName(), documented: ts.displayPartsToString(target.getDocumentationComment(checker)).trim().length > 0 };
  });
}

describe("public API (src/index.ts)", () => {
  const names = publicExports();

  it("exports at most 66 names, and the ones a user starts with", () => {
    expect(names.length).toBeGreaterThan(0);
    expect(names.length).toBeLessThanOrEqual(66);
    const exported = new Set(names.map((n) => n.name));
    for (const start of [
      "FileReadable",
      "inspectRecording",
      "planPipeline",
      "createScenePipeline",
      "replayRecording",
      "startLive",
      "evaluateScenes",
      "buildEvalReport",
      "SceneState",
      "BadInputError",
    ]) {
      expect(exported).toContain(start);
    }
  });

  it("gives every exported name a doc comment", () => {
    expect(names.filter((n) => !n.documented).map((n) => n.name)).toEqual([]);
  });
});

describe("code examples in README.md and docs/ that import avfusion", () => {
  // Each ```ts block that imports from "avfusion" is type-checked against src/index.ts, so an
  // example cannot name an export that is gone.
  const ROOT = resolve(__dirname, "..");
  const pages = [
    "README.md",
    ...readdirSync(resolve(ROOT, "docs"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => `docs/${f}`),
  ];
  const examples = pages.flatMap((page) =>
    [...readFileSync(resolve(ROOT, page), "utf8").matchAll(/```ts\n([\s\S]*?)```/g)]
      .map((m) => m[1]!)
      .filter((code) => /from "avfusion"/.test(code))
      .map((code) => ({ page, code })),
  );

  it("finds examples to check", () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  it("type-checks every example against the library entry", () => {
    const dir = mkdtempSync(join(tmpdir(), "avfusion-examples-"));
    try {
      const files = examples.map(({ code }, i) => {
        const lines = code.replaceAll('from "avfusion"', `from ${JSON.stringify(ENTRY.replace(/\.ts$/, ""))}`).split("\n");
        const imports = lines.filter((l) => l.startsWith("import "));
        const body = lines.filter((l) => !l.startsWith("import "));
        const file = join(dir, `example${i}.ts`);
        writeFileSync(file, `${imports.join("\n")}\nexport async function example(): Promise<void> {\n${body.join("\n")}\n}\n`);
        return file;
      });
      const program = ts.createProgram(files, {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ["node"],
        typeRoots: [resolve(ROOT, "node_modules/@types")],
      });
      const problems = files.flatMap((f, i) =>
        ts
          .getPreEmitDiagnostics(program, program.getSourceFile(f))
          .map((d) => `${examples[i]!.page}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`),
      );
      expect(problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
