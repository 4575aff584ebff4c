// MCAP reader throughput and memory.
//   node --require ./bench/register.js bench/mcapRead.ts [--size-mb 300] [--small-mb 120] [--rss-size-mb 0]
// 1. sensors recording (camera ~1 MB, LiDAR ~200 KB, radar ~1 KB): MB/s of readRecording (streamed
//    and indexed, CRC on and off) beside fs.readFile of the same file in the same run;
// 2. small-message recording (~100 B): messages/s;
// 3. with --rss-size-mb N: a lossless read of an N-MB recording with per-message work, sampling
//    process.memoryUsage().rss every 50 ms; prints min/max RSS (flat = bounded memory).
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import os from "node:os";
import { Command } from "commander";
import { FileReadable } from "../src/sources/mcap/FileReadable";
import { createDiagnostics, readRecording, type ReadRecordingOptions } from "../src/sources/mcap/readRecording";
import { generateRecording, type GenOptions } from "./genLargeRecording";

type Flags = { sizeMb: number; smallMb: number; rssSizeMb: number; compression: "none" | "zstd"; regen?: boolean; repeat: number };

const fmt = (x: number) => x.toFixed(0).padStart(6);

type Config = { label: string; run: () => Promise<number> };

async function secondsOf(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return (performance.now() - t0) / 1000;
}

/**
 * Every configuration once per round, `n` rounds; best and median seconds per configuration.
 * Interleaving keeps the comparison fair when the (shared) machine's load changes over time.
 */
async function roundRobin(n: number, configs: Config[]): Promise<{ best: number; median: number }[]> {
  const times: number[][] = configs.map(() => []);
  for (let round = 0; round < n; round++) {
    for (let i = 0; i < configs.length; i++) times[i].push(await configs[i].run());
  }
  return times.map((t) => {
    t.sort((a, b) => a - b);
    return { best: t[0], median: t[Math.floor((t.length - 1) / 2)] };
  });
}

const counts = new Map<string, number>();

function readerConfigs(file: string): Config[] {
  return (["streamed", "indexed"] as const).flatMap((access) =>
    [false, true].map((validateCrcs) => ({
      label: `readRecording ${access} CRC ${validateCrcs ? "on" : "off"}`,
      run: async () => {
        const r = await timedRead(file, { access, validateCrcs });
        counts.set(file, r.messages);
        return r.seconds;
      },
    })),
  );
}

async function ensure(o: GenOptions, regen: boolean): Promise<string> {
  const file = `${os.tmpdir()}/avfusion-bench-${o.kind}-${o.sizeMb}mb-${o.compression}.mcap`;
  if (!regen && existsSync(file)) return file;
  const r = await generateRecording({ ...o, out: file });
  console.log(`generated ${file}: ${(r.bytes / 1e6).toFixed(1)} MB, ${r.messages} messages`);
  return file;
}

/** Lossless read through the Observable; `work` runs on every message. */
async function timedRead(file: string, options: ReadRecordingOptions, work: (data: Uint8Array) => void = () => {}) {
  const source = await FileReadable.open(file);
  const diagnostics = createDiagnostics();
  let messages = 0;
  let payload = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) =>
    readRecording(source, { ...options, diagnostics }).subscribe({
      next: (m) => {
        messages++;
        payload += m.data.byteLength;
        work(m.data);
      },
      error: reject,
      complete: resolve,
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await source.close();
  return { seconds, messages, payload, access: diagnostics.access };
}

async function main() {
  const flags = new Command("mcapRead")
    .option("--size-mb <n>", "sensors recording size", (v) => Number(v), 300)
    .option("--small-mb <n>", "small-message recording size", (v) => Number(v), 120)
    .option("--rss-size-mb <n>", "size of the recording for the RSS run (0 = skip)", (v) => Number(v), 0)
    .option("--compression <c>", "chunk compression of the generated files: none | zstd", "none")
    .option("--regen", "regenerate the recordings even if present")
    .option("--repeat <n>", "runs per measurement", (v) => Number(v), 5)
    .parse(process.argv)
    .opts<Flags>();
  console.log(
    `node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}, chunk compression ${flags.compression}`,
  );

  if (flags.sizeMb > 0) {
    const file = await ensure({ sizeMb: flags.sizeMb, kind: "sensors", compression: flags.compression, chunkKb: 4096 }, !!flags.regen);
    const mb = statSync(file).size / 1e6;
    await readFile(file); // warm the page cache so every run below reads from memory alike
    await timedRead(file, { access: "streamed", validateCrcs: false }); // warm the JIT
    const configs: Config[] = [
      { label: "fs.promises.readFile", run: async () => secondsOf(() => readFile(file)) },
      { label: "fs.readFileSync", run: async () => secondsOf(async () => readFileSync(file)) },
      {
        // Pure page-cache copy rate: 4 MiB reads into one reused buffer (no fresh memory per read).
        label: "fs.readSync, reused 4 MiB buffer",
        run: async () =>
          secondsOf(async () => {
            const fd = openSync(file, "r");
            const buffer = Buffer.allocUnsafe(4 << 20);
            while (readSync(fd, buffer, 0, buffer.length, null) > 0);
            closeSync(fd);
          }),
      },
      ...readerConfigs(file),
    ];
    const t = await roundRobin(flags.repeat, configs);
    console.log(`\nsensors recording ${mb.toFixed(1)} MB; MB/s best (median) of ${flags.repeat} rounds, configurations interleaved`);
    const readFileBest = t[0].best;
    const readFileMedian = t[0].median;
    configs.forEach((c, i) => {
      const vs =
        i < 3
          ? ""
          : ` = ${((100 * readFileBest) / t[i].best).toFixed(0)}% (${((100 * readFileMedian) / t[i].median).toFixed(0)}%) of fs.readFile, ${((100 * t[2].best) / t[i].best).toFixed(0)}% (${((100 * t[2].median) / t[i].median).toFixed(0)}%) of reused-buffer reads`;
      console.log(`  ${c.label.padEnd(32)} ${fmt(mb / t[i].best)} (${fmt(mb / t[i].median)}) MB/s${vs}`);
    });
  }

  if (flags.smallMb > 0) {
    const file = await ensure({ sizeMb: flags.smallMb, kind: "small", compression: flags.compression, chunkKb: 1024 }, !!flags.regen);
    await timedRead(file, { access: "streamed", validateCrcs: false }); // warm the JIT
    const configs = readerConfigs(file);
    const t = await roundRobin(flags.repeat, configs);
    console.log(
      `\nsmall-message recording ${(statSync(file).size / 1e6).toFixed(1)} MB, ${counts.get(file)} messages; messages/s best (median) of ${flags.repeat} rounds`,
    );
    configs.forEach((c, i) => {
      const n = counts.get(file) ?? 0;
      console.log(`  ${c.label.padEnd(32)} ${fmt(n / t[i].best / 1e3)}k (${fmt(n / t[i].median / 1e3)}k) msgs/s`);
    });
  }

  if (flags.rssSizeMb > 0) {
    const file = await ensure({ sizeMb: flags.rssSizeMb, kind: "sensors", compression: flags.compression, chunkKb: 4096 }, !!flags.regen);
    console.log(
      `\nRSS during a lossless read of ${(statSync(file).size / 1e6).toFixed(0)} MB (per-message work: checksum every 64th byte)`,
    );
    for (const access of ["streamed", "indexed"] as const) {
      const samples: number[] = [];
      const timer = setInterval(() => samples.push(process.memoryUsage().rss), 50);
      let checksum = 0;
      const r = await timedRead(file, { access, validateCrcs: true }, (data) => {
        for (let i = 0; i < data.length; i += 64) checksum = (checksum + data[i]) | 0;
      });
      clearInterval(timer);
      const lo = Math.min(...samples) / 2 ** 20;
      const hi = Math.max(...samples) / 2 ** 20;
      const q = (p: number) => samples.slice().sort((a, b) => a - b)[Math.floor(p * (samples.length - 1))] / 2 ** 20;
      console.log(
        `  ${access.padEnd(8)} ${r.messages} msgs in ${r.seconds.toFixed(1)} s; RSS min ${lo.toFixed(0)} MiB, median ${q(0.5).toFixed(0)} MiB, max ${hi.toFixed(0)} MiB over ${samples.length} samples (checksum ${checksum})`,
      );
    }
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
