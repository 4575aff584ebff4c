/**
 * Decompression bombs and oversized records (test/mcapBombFiles.ts builds them byte by byte: a
 * 1 GiB chunk is a 32 KiB file) against `inspect --scan` and `replay` in child processes whose
 * peak RSS is read back (`process.resourceUsage().maxRSS` at exit, test/support/printMaxRss.js).
 *
 * Before the record cap a 34 KB file that decompresses to 1 GiB took 3.25 GB in both commands and
 * exited 0, and a chunk declaring 1 GiB it did not hold passed `inspect --scan`. Now every record
 * the reader holds is capped (`--max-record-mib`, default 256): a chunk declaring more is refused
 * before anything is allocated, a frame producing more than its chunk declares fails inside a
 * buffer of the declared size, and both commands say so in one line and exit 2. What was read
 * before the damage is kept.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { SensorMessage } from "../src/types";
import { DEFAULT_RECORDING, exists, REPO_ROOT } from "./bridgeHelpers";
import { bombRecording, lz4Zeros, writeBigMessageFile, zstdZeros } from "./mcapBombFiles";
import { readAllMessages } from "./readAllMessages";

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/**
 * The peak RSS any run may reach. A child's own baseline (Node, the wasm backend, the models) is
 * about 200 MiB here; a 1 GiB bomb held in memory would be over 1 GiB by itself.
 */
const PEAK_LIMIT_MIB = 600;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "avfusion-bomb-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

type Run = { code: number | null; stderr: string; stdout: string; peakMib: number };

/** `avfusion ARGS` in a child process; its peak RSS in MiB from the line printMaxRss.js writes at exit. */
function avfusion(...args: string[]): Promise<Run> {
  const child = spawn(
    process.execPath,
    ["--require", "./test/support/printMaxRss.js", "--require", "./bench/register.js", "src/cli/run.ts", ...args],
    { cwd: REPO_ROOT, env: { ...process.env, AVFUSION_MAX_RSS_LINE: "1" } },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      const m = /^maxrss (\d+) MiB$/m.exec(stderr);
      if (!m) return reject(new Error(`no maxrss line from avfusion ${args.join(" ")}:\n${stderr}`));
      resolve({ code, stdout, stderr: stderr.replace(m[0], "").trim(), peakMib: Number(m[1]) });
    });
  });
}

function write(name: string, bytes: Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** The last line on stderr: the one-line error. */
const lastLine = (r: Run): string => r.stderr.split("\n").pop()!;

describe("decompression bombs: one line, exit 2, bounded memory", () => {
  it("a zstd chunk of 1 GiB (32 KiB on disk), streamed and indexed: refused by inspect --scan and replay before it is allocated", async () => {
    const zstd = { compression: "zstd", uncompressedSize: GiB, records: zstdZeros(GiB) };
    const streamed = write("zstd-1g.mcap", bombRecording({ chunks: [zstd] }));
    const indexed = write("zstd-1g-indexed.mcap", bombRecording({ chunks: [zstd], index: true }));
    expect(fs.statSync(streamed).size).toBeLessThan(40_000);
    for (const [file, args] of [
      [streamed, ["inspect", "--scan"]],
      [streamed, ["replay", "--no-progress"]],
      [indexed, ["inspect", "--scan"]],
      [indexed, ["replay", "--no-progress"]],
    ] as const) {
      const r = await avfusion(...args, file);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(lastLine(r)).toMatch(
        new RegExp(
          `^avfusion: ${file}:\\d+: Chunk declares an uncompressed size of 1073741824 bytes \\(1024 MiB\\), over the record cap; skipped, expected at most 268435456 bytes \\(256 MiB, --max-record-mib\\)$`,
        ),
      );
      expect(r.peakMib).toBeLessThan(PEAK_LIMIT_MIB);
    }
  });

  it("an lz4 chunk of 1 GiB is refused the same way; --max-record-mib moves the cap", async () => {
    const file = write("lz4-1g.mcap", bombRecording({ chunks: [{ compression: "lz4", uncompressedSize: GiB, records: lz4Zeros(GiB) }] }));
    const r = await avfusion("replay", "--no-progress", file);
    expect(r.code).toBe(2);
    expect(lastLine(r)).toContain("Chunk declares an uncompressed size of 1073741824 bytes (1024 MiB), over the record cap");
    expect(r.peakMib).toBeLessThan(PEAK_LIMIT_MIB);
    const small = await avfusion("inspect", "--scan", "--max-record-mib", "16", file);
    expect(lastLine(small)).toContain("expected at most 16777216 bytes (16 MiB, --max-record-mib)");
  });

  it("a chunk that declares 48 MiB and whose frame gives 1 GiB: the decoder stops at the declared size (zstd and lz4)", async () => {
    const lies = [
      ["zstd", zstdZeros(GiB, null), "zstd frame does not decompress to the 50331648 bytes declared"],
      ["lz4", lz4Zeros(GiB), "lz4 frame decompresses to more than the 50331648 bytes declared"],
    ] as const;
    for (const [compression, records, reason] of lies) {
      const file = write(`${compression}-lie.mcap`, bombRecording({ chunks: [{ compression, uncompressedSize: 48 * MiB, records }] }));
      for (const command of ["inspect", "replay"]) {
        const r = await avfusion(command, command === "inspect" ? "--scan" : "--no-progress", file);
        expect({ compression, command, code: r.code }).toEqual({ compression, command, code: 2 });
        expect(lastLine(r)).toMatch(new RegExp(`^avfusion: ${file}:\\d+: chunk: ${reason}`));
        expect(r.peakMib).toBeLessThan(PEAK_LIMIT_MIB);
      }
    }
  });

  it("a chunk declaring 1 GiB it does not hold is an error in inspect --scan too, not only in replay", async () => {
    const file = write(
      "declared.mcap",
      bombRecording({ chunks: [{ compression: "", uncompressedSize: GiB, records: new Uint8Array(64) }] }),
    );
    const r = await avfusion("inspect", "--scan", file);
    expect(r.code).toBe(2);
    expect(lastLine(r)).toContain("Chunk declares an uncompressed size of 1073741824 bytes (1024 MiB), over the record cap");
  });

  it("an unchunked message of 1 GiB (a sparse file) is skipped over the cap, not read into memory", async () => {
    const file = path.join(dir, "big-message.mcap");
    writeBigMessageFile(file, GiB);
    for (const command of ["inspect", "replay"]) {
      const r = await avfusion(command, command === "inspect" ? "--scan" : "--no-progress", file);
      expect({ command, code: r.code }).toEqual({ command, code: 2 });
      expect(lastLine(r)).toMatch(
        /: Message record of 1073741855 bytes \(1024\.00 MiB\), over the record cap; skipped, expected at most 268435456 bytes/,
      );
      expect(r.peakMib).toBeLessThan(PEAK_LIMIT_MIB);
    }
  });

  (exists(DEFAULT_RECORDING) ? it : it.skip)(
    "a bomb after two seconds of a real drive: the scenes before it are written, the damage is named, exit 2",
    async () => {
      const all = await readAllMessages(DEFAULT_RECORDING);
      const t0 = all[0]!.logTime;
      const before: SensorMessage[] = all.filter((m) => m.logTime - t0 < 2_000_000_000n);
      const file = write(
        "drive-then-bomb.mcap",
        bombRecording({ before, chunks: [{ compression: "zstd", uncompressedSize: GiB, records: zstdZeros(GiB) }] }),
      );
      const jsonl = path.join(dir, "drive-then-bomb.jsonl");
      const r = await avfusion("replay", "--no-progress", "--jsonl", jsonl, file);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("Chunk declares an uncompressed size of 1073741824 bytes (1024 MiB), over the record cap");
      const scenes = fs.readFileSync(jsonl, "utf8").split("\n").filter(Boolean);
      expect(scenes.length).toBeGreaterThan(10);
      for (const line of scenes) expect(() => JSON.parse(line) as unknown).not.toThrow();
      expect(r.peakMib).toBeLessThan(PEAK_LIMIT_MIB);
    },
  );
});
