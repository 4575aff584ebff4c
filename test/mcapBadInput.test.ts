import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { McapIndexedReader } from "@mcap/core";
import { lastValueFrom, toArray } from "rxjs";
import { main } from "../src/cli/main";
import { BufferReadable } from "../src/sources/mcap/BufferReadable";
import { buildRecording, type BuiltMessage } from "../src/sources/mcap/buildRecording";
import { mcapReadError } from "../src/sources/mcap/errors";
import { FileReadable } from "../src/sources/mcap/FileReadable";
import { inspectRecording } from "../src/sources/mcap/inspectRecording";
import { createDiagnostics, readRecording, type ReadRecordingOptions } from "../src/sources/mcap/readRecording";
import { streamRecordBatches } from "../src/sources/mcap/streamRecords";
import { zstdCompressChunk, zstdReady } from "../src/runtime/zstd";
import type { SensorMessage } from "../src/types";
import { BadInputError } from "../src/types/errors";

const REPO = path.resolve(__dirname, "..");
const EXTERNAL = path.resolve(__dirname, "../../shared/data/recordings-external");
const realPresent = fs.existsSync(EXTERNAL);
if (!realPresent) console.warn(`mcapBadInput: real-file cases skipped, ${EXTERNAL} is absent`);

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "avfusion-mcap-"));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Read to the end; returns the messages and the error (if any) instead of throwing. */
async function readOutcome(bytes: Uint8Array, name: string, options: ReadRecordingOptions = {}) {
  const messages: SensorMessage[] = [];
  const diagnostics = createDiagnostics();
  let error: unknown;
  await new Promise<void>((resolve) => {
    readRecording(new BufferReadable(bytes, name), { ...options, diagnostics }).subscribe({
      next: (m) => messages.push(m),
      error: (e: unknown) => {
        error = e;
        resolve();
      },
      complete: () => resolve(),
    });
  });
  return { messages, error, diagnostics };
}

/** A one-line error naming the file and a byte offset; returns its kind (code), offset and message. */
function expectOneLineAt(error: unknown, name: string): { kind: BadInputError["code"]; offset: bigint; message: string } {
  expect(error).toBeInstanceOf(BadInputError);
  const e = error as BadInputError;
  expect(e.message).not.toContain("\n");
  expect(e.where).toMatch(/:\d+$/);
  expect(e.where.startsWith(`${name}:`)).toBe(true);
  expect(e.message.startsWith(`${e.where}: `)).toBe(true);
  return { kind: e.code, offset: BigInt(e.where.slice(name.length + 1)), message: e.message };
}

/** For each message in file order: the offset just past the top-level record holding it. */
async function messageEnds(bytes: Uint8Array): Promise<number[]> {
  const ends: number[] = [];
  for await (const b of streamRecordBatches(new BufferReadable(bytes))) {
    b.records.forEach((r, i) => {
      if (r.type === "Message") ends.push(b.ends[i]);
    });
  }
  return ends;
}

function generated(n: number): BuiltMessage[] {
  const out: BuiltMessage[] = [];
  let seed = 12345;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const size = 50 + (seed % 1500);
    const data = new Uint8Array(size);
    for (let j = 0; j < size; j++) data[j] = (seed >>> (j % 24)) & 0xff;
    out.push({ topic: ["/cam", "/lidar", "/radar"][i % 3], logTime: BigInt(1_000_000 + i * 10_000_000), data });
  }
  return out;
}

describe("bad paths and non-MCAP input", () => {
  test("nonexistent path, directory: one-line open errors", async () => {
    await expect(FileReadable.open(path.join(tmp, "nope.mcap"))).rejects.toThrow(
      mcapReadError("open", path.join(tmp, "nope.mcap"), undefined, "no such file, expected an MCAP file"),
    );
    await expect(FileReadable.open(tmp)).rejects.toThrow(`${tmp}: is a directory, expected an MCAP file`);
  });

  test("empty file", async () => {
    const { messages, error } = await readOutcome(new Uint8Array(0), "empty.mcap");
    expect(messages).toHaveLength(0);
    const e = expectOneLineAt(error, "empty.mcap");
    expect(e.kind).toBe("empty");
    await expect(inspectRecording(new BufferReadable(new Uint8Array(0), "empty.mcap"))).rejects.toThrow("empty.mcap:0: file is empty");
  });

  test("non-MCAP file names what it found and the expected magic", async () => {
    const bytes = new TextEncoder().encode('{"not": "mcap"}\n');
    const { error } = await readOutcome(bytes, "x.json");
    const e = expectOneLineAt(error, "x.json");
    expect(e.kind).toBe("notMcap");
    expect(e.message).toBe("x.json:0: not an MCAP file: starts with 7b 22 6e 6f 74 22 3a 20, expected magic 89 4d 43 41 50 30 0d 0a");
  });
});

describe.each([
  ["uncompressed chunks", false],
  ["zstd chunks", true],
])("generated recording, %s", (_label, zstd) => {
  let bytes: Uint8Array;
  let ends: number[];
  const N = 300;
  beforeAll(async () => {
    await zstdReady;
    bytes = await buildRecording(generated(N), { chunkSize: 8 * 1024, compressChunk: zstd ? zstdCompressChunk() : undefined });
    ends = await messageEnds(bytes);
  });

  test("intact file reads completely, indexed", async () => {
    const { messages, error, diagnostics } = await readOutcome(bytes, "gen.mcap");
    expect(error).toBeUndefined();
    expect(messages).toHaveLength(N);
    expect(diagnostics.access).toBe("indexed");
    expect(ends).toHaveLength(N);
  });

  test("truncated at the first 64 offsets and every 1/50 of the file: messages wholly before the cut, then a one-line error", async () => {
    const cuts = new Set<number>();
    for (let i = 0; i <= 64; i++) cuts.add(i);
    for (let i = 1; i < 50; i++) cuts.add(Math.floor((bytes.length * i) / 50));
    cuts.add(bytes.length - 1);
    for (const cut of [...cuts].sort((a, b) => a - b)) {
      const { messages, error, diagnostics } = await readOutcome(bytes.subarray(0, cut), `cut${cut}.mcap`);
      const want = ends.filter((e) => e <= cut).length;
      expect({ cut, delivered: messages.length }).toEqual({ cut, delivered: want });
      const e = expectOneLineAt(error, `cut${cut}.mcap`);
      expect({ cut, kind: e.kind }).toEqual({ cut, kind: cut === 0 ? "empty" : "truncated" });
      expect(e.offset! <= BigInt(cut)).toBe(true);
      expect(diagnostics.damage).toBe(e.message);
      if (cut > 0) expect(diagnostics.access).toBe("streamed");
    }
  });

  test("onDamage complete: the same messages, completion instead of an error", async () => {
    const cut = Math.floor(bytes.length / 2);
    const diagnostics = createDiagnostics();
    const got = await lastValueFrom(
      readRecording(new BufferReadable(bytes.subarray(0, cut), "half.mcap"), { onDamage: "complete", diagnostics }).pipe(toArray()),
    );
    expect(got).toHaveLength(ends.filter((e) => e <= cut).length);
    expect(diagnostics.damage).toMatch(/^half\.mcap:\d+: /);
  });

  test("flipped bytes inside a chunk: the chunks before it, then a one-line error at the chunk", async () => {
    const reader = await McapIndexedReader.Initialize({ readable: new BufferReadable(bytes) });
    const chunks = [...reader.chunkIndexes].sort((a, b) => Number(a.chunkStartOffset - b.chunkStartOffset));
    expect(chunks.length).toBeGreaterThan(10);
    const picks = chunks.filter((_, i) => i % Math.ceil(chunks.length / 12) === 0);
    for (const chunk of picks) {
      const start = Number(chunk.chunkStartOffset);
      const dataStart = start + Number(chunk.chunkLength) - Number(chunk.compressedSize);
      for (const frac of [0, 0.25, 0.5, 0.999]) {
        const pos = dataStart + Math.floor(frac * Number(chunk.compressedSize));
        const damaged = bytes.slice();
        damaged[pos] ^= 0x5a;
        const want = ends.filter((e) => e <= start).length;
        for (const access of ["auto", "streamed"] as const) {
          const name = `flip${pos}-${access}.mcap`;
          const { messages, error, diagnostics } = await readOutcome(damaged, name, { access });
          expect({ pos, access, delivered: messages.length }).toEqual({ pos, access, delivered: want });
          const e = expectOneLineAt(error, name);
          expect({ pos, access, kind: e.kind, offset: e.offset }).toEqual({ pos, access, kind: "corrupt", offset: BigInt(start) });
          expect(diagnostics.access).toBe(access === "auto" ? "indexed" : "streamed");
          if (!zstd) expect(e.message).toMatch(/: chunk CRC mismatch: computed \d+, expected \d+$/);
        }
      }
    }
  });

  test("flips anywhere (CRC checks on and off): never a hang or an uncaught exception", async () => {
    for (let i = 0; i < 120; i++) {
      const pos = Math.floor(((i + 0.5) * bytes.length) / 120);
      const damaged = bytes.slice();
      damaged[pos] ^= 0xff;
      for (const validateCrcs of [true, false]) {
        const name = `any${pos}.mcap`;
        const { messages, error } = await readOutcome(damaged, name, { validateCrcs });
        expect(messages.length).toBeLessThanOrEqual(N);
        if (error !== undefined) expectOneLineAt(error, name);
        const inspected = await inspectRecording(new BufferReadable(damaged, name), { scan: true, validateCrcs }).catch((e: unknown) => e);
        if (!(inspected && typeof inspected === "object" && "topics" in inspected)) expectOneLineAt(inspected, name);
        else if ("damage" in inspected && inspected.damage !== undefined)
          expect(inspected.damage).toMatch(new RegExp(`^any${pos}\\.mcap:\\d+: [^\\n]+$`));
      }
    }
  });
});

const REAL_FILES: [string, number][] = [
  ["rosbag2-test-mcap/multiple_files/multiple_files_0.mcap", 1324],
  ["nebula-mcap/hesai-pandarxt32.mcap", 4],
];

(realPresent ? describe.each(REAL_FILES) : describe.skip.each(REAL_FILES))("real file %s", (rel, count) => {
  let bytes: Uint8Array;
  let ends: number[];
  beforeAll(async () => {
    // A copy: Buffer#slice shares memory, and the flips below must not touch the original.
    bytes = new Uint8Array(fs.readFileSync(path.join(EXTERNAL, rel)));
    ends = await messageEnds(bytes);
  });

  test("truncated at every 1/50 and the first 64 bytes", async () => {
    expect(ends).toHaveLength(count);
    const cuts = new Set<number>();
    for (let i = 0; i <= 64; i++) cuts.add(i);
    for (let i = 1; i < 50; i++) cuts.add(Math.floor((bytes.length * i) / 50));
    cuts.add(ends[ends.length - 1]);
    let partial = 0;
    for (const cut of cuts) {
      const { messages, error } = await readOutcome(bytes.subarray(0, cut), "real.mcap");
      expect({ cut, delivered: messages.length }).toEqual({ cut, delivered: ends.filter((e) => e <= cut).length });
      expectOneLineAt(error, "real.mcap");
      if (messages.length > 0) partial++;
    }
    // Some cuts fall after whole chunks, so "delivered before the damage" is really exercised.
    expect(partial).toBeGreaterThan(0);
  });

  test("flipped bytes in each chunk", async () => {
    const reader = await McapIndexedReader.Initialize({ readable: new BufferReadable(bytes) });
    expect(reader.chunkIndexes.length).toBeGreaterThan(0);
    for (const chunk of reader.chunkIndexes) {
      const start = Number(chunk.chunkStartOffset);
      const pos = start + Number(chunk.chunkLength) - Math.floor(Number(chunk.compressedSize) / 2);
      const damaged = bytes.slice();
      damaged[pos] ^= 0x01;
      for (const access of ["auto", "streamed"] as const) {
        const { messages, error } = await readOutcome(damaged, "flip.mcap", { access });
        expect(messages).toHaveLength(ends.filter((e) => e <= start).length);
        expect(expectOneLineAt(error, "flip.mcap").offset).toBe(BigInt(start));
      }
    }
  });
});

describe("CLI on bad input", () => {
  function cli(...args: string[]) {
    return spawnSync(process.execPath, ["--require", "./bench/register.js", "src/cli/run.ts", ...args], { cwd: REPO, encoding: "utf8" });
  }

  test("spawned `inspect` on a truncated file: exit 2, one line on stderr, no stack trace", async () => {
    const bytes = await buildRecording(generated(60), { chunkSize: 2048 });
    const file = path.join(tmp, "truncated.mcap");
    fs.writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const r = cli("inspect", file);
    expect(r.status).toBe(2);
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^avfusion: ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:\\d+: .*expected`));
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toContain("counts from scan");
  });

  test("spawned `inspect` on a missing file: exit 2, one line", () => {
    const r = cli("inspect", path.join(tmp, "missing.mcap"));
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`avfusion: ${path.join(tmp, "missing.mcap")}: no such file, expected an MCAP file\n`);
  });

  test("in-process: directory, empty and non-MCAP files and usage errors exit 2 with one line", async () => {
    const empty = path.join(tmp, "empty.mcap");
    fs.writeFileSync(empty, "");
    const text = path.join(tmp, "notes.txt");
    fs.writeFileSync(text, "hello world, not mcap\n");
    const cases: [string[], RegExp][] = [
      [["inspect", tmp], /: is a directory, expected an MCAP file$/],
      [["inspect", empty], /empty\.mcap:0: file is empty, expected an MCAP file/],
      [["inspect", text], /notes\.txt:0: not an MCAP file: starts with 68 65 6c 6c 6f 20 77 6f, expected magic/],
      [["inspect"], /error: missing required argument 'file'/],
      [["inspect", "--nope", text], /error: unknown option '--nope'/],
      [["frobnicate"], /error: unknown command 'frobnicate'/],
    ];
    for (const [args, pattern] of cases) {
      let err = "";
      const code = await main(["node", "avfusion", ...args], { stdout: () => {}, stderr: (s) => (err += s) });
      expect({ args, code }).toEqual({ args, code: 2 });
      expect(err.trimEnd().split("\n")).toHaveLength(1);
      expect(err.trimEnd()).toMatch(pattern);
    }
  });
});
