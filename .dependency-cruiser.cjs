// The layering rule of docs/DESIGN.md, checked by `npm test` (test/layering.test.ts).
//
// src/ is six tiers, each a row of folders; a file imports only from its own folder, the tiers
// below it, and (for the ground tier) the ground folders beneath it. A stage never imports another
// stage: what two stages share lives in types/ or the rest of the ground.
const TIERS = [
  { name: "ground", folders: ["types", "schemas", "config", "runtime"] },
  { name: "stages", folders: ["sources", "decode", "sync", "encoders", "fusion", "scene", "sinks"] },
  { name: "composition", folders: ["pipeline"] },
  { name: "applications", folders: ["replay", "live", "play"] },
  { name: "tools", folders: ["importers", "sim", "train", "eval", "benchmark"] },
  { name: "face", folders: ["cli"] },
];

const group = (folders) => `^src/(${folders.join("|")})/`;
const below = (index) => TIERS.slice(0, index).flatMap((t) => t.folders);

// Inside the ground, a folder sees only those listed before it (types sees nothing).
const GROUND_ORDER = TIERS[0].folders;
// Inside the tools, the importers (real datasets → MCAP) and the simulator are the ones every other
// tool may use (data for training, evaluation and benchmarks); eval uses training's datasets; the
// benchmark uses eval.
const TOOL_ORDER = TIERS[4].folders;

const forbidden = [
  {
    name: "no-circular",
    severity: "error",
    comment: "Files that import each other in a loop cannot be read or tested one at a time.",
    from: { path: "^src/" },
    to: { circular: true },
  },
  ...TIERS.flatMap((tier, index) => {
    if (tier.name === "ground" || tier.name === "tools") return [];
    const allowed = [...below(index), ...(tier.folders.length === 1 ? tier.folders : [])];
    return tier.folders.map((folder) => ({
      name: `${tier.name}-${folder}-imports-downward`,
      severity: "error",
      comment: `src/${folder}/ (${tier.name}) may import its own folder and ${below(index).join(", ") || "nothing"} only.`,
      from: { path: `^src/${folder}/` },
      to: { path: "^src/", pathNot: [`^src/${folder}/`, ...(allowed.length > 0 ? [group(allowed)] : [])] },
    }));
  }),
  ...GROUND_ORDER.map((folder, i) => ({
    name: `ground-${folder}-imports-downward`,
    severity: "error",
    comment: `src/${folder}/ may import ${GROUND_ORDER.slice(0, i).join(", ") || "nothing of src/"} only.`,
    from: { path: `^src/${folder}/` },
    to: { path: "^src/", pathNot: [`^src/${folder}/`, ...(i > 0 ? [group(GROUND_ORDER.slice(0, i))] : [])] },
  })),
  ...TOOL_ORDER.map((folder, i) => ({
    name: `tools-${folder}-imports-downward`,
    severity: "error",
    comment: `src/${folder}/ may import ${[...TOOL_ORDER.slice(0, i), ...below(4)].join(", ")} only.`,
    from: { path: `^src/${folder}/` },
    to: { path: "^src/", pathNot: [`^src/${folder}/`, group([...TOOL_ORDER.slice(0, i), ...below(4)])] },
  })),
  {
    name: "library-entry-not-the-face",
    severity: "error",
    comment: "src/index.ts is the library: it may not import the CLI.",
    from: { path: "^src/index\\.ts$" },
    to: { path: "^src/cli/" },
  },
  {
    name: "no-test-helpers-in-code",
    severity: "error",
    comment: "Code under src/ may not import tests or test/ helpers.",
    from: { path: "^src/", pathNot: ["\\.test\\.ts$", "/testing/"] },
    to: { path: ["\\.test\\.ts$", "^test/"] },
  },
];

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: ["\\.test\\.ts$", "/testing/"] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
  },
};
