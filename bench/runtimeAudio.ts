/*
 * Audio front end timings (src/encoders/audio/preprocess.ts): log-mel spectrogram and GCC-PHAT
 * bearing for one 2-channel 16 kHz pcm-s16 frame, at several frame lengths.
 *
 *   node --require ./bench/register.js bench/runtimeAudio.ts [--reps N]
 */
import * as os from "node:os";
import type { AudioFrame } from "../src/types";
import { crossSpectrum, type CrossSpectrum } from "../src/encoders/audio/gccPhat";
import { deinterleavePcm16, estimateBearing, logMelSpectrogram, preprocessAudio } from "../src/encoders/audio/preprocess";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function timeMs(reps: number, f: () => unknown): { p50: number; p99: number } {
  for (let i = 0; i < 5; i++) f();
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    f();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return { p50: ms[Math.floor(ms.length * 0.5)], p99: ms[Math.min(ms.length - 1, Math.floor(ms.length * 0.99))] };
}

function main(): void {
  const reps = arg("--reps", 200);
  console.log(
    `# bench/runtimeAudio — ${os.cpus()[0]?.model ?? "?"} (${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}), node ${process.version}; ${reps} reps`,
  );
  console.log(
    "| frame | log-mel p50 / p99 ms | bearing p50 / p99 ms | preprocessAudio p50 / p99 ms | preprocessAudio with 9 chunks of history |",
  );
  console.log("|---|---:|---:|---:|---:|");
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
  for (const ms of [100, 200, 1000]) {
    const n = (16000 * ms) / 1000;
    const pcm = new Int16Array(2 * n);
    for (let i = 0; i < n; i++) {
      const v = Math.round(rnd() * 20000);
      pcm[2 * i] = v;
      pcm[2 * i + 1] = i >= 3 ? pcm[2 * (i - 3)] : 0; // right lags left by 3 samples
    }
    const frame: AudioFrame = {
      kind: "audio",
      sensorId: "mic",
      topic: "/audio",
      frameId: "mic",
      stamp: 0n,
      receivedAt: 0n,
      sampleRate: 16000,
      channels: 2,
      samples: pcm,
    };
    const [l, r] = deinterleavePcm16(pcm, 2) as [Float32Array, Float32Array];
    const mel = timeMs(reps, () => logMelSpectrogram(l));
    const brg = timeMs(reps, () => estimateBearing(l, r, { micSpacingM: 0.2, sampleRate: 16000 }));
    const all = timeMs(reps, () => preprocessAudio(frame));
    const history: CrossSpectrum[] = Array.from({ length: 9 }, () => crossSpectrum(l, r));
    const withHistory = timeMs(reps, () => preprocessAudio(frame, undefined, history));
    const f = (t: { p50: number; p99: number }) => `${t.p50.toFixed(2)} / ${t.p99.toFixed(2)}`;
    console.log(`| ${ms} ms | ${f(mel)} | ${f(brg)} | ${f(all)} | ${f(withHistory)} |`);
  }
}

main();
