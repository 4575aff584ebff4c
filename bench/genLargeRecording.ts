// Writes a generated MCAP recording for the reader benchmarks.
//   node --require ./bench/register.js bench/genLargeRecording.ts [--size-mb 300] [--kind sensors|small]
//        [--compression none|zstd] [--chunk-kb 4096] [--out PATH]
// sensors: camera ~1 MB @10 Hz, LiDAR ~200 KB @10 Hz, radar ~1 KB @20 Hz (random-ish bytes);
// small:   ~100-byte messages on 4 topics at 1 kHz each. Prints the path, size and message count.
import { randomFillSync } from "node:crypto";
import { open } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { McapWriter } from "@mcap/core";
import { FileHandleWritable } from "@mcap/nodejs";
import { Command } from "commander";
import { zstdCompressChunk, zstdReady } from "../src/runtime/zstd";

export type GenOptions = { sizeMb: number; kind: "sensors" | "small"; compression: "none" | "zstd"; chunkKb: number; out?: string };

export async function generateRecording(o: GenOptions): Promise<{ file: string; bytes: number; messages: number }> {
  const file = o.out ?? path.join(os.tmpdir(), `avfusion-bench-${o.kind}-${o.sizeMb}mb-${o.compression}.mcap`);
  if (o.compression === "zstd") await zstdReady;
  const handle = await open(file, "w");
  const writable = new FileHandleWritable(handle);
  const writer = new McapWriter({
    writable,
    chunkSize: o.chunkKb * 1024,
    compressChunk: o.compression === "zstd" ? zstdCompressChunk(1) : undefined,
  });
  await writer.start({ profile: "", library: "avfusion bench/genLargeRecording" });
  // Random pool: messages are slices at varying offsets, so chunks do not compress to nothing.
  const pool = new Uint8Array(16 << 20);
  randomFillSync(pool);
  const topics =
    o.kind === "sensors"
      ? [
          { topic: "/cam_front/image", schema: "foxglove.CompressedImage", size: 1_000_000, periodNs: 100_000_000n },
          { topic: "/lidar_top/points", schema: "foxglove.PointCloud", size: 200_000, periodNs: 100_000_000n },
          { topic: "/radar_front/scan", schema: "avfusion.RadarScan", size: 1_000, periodNs: 50_000_000n },
        ]
      : ["/a", "/b", "/c", "/d"].map((topic) => ({ topic, schema: "test.Small", size: 100, periodNs: 1_000_000n }));
  const ids: number[] = [];
  for (const t of topics) {
    const schemaId = await writer.registerSchema({ name: t.schema, encoding: "protobuf", data: new Uint8Array(16) });
    ids.push(await writer.registerChannel({ topic: t.topic, schemaId, messageEncoding: "protobuf", metadata: new Map() }));
  }
  const target = o.sizeMb * 1024 * 1024;
  const next = topics.map(() => 1_700_000_000_000_000_000n);
  const seq = topics.map(() => 0);
  let written = 0;
  let messages = 0;
  let cursor = 0;
  while (written < target) {
    // Emit the topic whose next message is due first: messages in log-time order.
    let k = 0;
    for (let i = 1; i < topics.length; i++) if (next[i] < next[k]) k = i;
    const size = topics[k].size + ((messages * 7919) % 64);
    if (cursor + size > pool.length) cursor = (cursor * 31 + 17) % 4096;
    await writer.addMessage({
      channelId: ids[k],
      sequence: ++seq[k],
      logTime: next[k],
      publishTime: next[k],
      data: pool.subarray(cursor, cursor + size),
    });
    cursor += size;
    next[k] += topics[k].periodNs;
    written += size + 31;
    messages++;
  }
  await writer.end();
  await handle.close();
  const { size } = await (await import("node:fs/promises")).stat(file);
  return { file, bytes: size, messages };
}

if (require.main === module) {
  const program = new Command("genLargeRecording")
    .option("--size-mb <n>", "approximate size in MB", (v) => Number(v), 300)
    .option("--kind <k>", "sensors | small", "sensors")
    .option("--compression <c>", "none | zstd", "none")
    .option("--chunk-kb <n>", "chunk size in KiB", (v) => Number(v), 4096)
    .option("--out <path>", "output file (default: the OS temp dir)")
    .parse(process.argv);
  const o = program.opts<GenOptions>();
  const t0 = performance.now();
  generateRecording(o).then(
    (r) =>
      console.log(
        `${r.file}: ${(r.bytes / 1e6).toFixed(1)} MB, ${r.messages} messages, written in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      ),
    (e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    },
  );
}
