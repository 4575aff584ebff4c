/*
 * Trains the camera or LiDAR encoder and writes models/<kind>/ (until `avfusion train` calls
 * trainCamera / trainLidar itself):
 *   node --require ./bench/register.js bench/encodersVisionTrain.ts lidar [--steps N] [--minutes M] [--seeds N] [--seed-from A] [--out models]
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { selectBackend } from "../src/runtime/selectBackend";
import { loadScenarioFile } from "./encodersVisionScenarios";
import type { ModelFiles } from "../src/runtime/modelFiles";
import { trainLidar } from "../src/train/lidar/trainLidar";
import { calibrateAndEvaluateCamera, trainCamera } from "../src/train/camera/trainCamera";
import { saveModel } from "../src/runtime/modelFiles";
import type { CameraModelMetadata } from "../src/encoders/camera/types";
import { loadModel } from "../src/runtime/modelFiles";

function fsModelFiles(root: string): ModelFiles {
  return {
    read: async (p) => new Uint8Array(fs.readFileSync(path.join(root, p))),
    write: async (p, data) => {
      fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
      fs.writeFileSync(path.join(root, p), data);
    },
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const kind = args[0];
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const num = (name: string): number | undefined => (opt(name) !== undefined ? Number(opt(name)) : undefined);
  await selectBackend({ backend: (opt("backend") as "wasm" | "cpu" | undefined) ?? "wasm" });
  const root = path.resolve(__dirname, "..");
  const files = fsModelFiles(path.resolve(root, opt("out") ?? "."));
  const command = `node --require ./bench/register.js bench/encodersVisionTrain.ts ${args.join(" ")}`;
  const log = (l: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${l}`);
  const nSeeds = num("seeds");
  const seedFrom = num("seed-from") ?? 1;
  const seeds = nSeeds !== undefined ? Array.from({ length: nSeeds }, (_, i) => i + seedFrom) : undefined;
  const common = {
    files,
    command,
    log,
    ...(seeds ? { trainSeeds: seeds } : {}),
    ...(num("steps") !== undefined ? { steps: num("steps")! } : {}),
    ...(num("minutes") !== undefined ? { maxMinutes: num("minutes")! } : {}),
    ...(num("batch") !== undefined ? { batchSize: num("batch")! } : {}),
    ...(num("every") !== undefined ? { everyS: num("every")! } : {}),
    ...(num("lr") !== undefined ? { learningRate: num("lr")! } : {}),
    ...(num("heldout") !== undefined ? { heldOutSeeds: Array.from({ length: num("heldout")! }, (_, i) => 9001 + i) } : {}),
  };
  if (kind === "camera-eval") {
    // Re-calibrate the depth uncertainty and re-evaluate the shipped camera weights (unchanged).
    const { model, metadata } = await loadModel(files, "models/camera");
    const m = metadata as CameraModelMetadata;
    const heldOutScenarios = ["highway-clear", "urban-crossing"].map((n) =>
      loadScenarioFile(path.join(root, "recordings/scenarios", `${n}.yaml`)),
    );
    const out = await calibrateAndEvaluateCamera(model, m.quality, m.training, {
      heldOutScenarios,
      command: m.command,
      log,
      ...(common.heldOutSeeds ? { heldOutSeeds: common.heldOutSeeds } : {}),
    });
    out.metadata.modelVersion = m.modelVersion;
    out.metadata.date = m.date;
    out.metadata.heldOut = { ...(out.metadata.heldOut as object), evaluatedBy: command };
    await saveModel(model, out.metadata, files, "models/camera");
    return;
  }
  // --resume: continue from the weights already in models/<kind>.
  const resume = args.includes("--resume") ? await loadModel(files, `models/${kind}`) : undefined;
  const resumeOpts = resume
    ? {
        initModel: resume.model,
        previousTraining: {
          ...((resume.metadata as { training?: object }).training ?? {}),
          heldOut: (resume.metadata as { heldOut?: unknown }).heldOut,
        },
      }
    : {};
  if (kind === "lidar") {
    const heldOutScenarios = ["highway-clear", "urban-crossing"].map((n) =>
      loadScenarioFile(path.join(root, "recordings/scenarios", `${n}.yaml`)),
    );
    await trainLidar({ ...common, ...resumeOpts, heldOutScenarios });
  } else if (kind === "camera") {
    const heldOutScenarios = ["highway-clear", "urban-crossing"].map((n) =>
      loadScenarioFile(path.join(root, "recordings/scenarios", `${n}.yaml`)),
    );
    await trainCamera({ ...common, ...resumeOpts, heldOutScenarios });
  } else {
    console.error(
      "usage: encodersVisionTrain.ts lidar|camera|camera-eval [--steps N] [--minutes M] [--seeds N] [--seed-from A] [--heldout N] [--batch B] [--every S] [--lr LR] [--out DIR] [--resume]",
    );
    process.exit(2);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(1);
});
