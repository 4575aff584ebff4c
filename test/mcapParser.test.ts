import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { BufferReadable } from "../src/sources/mcap/BufferReadable";
import { buildRecording, type BuiltMessage } from "../src/sources/mcap/buildRecording";
import { createDiagnostics, readMessageBatches, type ReadRecordingOptions } from "../src/sources/mcap/readRecording";
import { zstdCompressChunk, zstdReady } from "../src/runtime/zstd";
import type { SensorMessage } from "../src/types";

/**
 * Our MessageParser (the default, zero-copy fast path) against @mcap/core's own readers
 * (`parser: "library"`): the same messages, in the same order, with the same diagnostics, on
 * the conformance suite, the external recordings and generated files.
 */
const SHARED = path.resolve(__dirname, "../../shared/data");
const present = fs.existsSync(SHARED);
if (!present) console.warn(`mcapParser: real-data cases skipped, ${SHARED} is absent`);

function files(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : e.name.endsWith(".mcap") ? [p] : [];
  });
}

type Plain = Omit<SensorMessage, "data" | "schemaData"> & { data: string; schemaData: string };
const digest = (b: Uint8Array) => `${b.byteLength}:${createHash("sha1").update(b).digest("hex")}`;
const plain = (m: SensorMessage): Plain => ({ ...m, data: digest(m.data), schemaData: digest(m.schemaData) });

async function read(bytes: Uint8Array, options: ReadRecordingOptions) {
  const diagnostics = createDiagnostics();
  const out: Plain[] = [];
  let error: string | undefined;
  try {
    for await (const b of readMessageBatches(new BufferReadable(bytes, "f.mcap"), { ...options, diagnostics })) out.push(...b.map(plain));
  } catch (e) {
    error = e instanceof Error ? e.message.replace(/^f\.mcap:\d+: /, "") : String(e);
  }
  const { messagesRead, messagesFiltered, messagesSkipped, access } = diagnostics;
  return { out, failed: error !== undefined, counts: { messagesRead, messagesFiltered, messagesSkipped, access } };
}

async function expectSame(bytes: Uint8Array, label: string, options: ReadRecordingOptions = {}) {
  for (const access of ["auto", "streamed"] as const) {
    const fast = await read(bytes, { ...options, access, parser: "fast" });
    const lib = await read(bytes, { ...options, access, parser: "library" });
    // Indexed, the library reads only the messages it needs while we parse whole chunks, so the
    // read/filtered counts are compared for streamed reads only.
    if (access === "auto") {
      expect({ label, access: fast.counts.access, out: fast.out, failed: fast.failed }).toEqual({
        label,
        access: lib.counts.access,
        out: lib.out,
        failed: lib.failed,
      });
    } else {
      expect({ label, access, ...fast }).toEqual({ label, access, ...lib });
    }
  }
}

(present ? test : test.skip)("conformance suite and external recordings: same messages as @mcap/core", async () => {
  const all = [...files(path.join(SHARED, "mcap-conformance")), ...files(path.join(SHARED, "recordings-external"))];
  expect(all.length).toBe(416 + 14);
  for (const file of all) await expectSame(new Uint8Array(fs.readFileSync(file)), file);
});

describe("generated recordings", () => {
  const topics = ["/cam", "/lidar", "/radar"];
  function msgs(n: number, shuffleTimes: boolean): BuiltMessage[] {
    return Array.from({ length: n }, (_, i) => ({
      topic: topics[i % 3],
      // shuffled: log times jump back and forth, so chunks overlap in time (merge path).
      logTime: shuffleTimes ? BigInt(((i * 7919) % n) * 1000) : BigInt(i * 1000),
      data: Uint8Array.from({ length: 10 + (i % 50) }, (_, j) => (i + j) & 0xff),
    }));
  }

  test.each([
    ["uncompressed chunks", { chunkSize: 512 }, false],
    ["zstd chunks", { chunkSize: 512, zstd: true }, false],
    ["overlapping chunks", { chunkSize: 512 }, true],
    ["no chunks", { useChunks: false }, false],
    ["no index", { index: false, chunkSize: 512 }, false],
  ] as const)("%s, with and without filters", async (_label, build, shuffle) => {
    await zstdReady;
    const bytes = await buildRecording(msgs(600, shuffle), {
      ...build,
      compressChunk: "zstd" in build ? zstdCompressChunk() : undefined,
    });
    await expectSame(bytes, "all");
    await expectSame(bytes, "topics", { topics: ["/radar", "/cam"] });
    await expectSame(bytes, "range", { startTime: 100_000n, endTime: 250_500n });
    await expectSame(bytes, "both", { topics: ["/lidar"], startTime: 50_000n, endTime: 400_000n, validateCrcs: false });
  });

  test("truncated files: same messages before the damage", async () => {
    const bytes = await buildRecording(msgs(300, false), { chunkSize: 700 });
    for (let cut = 0; cut < bytes.length; cut += Math.floor(bytes.length / 97)) {
      const fast = await read(bytes.subarray(0, cut), { parser: "fast" });
      const lib = await read(bytes.subarray(0, cut), { parser: "library" });
      expect({ cut, n: fast.out.length, failed: fast.failed }).toEqual({ cut, n: lib.out.length, failed: true });
      expect(fast.out).toEqual(lib.out);
    }
  });
});
