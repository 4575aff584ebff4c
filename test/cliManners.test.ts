import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { COMMANDS } from "../src/cli/commands";
import { main } from "../src/cli/main";

// The manners a command-line user expects (issue 19): --version, examples in every --help, a JSON
// summary, stdin as `-`, `| head` ending quietly, progress off a terminal, and exit codes that say
// when nothing could be done (no models, a bridge never reached).
const REPO = resolve(__dirname, "..");
const DEFAULT = join(REPO, "recordings/default.mcap");
const VERSION = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;
// The CLI from source, as a user's shell runs it: a real process with real pipes.
const CLI = `${JSON.stringify(process.execPath)} --require ./bench/register.js src/cli/run.ts`;

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["node", "avfusion", ...args], { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

function shell(script: string, input?: Buffer) {
  const env = { ...process.env, AVFUSION_MODELS: "" };
  return spawnSync("bash", ["-c", script], { cwd: REPO, env, encoding: "utf8", timeout: 60_000, ...(input ? { input } : {}) });
}

const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at |EPIPE|internal error/);

describe("avfusion --version and --help", () => {
  it("prints the package's version", async () => {
    expect(await cli("--version")).toEqual({ code: 0, out: `${VERSION}\n`, err: "" });
  });

  it("ends every command's help with examples of that command", async () => {
    const names = ["avfusion", ...COMMANDS.map((register) => register.name.replace(/^register/, "").toLowerCase())];
    for (const name of names) {
      const r = name === "avfusion" ? await cli("--help") : await cli(name, "--help");
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`\\nExamples:\\n  \\$ avfusion ${name === "avfusion" ? "" : name}`));
    }
  });
});

describe("avfusion replay", () => {
  it("--json: one JSON object with the summary's figures on stdout", async () => {
    const r = await cli("replay", DEFAULT, "--max", "--json", "--quiet");
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out) as Record<string, unknown> & { ticks: number; objects: { max: number }; health: unknown[] };
    expect(summary).toMatchObject({ file: DEFAULT, stopped: false, problems: [], exitCode: 0, read: { access: "indexed" } });
    expect(summary.ticks).toBe(61);
    expect(summary.objects.max).toBeGreaterThan(0);
    expect(summary.health).toHaveLength(4);
    // --quiet: no start-up news (backend, plan, head) and no progress.
    expect(r.err).not.toMatch(/backend|fusion head|replay:/);
  });

  it("with no models where they are looked for: exit 2 before replaying, not 0 objects and exit 0", async () => {
    const empty = mkdtempSync(join(tmpdir(), "avfusion-nomodels-"));
    try {
      const r = await cli("replay", DEFAULT, "--max", "--no-progress", "--models", empty);
      expect(r.code).toBe(2);
      expect(r.out).toBe("");
      expect(r.err).toContain(`avfusion: models ${empty}: no model for any sensor of the run (looked for camera/model.json`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("reads the recording from stdin when FILE is -", () => {
    const r = shell(`${CLI} replay - --max --json --quiet`, readFileSync(DEFAULT));
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ file: "-", ticks: 61, problems: [] });
    const bad = shell(`${CLI} replay - --max --quiet`, Buffer.from("hello\n"));
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split("\n").pop()).toBe(
      "avfusion: -:0: not an MCAP file: starts with 68 65 6c 6c 6f 0a, expected magic 89 4d 43 41 50 30 0d 0a",
    );
  });

  it("inspect reads stdin too: `-` in its output and errors, not the temporary file", () => {
    const r = shell(`${CLI} inspect - --json`, readFileSync(DEFAULT));
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ file: "-", messageCount: 402 });
    const bad = shell(`${CLI} inspect -`, Buffer.from("hello\n"));
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe(
      "avfusion: -:0: not an MCAP file: starts with 68 65 6c 6c 6f 0a, expected magic 89 4d 43 41 50 30 0d 0a",
    );
  });

  it("`--jsonl - | head -1` ends quietly with exit 0, and soon: the closed pipe stops the replay", () => {
    const t0 = performance.now();
    // Real time (6 s of recording): only a replay that stops at the closed pipe ends well before.
    const r = shell(`${CLI} replay recordings/default.mcap --jsonl - --quiet | head -1; exit \${PIPESTATUS[0]}`);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ tick: 0 });
    noStack(r.stderr);
    expect(performance.now() - t0).toBeLessThan(5500);
  });

  it("off a terminal, a progress line every 5 s on stderr", () => {
    const r = shell(`${CLI} replay recordings/default.mcap --rate 1 --json 2>&1 >/dev/null | grep '^replay: '`);
    expect(r.stdout).toMatch(/^replay: \d+\/\d+ ticks \(\d+%\), 5 s, about \d+ s left\n$/);
  });
});

describe("avfusion live", () => {
  it("exits 2 when it never connects", async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((done) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => done(p));
      });
    });
    const r = await cli("live", "--connect", `ws://127.0.0.1:${port}`, "--duration", "1");
    expect(r.code).toBe(2);
    expect(r.err.trim().split("\n").pop()).toMatch(new RegExp(`^avfusion: --connect ws://127.0.0.1:${port}: never connected \\(`));
  });
});
