import { McapIndexedReader, McapWriter } from "@mcap/core";
import { lastValueFrom, take, toArray, VirtualTimeScheduler } from "rxjs";
import type { SensorMessage } from "../../types";
import { BufferReadable } from "./BufferReadable";
import { buildRecording, type BuiltMessage } from "./buildRecording";
import { MemoryWritable } from "./MemoryWritable";
import { createDiagnostics, readMessageBatches, readRecording, type ReadRecordingOptions } from "./readRecording";
import { streamRecordBatches } from "./streamRecords";

/** Counts what the reader pulled from the source: the furthest byte read so far. */
class CountingReadable extends BufferReadable {
  furthest = 0;
  ranges: [number, number][] = [];
  override async read(offset: bigint, size: bigint): Promise<Uint8Array> {
    this.ranges.push([Number(offset), Number(offset + size)]);
    this.furthest = Math.max(this.furthest, Number(offset + size));
    return super.read(offset, size);
  }
}

function messages(n: number, size: number, stepNs = 1_000_000n): BuiltMessage[] {
  return Array.from({ length: n }, (_, i) => ({
    topic: i % 2 === 0 ? "/a" : "/b",
    logTime: 1_000n + BigInt(i) * stepNs,
    data: new Uint8Array(size).fill(i & 0xff),
  }));
}

/** Start and end offsets of the top-level record (message or chunk) of each message, in file order. */
async function messageSpans(bytes: Uint8Array): Promise<[number, number][]> {
  const spans: [number, number][] = [];
  for await (const b of streamRecordBatches(new BufferReadable(bytes))) {
    b.records.forEach((r, i) => r.type === "Message" && spans.push([b.offsets[i], b.ends[i]]));
  }
  return spans;
}

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // A consumer doing synchronous work per message (like inference).
  }
}

describe("lossless pacing: bounded read-ahead", () => {
  let bytes: Uint8Array;
  let spans: [number, number][];
  beforeAll(async () => {
    bytes = await buildRecording(messages(2000, 100), { chunkSize: 1024 });
    spans = await messageSpans(bytes);
  });

  async function maxReadAhead(options: ReadRecordingOptions, consume: "sync" | "async"): Promise<{ max: number; count: number }> {
    const source = new CountingReadable(bytes, "count.mcap");
    let delivered = 0;
    let max = 0;
    let seenRanges = 0;
    const fetched = new Set<number>();
    const onMessage = () => {
      delivered++;
      // Messages the reader could have parsed from what it read so far, minus what the consumer
      // has seen. Streamed: everything up to the furthest byte. Indexed (which reads the summary
      // at the end first): messages whose chunk was fetched by one read.
      let available = 0;
      if (options.access === "streamed") {
        while (available < spans.length && spans[available][1] <= source.furthest) available++;
      } else {
        while (seenRanges < source.ranges.length) {
          const [s, e] = source.ranges[seenRanges++];
          if (e - s >= 100_000) continue; // the summary read at open, not a chunk
          spans.forEach(([a, b], i) => {
            if (s <= a && b <= e) fetched.add(i);
          });
        }
        available = fetched.size;
      }
      max = Math.max(max, available - delivered);
    };
    if (consume === "sync") {
      await new Promise<void>((resolve, reject) =>
        readRecording(source, options).subscribe({
          next: () => {
            onMessage();
            if (delivered % 100 === 0) busy(1);
          },
          error: reject,
          complete: resolve,
        }),
      );
    } else {
      for await (const batch of readMessageBatches(source, options)) {
        for (const _m of batch) {
          onMessage();
          await new Promise((r) => setImmediate(r));
        }
      }
    }
    return { max, count: delivered };
  }

  test.each([
    ["streamed", "sync"],
    ["streamed", "async"],
  ] as const)("%s read, %s slow consumer: at most one 4 KiB block of messages ahead", async (access, consume) => {
    const { max, count } = await maxReadAhead({ access, blockSize: 4096 }, consume);
    expect(count).toBe(2000);
    // 4 KiB of ~130-byte records is ~31 messages, plus the rest of a 1 KiB chunk straddling a block.
    expect(max).toBeLessThanOrEqual(45);
    expect(max).toBeGreaterThan(0);
  });

  test.each(["sync", "async"] as const)("indexed read, %s slow consumer: at most one batch (+ one chunk) ahead", async (consume) => {
    const { max, count } = await maxReadAhead({ access: "indexed", batchSize: 16 }, consume);
    expect(count).toBe(2000);
    expect(max).toBeLessThanOrEqual(16 + 8);
  });

  test("unsubscribing stops the reads", async () => {
    const source = new CountingReadable(bytes, "count.mcap");
    const got = await lastValueFrom(readRecording(source, { access: "streamed", blockSize: 4096 }).pipe(take(5), toArray()));
    expect(got.map((m) => m.logTime)).toEqual([1000n, 1_001_000n, 2_001_000n, 3_001_000n, 4_001_000n]);
    await new Promise((r) => setTimeout(r, 20));
    expect(source.furthest).toBeLessThanOrEqual(8192);
    expect(bytes.length).toBeGreaterThan(200_000);
  });
});

describe("real-time pacing in virtual time", () => {
  async function runVirtual(
    bytes: Uint8Array,
    options: ReadRecordingOptions,
    scheduler: VirtualTimeScheduler,
    onNext: (m: SensorMessage) => void = () => {},
  ): Promise<[bigint, number][]> {
    const seen: [bigint, number][] = [];
    let done = false;
    let failure: unknown;
    readRecording(new BufferReadable(bytes), options, scheduler).subscribe({
      next: (m) => {
        seen.push([m.logTime, scheduler.now()]);
        onNext(m);
      },
      error: (e: unknown) => {
        failure = e;
        done = true;
      },
      complete: () => (done = true),
    });
    for (let i = 0; !done && i < 10_000; i++) {
      await new Promise((r) => setImmediate(r));
      scheduler.flush();
    }
    if (failure) throw failure;
    expect(done).toBe(true);
    return seen;
  }

  const times = [0n, 100n, 250n, 1000n, 1000n, 1500n].map((ms) => 5_000_000_000n + ms * 1_000_000n);
  const recording = () => buildRecording(times.map((logTime) => ({ topic: "/a", logTime, data: new Uint8Array(3) })));

  test("rate 2 emits on log time / 2", async () => {
    const seen = await runVirtual(await recording(), { pacing: { mode: "realtime", rate: 2 } }, new VirtualTimeScheduler());
    expect(seen.map(([, at]) => at)).toEqual([0, 50, 125, 500, 500, 750]);
  });

  test("rate 1, streamed read: same schedule at full length", async () => {
    const seen = await runVirtual(
      await recording(),
      { pacing: { mode: "realtime", rate: 1 }, access: "streamed" },
      new VirtualTimeScheduler(),
    );
    expect(seen.map(([, at]) => at)).toEqual([0, 100, 250, 1000, 1000, 1500]);
  });

  test("a consumer that falls behind more than maxLagMs loses those messages, counted", async () => {
    const scheduler = new VirtualTimeScheduler();
    const diagnostics = createDiagnostics();
    const seen = await runVirtual(
      await recording(),
      { pacing: { mode: "realtime", rate: 1, maxLagMs: 100 }, diagnostics },
      scheduler,
      (m) => {
        // The first message takes 400 ms of (virtual) work: t=100 is 300 ms late and is dropped,
        // t=250 is 150 ms late (dropped), t=1000 is on time again.
        if (m.logTime === times[0]) scheduler.frame += 400;
      },
    );
    expect(seen.map(([t]) => t)).toEqual([times[0], times[3], times[4], times[5]]);
    expect(diagnostics.messagesDropped).toBe(2);
    expect(diagnostics.messagesDelivered).toBe(4);
  });

  test("a bad rate is an error", async () => {
    await expect(
      lastValueFrom(readRecording(new BufferReadable(await recording()), { pacing: { mode: "realtime", rate: 0 } })),
    ).rejects.toThrow("pacing.rate: expected a positive finite number, got 0");
  });
});

describe("filters and access modes", () => {
  const msgs = messages(50, 10, 10n);
  const T = (i: number) => 1_000n + BigInt(i) * 10n;

  test.each([
    ["indexed", { chunkSize: 64 }, "auto"],
    ["streamed", { chunkSize: 64 }, "streamed"],
    ["streamed", { index: false }, "auto"],
    ["streamed", { useChunks: false }, "auto"],
  ] as const)("%s %j (asked: %s): topic + inclusive time range", async (access, build, asked) => {
    const bytes = await buildRecording(msgs, build);
    const diagnostics = createDiagnostics();
    const got = await lastValueFrom(
      readRecording(new BufferReadable(bytes), { access: asked, topics: ["/b"], startTime: T(10), endTime: T(20), diagnostics }).pipe(
        toArray(),
      ),
    );
    expect(diagnostics.access).toBe(access);
    expect(got.map((m) => m.logTime)).toEqual([11, 13, 15, 17, 19].map(T));
    expect(got.every((m) => m.topic === "/b" && m.schemaName === "test.Blob" && m.messageEncoding === "json")).toBe(true);
    if (access === "streamed") {
      expect(diagnostics.messagesRead).toBe(50);
      expect(diagnostics.messagesFiltered).toBe(45);
      if (asked === "auto") expect(diagnostics.indexNote).toMatch(/File is not indexed|no ChunkIndex/);
    }
    expect(diagnostics.messagesDelivered).toBe(5);
  });

  test("access: indexed on an unindexed file fails with a one-line reason", async () => {
    const bytes = await buildRecording(msgs, { index: false });
    await expect(lastValueFrom(readRecording(new BufferReadable(bytes, "u.mcap"), { access: "indexed" }))).rejects.toThrow(
      /^u\.mcap: no usable index \(File is not indexed.*\), expected a summary with chunk and message indexes$/,
    );
  });

  test("CRC checks off gives the same messages", async () => {
    const bytes = await buildRecording(msgs, { chunkSize: 128 });
    for (const access of ["indexed", "streamed"] as const) {
      const on = await lastValueFrom(readRecording(new BufferReadable(bytes), { access }).pipe(toArray()));
      const off = await lastValueFrom(readRecording(new BufferReadable(bytes), { access, validateCrcs: false }).pipe(toArray()));
      expect(off).toEqual(on);
      expect(on).toHaveLength(50);
    }
  });
});

describe("damaged index", () => {
  test("a ChunkIndex pointing outside the file: the index is not used, the file reads streamed", async () => {
    // Write a file whose summary claims a chunk far past the end (summary CRC left at 0 = unchecked).
    const out = new MemoryWritable();
    const writer = new McapWriter({ writable: out, chunkSize: 64 });
    await writer.start({ profile: "", library: "t" });
    const ch = await writer.registerChannel({ topic: "/a", schemaId: 0, messageEncoding: "json", metadata: new Map() });
    for (let i = 0; i < 5; i++)
      await writer.addMessage({ channelId: ch, sequence: i, logTime: BigInt(i), publishTime: BigInt(i), data: new Uint8Array(40) });
    await writer.end();
    const bytes = out.bytes();
    const r = await McapIndexedReader.Initialize({ readable: new BufferReadable(bytes) });
    // Patch the first ChunkIndex's chunk_start_offset in place, and zero the summary CRC.
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const summaryStart = Number(r.footer.summaryStart);
    let at = summaryStart;
    for (;;) {
      const op = bytes[at];
      const len = Number(view.getBigUint64(at + 1, true));
      if (op === 0x08) {
        view.setBigUint64(at + 9 + 16, 1n << 40n, true);
        break;
      }
      at += 9 + len;
    }
    view.setUint32(bytes.length - 8 - 4, 0, true);
    const diagnostics = createDiagnostics();
    const got = await lastValueFrom(readRecording(new BufferReadable(bytes), { diagnostics }).pipe(toArray()));
    expect(got.map((m) => m.logTime)).toEqual([0n, 1n, 2n, 3n, 4n]);
    expect(diagnostics.access).toBe("streamed");
    expect(diagnostics.indexNote).toMatch(/^ChunkIndex points at \d+ bytes at offset 1099511627776, outside the \d+-byte file$/);
  });
});
