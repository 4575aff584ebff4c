import { resolve } from "node:path";
import ts from "typescript";

// The library's public face (src/index.ts) stays small and documented: what a user builds with,
// at most 60 names, each with a doc comment on its declaration (TypeDoc shows it: `npm run docs`).
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

  it("exports at most 60 names, and the ones a user starts with", () => {
    expect(names.length).toBeGreaterThan(0);
    expect(names.length).toBeLessThanOrEqual(60);
    const exported = new Set(names.map((n) => n.name));
    for (const start of [
      "FileReadable",
      "inspectRecording",
      "planPipeline",
      "createScenePipeline",
      "replayRecording",
      "startLive",
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
