/*
 * Radar and audio encoder latency per backend: encode() p50/p99 for one frame of the default size,
 * and frames/s through encodeBatch, with the shipped models in models/. Inputs come from the simulator (highway-clear radar
 * scans, siren-approach audio chunks).
 *
 *   node --require ./bench/register.js bench/encoders.ts [--iterations 300] [--backends wasm,cpu] [--models models]
 */
import * as os from "os";
import * as fs from "fs";
import * as tf from "@tensorflow/tfjs";
import { nodeModelFiles } from "../src/cli/train";
import { loadAudioEncoder, type AudioEncoder } from "../src/encoders/audio/encoder";
import { DEFAULT_AUDIO_WINDOW } from "../src/encoders/audio/features";
import { loadRadarEncoder, type RadarEncoder } from "../src/encoders/radar/encoder";
import { simulateAudioFrames, simulateRadarFrames } from "../src/train/simStreams";
import { selectBackend, type BackendName } from "../src/runtime/selectBackend";
import { loadScenario } from "../src/sim/loadScenario";
import { RADAR_MOUNT } from "../src/sim/rig";
import type { AudioFrame, RadarFrame } from "../src/types";

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const ITER = Number(arg("iterations", "300"));
const BACKENDS = arg("backends", "wasm,cpu").split(",") as BackendName[];
const BATCH = 8;
const MODELS = arg("models", "models");
const EXT = { translation: RADAR_MOUNT, rotation: { x: 0, y: 0, z: 0, w: 1 } };

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function encoders(): Promise<{ radar: RadarEncoder; audio: AudioEncoder; shipped: string }> {
  const files = nodeModelFiles();
  for (const kind of ["radar", "audio"]) {
    if (!fs.existsSync(`${MODELS}/${kind}/model.json`)) {
      console.error(`bench/encoders: ${MODELS}/${kind}/model.json not found; train it first (avfusion train --modality ${kind})`);
      process.exit(2);
    }
  }
  const radar = await loadRadarEncoder({ files, modelDir: `${MODELS}/radar`, extrinsics: EXT });
  const audio = await loadAudioEncoder({ files, modelDir: `${MODELS}/audio` });
  return { radar, audio, shipped: `${MODELS}: radar ${radar.modelVersion}, audio ${audio.modelVersion}` };
}

async function main(): Promise<void> {
  const radarFrames: RadarFrame[] = [...simulateRadarFrames({ ...loadScenario("highway-clear"), durationS: 5 })]
    .map((s) => s.frame)
    .slice(20);
  // Audio without hazards (highway-clear: road noise at 27 m/s, no siren or horn) and with
  // a siren heard in most chunks (the default scenario), where the GCC-PHAT bearing runs each time.
  const audioSets: Array<[string, AudioFrame[]]> = [
    ["no hazard", [...simulateAudioFrames({ ...loadScenario("highway-clear"), durationS: 5 })].map((s) => s.frame)],
    ["siren heard", [...simulateAudioFrames(loadScenario("default"))].map((s) => s.frame).slice(5)],
  ];
  const chunkNs = 100_000_000n;
  // Consecutive stamps forever, so that the audio history stays full as it would live.
  const audioAt = (base: AudioFrame[], k: number): AudioFrame => {
    const f = base[k % base.length]!;
    return { ...f, stamp: BigInt(k) * chunkNs, receivedAt: BigInt(k) * chunkNs };
  };
  const tracks = radarFrames.reduce((a, f) => a + f.objects.length, 0) / radarFrames.length;
  const dets = radarFrames.reduce((a, f) => a + f.detections.length, 0) / radarFrames.length;
  console.log(
    `# encoders bench: ${os.cpus()[0]?.model ?? "cpu"} (${os.cpus().length} cores, shared), node ${process.version}, tfjs ${tf.version.tfjs}`,
  );
  console.log(
    `# inputs: radar scans with ${dets.toFixed(0)} detections / ${tracks.toFixed(1)} tracks on average; audio chunks 100 ms × 2 ch @ 16 kHz (window: ${DEFAULT_AUDIO_WINDOW.classifierMs} ms log-mel, ${DEFAULT_AUDIO_WINDOW.bearingMs} ms GCC-PHAT)`,
  );
  const f = (xs: number[]): string => `p50 ${pct(xs, 50).toFixed(2)} ms, p99 ${pct(xs, 99).toFixed(2)} ms`;
  for (const backend of BACKENDS) {
    await selectBackend({ backend, log: () => undefined });
    const { radar, audio, shipped } = await encoders();
    console.log(`\n## backend ${tf.getBackend()} (${shipped}), ${ITER} frames each`);
    for (let i = 0; i < 20; i++) radar.encode(radarFrames[i % radarFrames.length]!);
    const r: number[] = [];
    for (let i = 0; i < ITER; i++) {
      const t0 = performance.now();
      radar.encode(radarFrames[i % radarFrames.length]!);
      r.push(performance.now() - t0);
    }
    const t0 = performance.now();
    let n = 0;
    for (let i = 0; n < ITER; i = (i + BATCH) % (radarFrames.length - BATCH), n += BATCH)
      radar.encodeBatch(radarFrames.slice(i, i + BATCH));
    const radarFps = (n / (performance.now() - t0)) * 1000;
    console.log(`radar encode:                 ${f(r)}; batched ×${BATCH}: ${radarFps.toFixed(0)} frames/s`);
    for (const [label, base] of audioSets) {
      audio.reset();
      let k = 0;
      for (let i = 0; i < 20; i++) audio.encode(audioAt(base, k++));
      const a: number[] = [];
      const parts: Record<string, number[]> = { preprocess: [], infer: [], bearing: [] };
      let heard = 0;
      for (let i = 0; i < ITER; i++) {
        const t1 = performance.now();
        const ev = audio.encode(audioAt(base, k++));
        a.push(performance.now() - t1);
        for (const p of Object.keys(parts)) parts[p]!.push(ev.timingMs[p]!);
        if (ev.hazards!.length > 0) heard++;
      }
      const t2 = performance.now();
      for (let i = 0; i < ITER; i += BATCH) audio.encodeBatch(Array.from({ length: BATCH }, () => audioAt(base, k++)));
      const audioFps = (Math.ceil(ITER / BATCH) * BATCH * 1000) / (performance.now() - t2);
      console.log(
        `audio encode (${label}, ${((100 * heard) / ITER).toFixed(0)} % of chunks with a hazard): ${f(a)}; ` +
          `${Object.entries(parts)
            .map(([p, xs]) => `${p} ${f(xs)}`)
            .join("; ")}; batched ×${BATCH}: ${audioFps.toFixed(0)} frames/s`,
      );
    }
    radar.dispose();
    audio.dispose();
  }
}

void main();
