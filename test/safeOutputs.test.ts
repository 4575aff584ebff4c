import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { main } from "../src/cli/main";
import { FileWritable, type WritableHandle } from "../src/sinks/mcap/FileWritable";
import { readAllMessages } from "./readAllMessages";

/**
 * Outputs written safely (docs/sinks.md, "Outputs are complete or absent"): an output that is an
 * input is refused before anything is read, a failed write (a full disk) exits non-zero and leaves
 * no file, and Ctrl-C / SIGTERM finish the outputs as valid files, print the summary and exit
 * 130 / 143. Each case failed on the code before these rules (the recording was overwritten, a
 * full disk gave a corrupt file and exit 0, a signal left a 0-byte `.partial`).
 */

const REPO = resolve(__dirname, "..");
const DEFAULT = join(REPO, "recordings/default.mcap");
const dir = mkdtempSync(join(tmpdir(), "avfusion-safe-"));

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["node", "avfusion", ...args], { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

const sha = (file: string): string => createHash("sha256").update(readFileSync(file)).digest("hex");
const strays = (folder: string): string[] => readdirSync(folder).filter((f) => f.endsWith(".partial"));

/** A copy of the default recording of our own, so that a bug here can never destroy the shipped one. */
function recordingCopy(name: string): string {
  const sub = join(dir, name);
  mkdirSync(sub);
  const file = join(sub, "drive.mcap");
  copyFileSync(DEFAULT, file);
  return file;
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("an output that is an input is refused before anything is read (exit 2)", () => {
  const cases: Array<[string, (input: string) => string[]]> = [
    ["--out is the input", (input) => ["--out", input]],
    ["--jsonl is the input", (input) => ["--jsonl", input]],
    ["--out is a symlink to the input", (input) => (symlinkSync(input, `${input}.link`), ["--out", `${input}.link`])],
    ["--jsonl is a hard link of the input", (input) => (linkSync(input, `${input}.hard`), ["--jsonl", `${input}.hard`])],
    ["--out names the input by another path", (input) => ["--out", join(input, "..", ".", "drive.mcap")]],
  ];
  it.each(cases)("%s: one line, the recording untouched, nothing left beside it", async (name, flags) => {
    const input = recordingCopy(name.replace(/\W+/g, "-"));
    const before = sha(input);
    const args = flags(input);
    const r = await cli("replay", input, "--max", "--no-progress", ...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      new RegExp(`^avfusion: ${args[0]} .*: (is|links to|is a hard link of) the input .*expected an output path that is not an input\\n$`),
    );
    // Refused before reading: no plan, no backend line, no summary.
    expect(r.out).toBe("");
    expect(sha(input)).toBe(before);
    expect(strays(join(input, ".."))).toEqual([]);
  });

  it("--out and --jsonl naming one file are refused too", async () => {
    const out = join(dir, "same.out");
    const r = await cli("replay", DEFAULT, "--max", "--no-progress", "--out", out, "--jsonl", out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^avfusion: --jsonl .*same\.out: is the same file as --out .*same\.out, expected distinct outputs\n$/);
    expect(existsSync(out)).toBe(false);
  });
});

describe("output directories are checked before the run", () => {
  it("--out DIR: exit 2 at once, one line, no stray .partial", async () => {
    const folder = join(dir, "a-directory");
    mkdirSync(folder);
    const r = await cli("replay", DEFAULT, "--max", "--no-progress", "--out", folder);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^avfusion: --out .*a-directory: is a directory, expected a file path\n$/);
    expect(r.out).toBe("");
    expect(strays(dir)).toEqual([]);
  });

  it("--jsonl in a missing directory: exit 2 at once, naming the directory", async () => {
    const r = await cli("replay", DEFAULT, "--max", "--no-progress", "--jsonl", join(dir, "nowhere", "scene.jsonl"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^avfusion: --jsonl .*: no such directory .*nowhere, expected a path in an existing directory\n$/);
    expect(r.out).toBe("");
  });

  it("a second output that cannot be created removes the first one already created", async () => {
    const folder = join(dir, "first-removed");
    mkdirSync(folder);
    const r = await cli("replay", DEFAULT, "--max", "--no-progress", "--out", join(folder, "scene.mcap"), "--jsonl", folder);
    expect(r.code).toBe(2);
    expect(readdirSync(folder)).toEqual([]);
  });
});

/** A file handle that takes `capacity` bytes and then fails as a full disk does (ENOSPC), or writes short. */
function fullDisk(capacity: number, mode: "ENOSPC" | "short"): { open: () => Promise<WritableHandle>; closed: () => boolean } {
  let size = 0;
  let closed = false;
  const handle: WritableHandle = {
    async write(_buffer, _offset, length) {
      const room = capacity - size;
      if (room <= 0 && mode === "ENOSPC") throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
      const n = Math.max(0, Math.min(room, length));
      size += n;
      return { bytesWritten: n };
    },
    stat: async () => ({ size }),
    sync: async () => undefined,
    close: async () => void (closed = true),
  };
  return { open: async () => handle, closed: () => closed };
}

describe("FileWritable: every write checked, complete or absent", () => {
  it.each(["ENOSPC", "short"] as const)(
    "a disk that fills up (%s): the write fails with the reason, close fails, nothing is left",
    async (mode) => {
      const folder = join(dir, `full-${mode}`);
      mkdirSync(folder);
      const disk = fullDisk(1000, mode);
      const file = await FileWritable.create(join(folder, "scene.mcap"), { label: "--out scene.mcap", flushBytes: 0, open: disk.open });
      await file.write(new Uint8Array(600));
      const failed = file.write(new Uint8Array(600));
      await expect(failed).rejects.toThrow(
        mode === "ENOSPC"
          ? /^--out scene\.mcap: write failed after 1000 bytes: .*ENOSPC/
          : /^--out scene\.mcap: write failed after 1000 bytes: 0 of 200 bytes taken/,
      );
      // Every later call fails the same way, and close() does not rename a broken file into place.
      await expect(file.write(new Uint8Array(1))).rejects.toThrow(/write failed after 1000 bytes/);
      await expect(file.close()).rejects.toThrow(/write failed after 1000 bytes/);
      expect(disk.closed()).toBe(true);
      expect(readdirSync(folder)).toEqual([]);
    },
  );

  it("a file shorter on disk than what was written is refused at close", async () => {
    const folder = join(dir, "short-on-disk");
    mkdirSync(folder);
    const disk = fullDisk(1 << 20, "short");
    const open = async (): Promise<WritableHandle> => ({ ...(await disk.open()), stat: async () => ({ size: 10 }) });
    const file = await FileWritable.create(join(folder, "x.mcap"), { flushBytes: 0, open });
    await file.write(new Uint8Array(100));
    await expect(file.close()).rejects.toThrow(/the file holds 10 bytes after writing 100/);
    expect(readdirSync(folder)).toEqual([]);
  });

  it("a complete file replaces an existing one only at close, through a symlink to it the link stays", async () => {
    const target = join(dir, "kept.jsonl");
    const link = join(dir, "kept.link");
    const old = new TextEncoder().encode("old\n");
    const first = await FileWritable.create(target);
    await first.write(old);
    await first.close();
    symlinkSync(target, link);
    const second = await FileWritable.create(link);
    await second.write(new TextEncoder().encode("new\n"));
    expect(readFileSync(target, "utf8")).toBe("old\n");
    await second.close();
    expect(readFileSync(link, "utf8")).toBe("new\n");
    expect(readFileSync(target, "utf8")).toBe("new\n");
  });
});

/** A tmpfs of `kib` KiB at a new mount point, or why there can be none (no root, no mount). */
function smallTmpfs(kib: number): { path: string; unmount: () => void } | string {
  const mountPoint = mkdtempSync(join(tmpdir(), "avfusion-fulldisk-"));
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${kib}k`, "tmpfs", mountPoint], { encoding: "utf8" });
  if (r.status !== 0) {
    rmSync(mountPoint, { recursive: true, force: true });
    return `mount -t tmpfs failed (${(r.stderr || String(r.error)).trim()})`;
  }
  return { path: mountPoint, unmount: () => (spawnSync("umount", [mountPoint]), rmSync(mountPoint, { recursive: true, force: true })) };
}

describe("a full disk: non-zero exit with the reason, no broken file, no `wrote` line", () => {
  const disk = smallTmpfs(40);
  afterAll(() => typeof disk !== "string" && disk.unmount());
  const run = typeof disk === "string" ? it.skip : it;
  if (typeof disk === "string") console.warn(`safeOutputs: skipping the tmpfs full-disk test: ${disk}`);

  run("replay --out on a 40 KiB tmpfs", async () => {
    if (typeof disk === "string") return;
    const out = join(disk.path, "scene.mcap");
    const r = await cli("replay", DEFAULT, "--max", "--no-progress", "--out", out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^avfusion: --out .*scene\.mcap: write failed after \d+ bytes: .*ENOSPC/m);
    expect(r.out).not.toMatch(/wrote/);
    expect(readdirSync(disk.path)).toEqual([]);
  });

  it("/dev/full as --jsonl: the first write fails with ENOSPC, exit 2", async () => {
    if (!existsSync("/dev/full")) return void console.warn("safeOutputs: no /dev/full here; skipped");
    const r = await cli("replay", DEFAULT, "--max", "--no-progress", "--jsonl", "/dev/full");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^avfusion: --jsonl \/dev\/full: write failed after 0 bytes: .*ENOSPC/m);
  });
});

/** Runs `replay` in a child at real time and sends `signal` once it has written a few ticks. */
async function interruptedReplay(signal: "SIGINT" | "SIGTERM", out: string, jsonl: string) {
  const child = spawn(
    process.execPath,
    ["--require", "./bench/register.js", "src/cli/run.ts", "replay", DEFAULT, "--no-progress", "--out", out, "--jsonl", jsonl],
    { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => void (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => void (stderr += d.toString()));
  // The .partial of --jsonl grows a line per tick: signal once a few ticks were written (real time: ~1 s in).
  const partial = (): string | undefined =>
    readdirSync(join(jsonl, "..")).find((f) => f.startsWith("scene.jsonl.") && f.endsWith(".partial"));
  const poll = setInterval(() => {
    const p = partial();
    if (p !== undefined && readFileSync(join(jsonl, "..", p), "utf8").split("\n").length > 5) {
      clearInterval(poll);
      child.kill(signal);
    }
  }, 50);
  const code = await new Promise<number | null>((done) => child.on("exit", (c) => done(c)));
  clearInterval(poll);
  return { code, stdout, stderr };
}

describe("Ctrl-C / SIGTERM during replay: valid outputs, the summary, exit 130 / 143", () => {
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)(
    "%s",
    async (signal, exitCode) => {
      const folder = join(dir, `signal-${signal}`);
      mkdirSync(folder);
      const out = join(folder, "scene.mcap");
      const jsonl = join(folder, "scene.jsonl");
      const r = await interruptedReplay(signal, out, jsonl);
      expect(r.code).toBe(exitCode);
      expect(r.stderr).toMatch(new RegExp(`avfusion: stopped by ${signal}`));
      expect(r.stdout).toMatch(/ticks/);
      expect(readdirSync(folder).sort()).toEqual(["scene.jsonl", "scene.mcap"]);
      // Whole lines only, each a scene; fewer than the full run's 61 ticks.
      const lines = readFileSync(jsonl, "utf8").split("\n");
      expect(lines.pop()).toBe("");
      expect(lines.length).toBeGreaterThanOrEqual(5);
      expect(lines.length).toBeLessThan(61);
      for (const line of lines) expect(JSON.parse(line)).toHaveProperty("tick");
      // The MCAP is complete: its summary is there and the indexed reader finds one scene per line.
      const scenes = (await readAllMessages(out, "indexed")).filter((m) => m.topic === "/avfusion/scene");
      expect(scenes).toHaveLength(lines.length);
    },
    60_000,
  );
});

describe("SIGTERM during live: the outputs finished, the totals printed, exit 143", () => {
  it("live --udp with --out and --jsonl", async () => {
    const folder = join(dir, "live-signal");
    mkdirSync(folder);
    const out = join(folder, "scene.mcap");
    const child = spawn(
      process.execPath,
      [
        "--require",
        "./bench/register.js",
        "src/cli/run.ts",
        "live",
        "--udp",
        "velodyne:127.0.0.1:0",
        "--out",
        out,
        "--jsonl",
        join(folder, "s.jsonl"),
      ],
      { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => void (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      // Listening: the outputs are open, so the signal meets a running session.
      if (/velodyne listening on/.test(stderr)) child.kill("SIGTERM");
    });
    const code = await new Promise<number | null>((done) => child.on("exit", (c) => done(c)));
    expect(code).toBe(143);
    expect(stdout).toMatch(/live: frames per sensor: none; scene ticks 0/);
    expect(stdout).toMatch(/wrote .*scene\.mcap/);
    expect(readdirSync(folder).sort()).toEqual(["s.jsonl", "scene.mcap"]);
    // A valid MCAP read to its footer (an empty file has no chunk index to read indexed), with no scenes: no frame ever came.
    expect(await readAllMessages(out, "streamed")).toEqual([]);
    expect(readFileSync(out).subarray(-8).toString("latin1")).toBe("\x89MCAP0\r\n");
  }, 60_000);
});
