import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// The package as a user gets it: built, packed, installed from the tarball into an empty folder,
// and run from there, where no models/ of a checkout can be found by accident (issue 19).
const REPO = resolve(__dirname, "..");
const PKG = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  bin: Record<string, string>;
  engines: Record<string, string>;
  license: string;
};

function run(command: string, args: string[], cwd: string, timeoutMs = 120_000): SpawnSyncReturns<string> {
  const env = { ...process.env, AVFUSION_MODELS: "", npm_config_update_notifier: "false" };
  const r = spawnSync(command, args, { cwd, env, encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}:\n${r.stderr.slice(-4000)}`);
  return r.stdout;
}

/**
 * A lock file for the empty project, taken from the checkout's: the tarball as the one dependency
 * and every package the checkout installs for production at the version it locked. `npm ci` then
 * needs no registry metadata, only the tarballs `npm ci` of the checkout left in the npm cache, so
 * the install works offline and gets the versions CI tested.
 */
function writeProject(dir: string, tarball: string): void {
  const lock = JSON.parse(readFileSync(join(REPO, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean }> };
  const spec = `file:${tarball}`;
  const production = Object.entries(lock.packages).filter(([path, entry]) => path !== "" && entry.dev !== true);
  const self = {
    version: PKG.version,
    resolved: spec,
    license: PKG.license,
    dependencies: PKG.dependencies,
    optionalDependencies: PKG.optionalDependencies ?? {},
    bin: PKG.bin,
    engines: PKG.engines,
  };
  const root = { name: "empty-project", version: "1.0.0", dependencies: { [PKG.name]: spec } };
  writeFileSync(join(dir, "package.json"), JSON.stringify({ ...root, private: true }, null, 2));
  const packages = { "": root, ...Object.fromEntries(production), [`node_modules/${PKG.name}`]: self };
  writeFileSync(join(dir, "package-lock.json"), JSON.stringify({ ...root, lockfileVersion: 3, requires: true, packages }, null, 2));
}

/** `npm ci` from the npm cache; with the registry as a fallback when the cache lacks a tarball. */
function install(dir: string): void {
  const flags = ["ci", "--no-audit", "--no-fund", "--loglevel=error"];
  const offline = run("npm", [...flags, "--offline"], dir, 180_000);
  if (offline.status === 0) return;
  if (!/ENOTCACHED/.test(offline.stderr)) ok(offline, "npm ci --offline");
  ok(run("npm", [...flags, "--prefer-offline"], dir, 180_000), "npm ci --prefer-offline (the npm cache lacked a tarball)");
}

describe("the npm package", () => {
  let work: string;
  let files: string[] = [];

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "avfusion-package-"));
    ok(run("npm", ["run", "-s", "build"], REPO, 180_000), "npm run build");
    const packed = JSON.parse(ok(run("npm", ["pack", "--json", "--pack-destination", work], REPO), "npm pack")) as {
      filename: string;
      files: { path: string }[];
    }[];
    files = packed[0]!.files.map((f) => f.path);
    writeProject(work, join(work, packed[0]!.filename));
    install(work);
  }, 400_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("packs the build, the models, the schemas and the default recording, and no tests, sources or scratch", () => {
    for (const f of [
      "package.json",
      "README.md",
      "bin/avfusion.js",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/cli/main.js",
      "models/radar/model.json",
      "models/fusion/weights.bin",
      "proto/avfusion/scene.proto",
      "recordings/default.mcap",
      "recordings/scenarios/default.yaml",
    ]) {
      expect(files).toContain(f);
    }
    const stray = files.filter((f) =>
      /^(src|test|bench|scripts|docs|tmp|coverage|shared)\/|\.test\.|\/testing\/|\.map$|\.tsbuildinfo$/.test(f),
    );
    expect(stray).toEqual([]);
  });

  it("runs `avfusion replay` from an empty folder and finds the package's own models", () => {
    const installed = join(work, "node_modules", PKG.name);
    expect(ok(run(join(work, "node_modules/.bin/avfusion"), ["--version"], work), "avfusion --version").trim()).toBe(PKG.version);
    const r = run(
      join(work, "node_modules/.bin/avfusion"),
      ["replay", join(installed, "recordings/default.mcap"), "--max", "--json", "--quiet"],
      work,
    );
    const summary = JSON.parse(ok(r, "avfusion replay")) as { ticks: number; objects: { max: number }; problems: string[] };
    expect(r.stderr).not.toMatch(/ENOENT|cannot read|no model/);
    expect(summary.ticks).toBeGreaterThan(10);
    expect(summary.objects.max).toBeGreaterThan(0);
    expect(summary.problems).toEqual([]);
  });

  it("is a library by require and by import, with its documented entry points", () => {
    const script = [
      'const a = require("avfusion");',
      'const names = ["replayRecording", "startLive", "evaluateScenes", "createScenePipeline", "FileReadable", "nodeModelFiles"];',
      'const missing = names.filter((n) => typeof a[n] !== "function");',
      'console.log(JSON.stringify({ missing, models: a.nodeModelFiles().modelsDir, version: require("avfusion/package.json").version }));',
    ].join("\n");
    const r = JSON.parse(ok(run(process.execPath, ["-e", script], work), "require('avfusion')")) as Record<string, unknown>;
    expect(r).toEqual({ missing: [], models: join(work, "node_modules", PKG.name, "models"), version: PKG.version });
    const esm = 'import { planPipeline } from "avfusion"; console.log(typeof planPipeline);';
    expect(ok(run(process.execPath, ["--input-type=module", "-e", esm], work), "import 'avfusion'").trim()).toBe("function");
  });
});
