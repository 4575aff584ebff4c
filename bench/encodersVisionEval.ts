/*
 * Re-measures the shipped camera and LiDAR models' held-out figures through the encoders as they
 * run now (models/<kind> unchanged), on the same data as their metadata.json heldOut block:
 * seeds 9001–9016 forced to clear daylight plus highway-clear and urban-crossing, one frame a
 * second, score threshold 0.05. Prints each figure beside the one recorded in the metadata, and the
 * LiDAR quality by fog visibility on held-out seeds (and with a 0.6° LiDAR).
 *
 *   node --require ./bench/register.js bench/encodersVisionEval.ts [lidar] [camera] [--camera-stem s2d|trained|both]
 *   node --require ./bench/register.js bench/encodersVisionEval.ts lidar-calibration
 *
 * `lidar-calibration` recomputes the LiDAR quality constant farFractionClear as trainLidar does:
 * the median, over the clear-air training sweeps (seeds 1–100, 20 s, one a second), of the
 * fraction of returns beyond 30 m. Writes nothing.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { load as loadCamera } from "../src/encoders/camera/encoder";
import { load as loadLidar } from "../src/encoders/lidar/encoder";
import { cameraSamples, type CameraSample } from "../src/train/camera/cameraData";
import { evaluateCamera } from "../src/train/camera/trainCamera";
import { lidarSamples, simDrive, type LidarSample } from "../src/train/lidar/lidarData";
import { clearCopy, evaluateLidar, lidarQualityByVisibility } from "../src/train/lidar/trainLidar";
import { nodeModelFiles } from "../src/runtime/nodeModelFiles";
import { selectBackend } from "../src/runtime/selectBackend";
import { loadScenarioFile } from "./encodersVisionScenarios";
import type { Scenario } from "../src/sim/scenario";

const root = path.resolve(__dirname, "..");
const args = process.argv.slice(2);
const kinds = args.filter((a): a is "lidar" | "camera" => a === "lidar" || a === "camera");
const want = (k: "lidar" | "camera"): boolean => kinds.length === 0 || kinds.includes(k);
const stemArg = args.indexOf("--camera-stem") >= 0 ? args[args.indexOf("--camera-stem") + 1]! : "both";
const SEEDS = Array.from({ length: 16 }, (_, i) => 9001 + i);
const named = (): Scenario[] =>
  ["highway-clear", "urban-crossing"].map((n) => loadScenarioFile(path.join(root, "recordings/scenarios", `${n}.yaml`)));
const recorded = (
  kind: string,
): { carAp2m: number; carGt: number; frames: number; carAp4m?: number; perClassAp2m: Record<string, { ap: number }> } =>
  (JSON.parse(fs.readFileSync(path.join(root, "models", kind, "metadata.json"), "utf8")) as { heldOut: never }).heldOut;
const t = (): string =>
  `${(performance.now() / 1000).toFixed(0)} s, load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`;

function lidarCalibration(): void {
  const fractions: number[] = [];
  const counts: number[] = [];
  for (let s = 1; s <= 100; s++) {
    const sc = simDrive(s, 20);
    if (sc.weather.visibilityM !== undefined && Number.isFinite(sc.weather.visibilityM)) continue;
    for (const smp of lidarSamples(sc, { everyS: 1, offsetS: 0.05 + ((s * 0.37) % 1) })) {
      fractions.push(smp.stats.far / smp.stats.valid);
      counts.push(smp.stats.far);
    }
  }
  const q = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.floor(p * xs.length)]!;
  console.log(
    `lidar quality calibration: ${fractions.length} clear training sweeps; far-return fraction median ${q(fractions, 0.5).toFixed(4)} (p5 ${q(fractions, 0.05).toFixed(4)}, p95 ${q(fractions, 0.95).toFixed(4)}); far-return count median ${q(counts, 0.5)} [${t()}]`,
  );
}

async function main(): Promise<void> {
  if (args.includes("lidar-calibration")) return lidarCalibration();
  await selectBackend({ backend: "wasm" });
  const files = nodeModelFiles();
  if (want("lidar")) {
    const enc = await loadLidar({ files, scoreThreshold: 0.05 });
    const held: LidarSample[] = [];
    for (const s of SEEDS) for (const smp of lidarSamples(clearCopy(simDrive(s, 20)), { everyS: 1, keepFrames: true })) held.push(smp);
    for (const sc of named()) for (const smp of lidarSamples(sc, { everyS: 1, keepFrames: true })) held.push(smp);
    const ev = evaluateLidar(enc, held);
    const rec = recorded("lidar");
    console.log(
      `lidar: held-out car AP@2m ${ev.carAp2m.toFixed(4)} over ${ev.carGt} cars in ${ev.frames} sweeps (metadata: ${rec.carAp2m.toFixed(4)} over ${rec.carGt} cars in ${rec.frames}); ` +
        `per class ${Object.entries(ev.perClassAp2m)
          .map(([c, v]) => `${c} ${v.ap.toFixed(3)}`)
          .join(", ")} [${t()}]`,
    );
    const fogScenes = SEEDS.slice(0, 3).map((s) => simDrive(s, 6));
    const vis = [undefined, 1000, 500, 250, 120, 60, 30];
    const q = lidarQualityByVisibility(enc, fogScenes, vis);
    console.log(
      `lidar quality by visibility (0.2°, 32 beams, seeds 9001–9003): ${q.map((x) => `${x.visibilityM} ${x.quality.toFixed(3)}`).join(", ")}`,
    );
    console.log(`  as in metadata heldOut.qualityByVisibility: ${JSON.stringify(q)}`);
    const coarse = fogScenes.map((s) => ({ ...s, sensors: { ...s.sensors, lidar: { ...s.sensors.lidar, azimuthResolutionDeg: 0.6 } } }));
    const q6 = lidarQualityByVisibility(enc, coarse, vis);
    console.log(
      `lidar quality by visibility (0.6°, 32 beams, same scenes):   ${q6.map((x) => `${x.visibilityM} ${x.quality.toFixed(3)}`).join(", ")} [${t()}]`,
    );
    enc.dispose();
  }
  if (want("camera")) {
    const held: CameraSample[] = [];
    for (const s of SEEDS) held.push(...(await cameraSamples(clearCopy(simDrive(s, 20)), { everyS: 1 })));
    for (const sc of named()) held.push(...(await cameraSamples(sc, { everyS: 1 })));
    const rec = recorded("camera");
    for (const stem of stemArg === "both" ? ["trained", "s2d"] : [stemArg]) {
      const enc = await loadCamera({ files, scoreThreshold: 0.05, spaceToDepthStem: stem === "s2d" });
      const ev = evaluateCamera(enc, held, 40);
      console.log(
        `camera (${stem === "s2d" ? "space-to-depth stem" : "stem as trained"}): held-out car AP@2m within 40 m ${ev.carAp2m.toFixed(4)} (AP@4m ${ev.carAp4m.toFixed(4)}) over ${ev.carGt} cars in ${ev.frames} frames ` +
          `(metadata: ${rec.carAp2m.toFixed(4)}, AP@4m ${rec.carAp4m?.toFixed(4)}, ${rec.carGt} cars); truck ${ev.perClassAp2m.truck!.ap.toFixed(3)} [${t()}]`,
      );
      enc.dispose();
    }
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(1);
});
