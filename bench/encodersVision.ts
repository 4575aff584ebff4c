/*
 * Camera and LiDAR encoder latency: per-frame p50/p99 of encode() (preprocess + inference +
 * decoding) on each tfjs backend that loads here, and frames/s when frames are batched.
 *   node --require ./bench/register.js bench/encodersVision.ts [--iterations N] [--backends wasm,cpu]
 * Uses models/<kind> when present, else freshly initialised weights (same architecture, same cost).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { cameraEncoderFromModel, load as loadCamera, type CameraEncoder } from "../src/encoders/camera/encoder";
import { decodeCameraFrame } from "../src/encoders/camera/decodeImage";
import { CAMERA_CLASSES, createCameraModel } from "../src/encoders/camera/model";
import type { ModelFiles } from "../src/runtime/modelFiles";
import { createLidarModel, LIDAR_CLASSES } from "../src/encoders/lidar/model";
import { lidarEncoderFromModel, load as loadLidar, type LidarEncoder } from "../src/encoders/lidar/encoder";
import { BEV } from "../src/encoders/lidar/preprocess";
import { cameraFrameOf, cameraSamples } from "../src/train/camera/cameraData";
import { lidarSamples, simDrive } from "../src/train/lidar/lidarData";
import { selectBackend, type BackendName } from "../src/runtime/selectBackend";
import type { CameraFrame, PointCloudFrame } from "../src/types";
import sharp from "sharp";

const root = path.resolve(__dirname, "..");
const files: ModelFiles = {
  read: async (p) => new Uint8Array(fs.readFileSync(path.join(root, p))),
  write: async () => {
    throw new Error("read-only");
  },
};
const has = (kind: string): boolean => fs.existsSync(path.join(root, "models", kind, "model.json"));

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function cameraEncoder(): Promise<CameraEncoder> {
  if (has("camera")) return loadCamera({ files });
  return cameraEncoderFromModel(createCameraModel(1), {
    kind: "camera",
    modelVersion: "untrained",
    date: "",
    command: "",
    input: { layout: "NHWC", shape: [192, 320, 3], intrinsics: { fx: 190.7, fy: 190.7, cx: 160, cy: 96 } },
    classes: [...CAMERA_CLASSES],
    headStride: 8,
    quality: { clearContrast: 7, floorContrast: 1.5 },
    depth: { sigmaRel: 0.1, bottomSigmaPx: 1 },
  });
}

async function lidarEncoder(): Promise<LidarEncoder> {
  if (has("lidar")) return loadLidar({ files });
  return lidarEncoderFromModel(createLidarModel(1), {
    kind: "lidar",
    modelVersion: "untrained",
    date: "",
    command: "",
    input: { layout: "NHWC", shape: [BEV.rows, BEV.cols, BEV.channels], cellM: 0.5, xMinM: 0, yHalfM: 32, channels: [] },
    classes: [...LIDAR_CLASSES],
    headStride: 4,
    quality: { farFractionClear: 0.088, backscatterFullScale: 0.03 },
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (n: string): string | undefined => (args.indexOf(`--${n}`) >= 0 ? args[args.indexOf(`--${n}`) + 1] : undefined);
  const iterations = Number(opt("iterations") ?? 50);
  const backends = (opt("backends") ?? "wasm,cpu").split(",") as BackendName[];
  const drive = simDrive(50_020, 4);
  const cam: CameraFrame[] = (await cameraSamples(drive, { everyS: 0.5 })).map(cameraFrameOf);
  const lid: PointCloudFrame[] = [...lidarSamples(drive, { everyS: 0.5, keepFrames: true })].map((s) => s.frame!);
  const jpegs = await Promise.all(
    cam.map(
      async (f) =>
        new Uint8Array(
          await sharp(f.data, { raw: { width: 320, height: 192, channels: 3 } })
            .jpeg({ quality: 80 })
            .toBuffer(),
        ),
    ),
  );
  console.log(
    `machine: ${os.cpus()[0]?.model ?? "?"} ×${os.cpus().length}, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}, node ${process.version}, tfjs ${tf.version.tfjs}`,
  );
  console.log(
    `models: camera ${has("camera") ? "models/camera" : "untrained"}, lidar ${has("lidar") ? "models/lidar" : "untrained"}; inputs: 320×192 RGB, ${Math.round(lid.reduce((n, f) => n + f.count, 0) / lid.length)}-point sweeps (32 beams)`,
  );
  // JPEG decoding happens before encode (sharp, asynchronous, off the tfjs backend).
  const jt: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await decodeCameraFrame({ ...cam[0]!, format: "jpeg", width: 0, height: 0, step: 0, data: jpegs[i % jpegs.length]! });
    jt.push(performance.now() - t0);
  }
  console.log(`camera JPEG decode (sharp): p50 ${pct(jt, 50).toFixed(2)} ms, p99 ${pct(jt, 99).toFixed(2)} ms`);
  for (const b of backends) {
    try {
      await selectBackend({ backend: b, log: () => undefined });
    } catch (err) {
      console.log(`${b}: unavailable (${err instanceof Error ? err.message : String(err)})`);
      continue;
    }
    const n = b === "cpu" ? Math.max(5, Math.round(iterations / 5)) : iterations;
    for (const [name, make, frames] of [
      ["camera", cameraEncoder, cam],
      ["lidar", lidarEncoder, lid],
    ] as const) {
      const enc = (await make()) as {
        encode(f: unknown): { timingMs: Record<string, number> };
        encodeBatch(f: readonly unknown[]): unknown[];
        dispose(): void;
      };
      enc.encode(frames[0]);
      const t: number[] = [];
      const infer: number[] = [];
      const pre: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        const ev = enc.encode(frames[(i + 1) % frames.length]);
        t.push(performance.now() - t0);
        infer.push(ev.timingMs.infer ?? 0);
        pre.push(ev.timingMs.preprocess ?? 0);
      }
      const batchLine: string[] = [];
      for (const bs of [4, 8]) {
        const batch = Array.from({ length: bs }, (_, i) => frames[i % frames.length]);
        enc.encodeBatch(batch);
        const reps = Math.max(2, Math.round(n / bs));
        const t0 = performance.now();
        for (let r = 0; r < reps; r++) enc.encodeBatch(batch);
        batchLine.push(`batch ${bs}: ${((reps * bs * 1000) / (performance.now() - t0)).toFixed(1)} frames/s`);
      }
      console.log(
        `${b} ${name}: encode p50 ${pct(t, 50).toFixed(1)} ms, p99 ${pct(t, 99).toFixed(1)} ms (preprocess p50 ${pct(pre, 50).toFixed(1)} ms, inference p50 ${pct(infer, 50).toFixed(1)} ms) over ${n} frames; single ${(1000 / pct(t, 50)).toFixed(1)} frames/s; ${batchLine.join(", ")}`,
      );
      enc.dispose();
    }
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(1);
});
