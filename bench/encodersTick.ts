/*
 * One whole tick of the four encoders, as the pipeline's encoder stage runs it: for each tick, one
 * camera frame (JPEG decode with sharp, then encode), one LiDAR sweep, one radar scan and one
 * audio chunk, sequentially on one thread. Frames come from a recording (default
 * recordings/default.mcap) through the project's reader and decoder; encoders are made as the
 * pipeline makes them (createSensorEncoders, with the recording's /tf and camera calibration).
 *
 *   node --require ./bench/register.js bench/encodersTick.ts [--ticks 300] [--warmup 30]
 *        [--recording recordings/default.mcap] [--backend wasm] [--batch 8] [--json tmp/tick.json]
 *
 * Also times the pipeline's encoder stage itself (createBundleEncoder on a bundle of the same four
 * frames), where JPEG decoding runs on sharp's threads while the other encoders run.
 * Prints p50 / p99 / max of the tick and of each encoder, process CPU time per tick, frames/s when each encoder's frames are
 * batched, the backend line and the load average before and after (the machine is shared).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as tf from "@tensorflow/tfjs";
import { lastValueFrom, toArray } from "rxjs";
import { createDecoder } from "../src/decode/createDecoder";
import { decodeCameraFrame } from "../src/encoders/camera/decodeImage";
import type { Encoder } from "../src/encoders/common/types";
import { createBundleEncoder } from "../src/encoders/encodeBundle";
import { createSensorEncoders, type CalibrationLookup } from "../src/encoders/sensorEncoders";
import { nodeModelFiles } from "../src/runtime/nodeModelFiles";
import { selectBackend, type BackendName } from "../src/runtime/selectBackend";
import { FileReadable } from "../src/sources/mcap/FileReadable";
import { readRecording } from "../src/sources/mcap/readRecording";
import type {
  AudioFrame,
  CameraCalibration,
  CameraFrame,
  FrameTransform,
  PointCloudFrame,
  RadarFrame,
  SensorFrame,
  SyncedBundle,
} from "../src/types";

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const TICKS = Number(arg("ticks", "300"));
const WARMUP = Number(arg("warmup", "30"));
const BATCH = Number(arg("batch", "8"));
const RECORDING = arg("recording", "recordings/default.mcap");
const BACKEND = arg("backend", "wasm") as BackendName;
const JSON_OUT = arg("json", "");

const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const load = (): string =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

async function readFrames(file: string) {
  const source = await FileReadable.open(file);
  const messages = await lastValueFrom(readRecording(source, { access: "indexed" }).pipe(toArray())).finally(() => source.close());
  const decoder = createDecoder();
  const transforms: Map<string, FrameTransform> = new Map();
  const cameras: Map<string, CameraCalibration> = new Map();
  const frames = { camera: [] as CameraFrame[], lidar: [] as PointCloudFrame[], radar: [] as RadarFrame[], audio: [] as AudioFrame[] };
  for (const msg of messages) {
    const r = decoder.decode(msg);
    if (!("messages" in r)) continue;
    for (const m of r.messages) {
      if (m.kind === "transform") transforms.set(m.childFrameId, m);
      else if (m.kind === "cameraCalibration") cameras.set(m.frameId, m);
      else if (m.kind === "camera" || m.kind === "lidar" || m.kind === "radar" || m.kind === "audio")
        (frames[m.kind] as SensorFrame[]).push(m);
    }
  }
  const calibration: CalibrationLookup = { transforms, cameras };
  return { frames, calibration };
}

const counters = { received: 1, included: 1, late: 0, reordered: 0, duplicate: 0, overflow: 0, unused: 0 };
function bundleOf(frames: SensorFrame[], seq: number): SyncedBundle {
  const tick = frames[0]!.stamp;
  return {
    seq,
    tick,
    origin: "fixed",
    trigger: "complete",
    emittedAt: tick,
    sensors: frames.map((f) => ({ sensorId: f.sensorId, status: "included", frame: f, skew: 0n, age: 0n, counters })),
    frames,
    diagnostics: { unknownSensor: 0, malformed: 0, skippedTicks: 0, pendingTickOverflow: 0 },
  };
}

type Stat = { p50: number; p99: number; max: number; mean: number };
const stat = (xs: readonly number[]): Stat => ({
  p50: pct(xs, 50),
  p99: pct(xs, 99),
  max: Math.max(...xs),
  mean: xs.reduce((a, b) => a + b, 0) / xs.length,
});
const fmt = (s: Stat): string => `p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms, max ${s.max.toFixed(1)} ms`;

async function main(): Promise<void> {
  const loadBefore = load();
  const sel = await selectBackend({ backend: BACKEND, log: () => undefined });
  const { frames, calibration } = await readFrames(RECORDING);
  for (const k of ["camera", "lidar", "radar", "audio"] as const) {
    if (frames[k].length === 0) throw new Error(`${RECORDING}: no ${k} frames`);
  }
  const encoders = createSensorEncoders(calibration, { files: nodeModelFiles() });
  const enc = {
    camera: (await encoders.forFrame(frames.camera[0]!)) as Encoder<SensorFrame>,
    lidar: (await encoders.forFrame(frames.lidar[0]!)) as Encoder<SensorFrame>,
    radar: (await encoders.forFrame(frames.radar[0]!)) as Encoder<SensorFrame>,
    audio: (await encoders.forFrame(frames.audio[0]!)) as Encoder<SensorFrame>,
  };
  const meanPoints = frames.lidar.reduce((a, f) => a + f.count, 0) / frames.lidar.length;
  console.log(
    `# encoders tick bench: ${os.cpus()[0]?.model ?? "cpu"} (${os.cpus().length} cores, shared), node ${process.version}, tfjs ${tf.version.tfjs}`,
  );
  console.log(`# ${sel.logLine}`);
  console.log(
    `# ${RECORDING}: ${frames.camera.length} camera (${frames.camera[0]!.format}), ${frames.lidar.length} LiDAR (${Math.round(meanPoints)} points on average), ` +
      `${frames.radar.length} radar, ${frames.audio.length} audio frames; ${TICKS} ticks after ${WARMUP} warm-up ticks`,
  );
  // Audio chunks keep consecutive stamps forever, so that the encoder's history stays full as it would live.
  const chunkNs = frames.audio.length > 1 ? frames.audio[1]!.stamp - frames.audio[0]!.stamp : 100_000_000n;
  const audioAt = (k: number): AudioFrame => {
    const f = frames.audio[k % frames.audio.length]!;
    const stamp = frames.audio[0]!.stamp + BigInt(k) * chunkNs;
    return { ...f, stamp, receivedAt: stamp };
  };
  // Consecutive camera frames differ; a repeat of the same bytes would be flagged frozen (and skip decoding).
  const cpu = { tick: [] as number[], tickNoJpeg: [] as number[] };
  const times = {
    tick: [] as number[],
    tickNoJpeg: [] as number[],
    jpeg: [] as number[],
    camera: [] as number[],
    lidar: [] as number[],
    radar: [] as number[],
    audio: [] as number[],
  };
  let audioK = 0;
  const loadDuring: number[] = [];
  for (let i = 0; i < WARMUP + TICKS; i++) {
    const cam = frames.camera[i % frames.camera.length]!;
    const lid = frames.lidar[i % frames.lidar.length]!;
    const rad = frames.radar[i % frames.radar.length]!;
    const aud = audioAt(audioK++);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const img = await decodeCameraFrame(cam);
    const c1 = process.cpuUsage();
    const t1 = performance.now();
    enc.camera.encode(img);
    const t2 = performance.now();
    enc.lidar.encode(lid);
    const t3 = performance.now();
    enc.radar.encode(rad);
    const t4 = performance.now();
    enc.audio.encode(aud);
    const t5 = performance.now();
    const c5 = process.cpuUsage();
    if (i < WARMUP) continue;
    cpu.tick.push((c5.user + c5.system - c0.user - c0.system) / 1000);
    cpu.tickNoJpeg.push((c5.user + c5.system - c1.user - c1.system) / 1000);
    times.tick.push(t5 - t0);
    times.tickNoJpeg.push(t5 - t1);
    times.jpeg.push(t1 - t0);
    times.camera.push(t2 - t1);
    times.lidar.push(t3 - t2);
    times.radar.push(t4 - t3);
    times.audio.push(t5 - t4);
    if (i % 50 === 0) loadDuring.push(os.loadavg()[0]!);
  }
  const stats = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, stat(v)])) as Record<keyof typeof times, Stat>;
  console.log(`\n## one tick, sequential on one thread (${TICKS} ticks)`);
  console.log(
    `whole tick (JPEG decode + 4 encoders): ${fmt(stats.tick)}; ${stats.tick.p99 <= 50 ? "within" : "OVER"} the 50 ms p99 target`,
  );
  console.log(`tick without JPEG decode:              ${fmt(stats.tickNoJpeg)}`);
  for (const k of ["jpeg", "camera", "lidar", "radar", "audio"] as const) console.log(`  ${k.padEnd(7)}${fmt(stats[k])}`);
  const cpuStats = { tick: stat(cpu.tick), tickNoJpeg: stat(cpu.tickNoJpeg) };
  console.log(
    `process CPU time per tick (user + system, all threads; hardly changed by other processes): ${fmt(cpuStats.tick)}; without JPEG decode ${fmt(cpuStats.tickNoJpeg)}`,
  );

  // The pipeline's encoder stage itself (createBundleEncoder): JPEG decoding overlaps the other encoders.
  const stageEncode = createBundleEncoder(encoders, new Map());
  const stage: number[] = [];
  const stageCpu: number[] = [];
  for (let i = 0; i < WARMUP + TICKS; i++) {
    const tickFrames: SensorFrame[] = [
      frames.camera[i % frames.camera.length]!,
      frames.lidar[i % frames.lidar.length]!,
      frames.radar[i % frames.radar.length]!,
      audioAt(audioK++),
    ];
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const out = await stageEncode(bundleOf(tickFrames, i));
    const t1 = performance.now();
    const c = process.cpuUsage(c0);
    if (out.failures.size > 0) throw new Error(`encoder stage failed: ${[...out.failures.values()].join("; ")}`);
    if (i < WARMUP) continue;
    stage.push(t1 - t0);
    stageCpu.push((c.user + c.system) / 1000);
  }
  const stageStats = { wall: stat(stage), processCpu: stat(stageCpu) };
  console.log(
    `\n## the pipeline's encoder stage (createBundleEncoder: JPEG decode on sharp's threads overlaps the other encoders), ${TICKS} ticks`,
  );
  console.log(
    `whole tick: ${fmt(stageStats.wall)}; ${stageStats.wall.p99 <= 50 ? "within" : "OVER"} the 50 ms p99 target; process CPU ${fmt(stageStats.processCpu)}`,
  );

  // Batched throughput: BATCH frames of one sensor in one encodeBatch call.
  console.log(`\n## batched ×${BATCH} (frames/s, one thread)`);
  const decodedCams = await Promise.all(frames.camera.slice(0, BATCH * 2).map(decodeCameraFrame));
  const batched: Record<string, number> = {};
  for (const [k, list] of [
    ["camera", decodedCams],
    ["lidar", frames.lidar],
    ["radar", frames.radar],
    ["audio", null],
  ] as const) {
    const e = enc[k];
    const make = (r: number): SensorFrame[] =>
      list === null
        ? Array.from({ length: BATCH }, () => audioAt(audioK++))
        : Array.from({ length: BATCH }, (_, j) => list[(r * BATCH + j) % list.length]!);
    e.encodeBatch(make(0));
    const reps = Math.max(4, Math.round(TICKS / BATCH / 2));
    let busy = 0;
    for (let r = 1; r <= reps; r++) {
      const batch = make(r);
      const t = performance.now();
      e.encodeBatch(batch);
      busy += performance.now() - t;
    }
    batched[k] = (reps * BATCH * 1000) / busy;
    console.log(`  ${k.padEnd(7)}${batched[k]!.toFixed(1)} frames/s`);
  }
  const loadAfter = load();
  console.log(
    `\n# load average before ${loadBefore}, after ${loadAfter}; 1-min load sampled during the run: ${loadDuring.map((l) => l.toFixed(1)).join(" ")}`,
  );
  if (JSON_OUT) {
    fs.writeFileSync(
      JSON_OUT,
      JSON.stringify(
        {
          recording: RECORDING,
          ticks: TICKS,
          backend: sel.logLine,
          cpu: os.cpus()[0]?.model,
          node: process.version,
          tfjs: tf.version.tfjs,
          loadBefore,
          loadAfter,
          loadDuring,
          stats,
          processCpuMs: cpuStats,
          stage: stageStats,
          batched,
        },
        null,
        2,
      ),
    );
  }
  await encoders.dispose();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(1);
});
