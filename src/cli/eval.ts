import type { Command } from "commander";
import { mkdir, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { lastValueFrom, toArray } from "rxjs";
import { VENDOR_CLASSIFY } from "../decode/vendorDecoders";
import { buildEvalReport, formatEvalMarkdown, resultEntry, type EvalPipeline } from "../eval/evalReport";
import { evaluateScenes } from "../eval/evaluateScenes";
import { evaluateSiren } from "../eval/evaluateSiren";
import { createScenePipeline, planPipeline } from "../pipeline";
import { nodeModelFiles } from "../runtime/nodeModelFiles";
import { parseBackendChoice, selectBackend } from "../runtime/selectBackend";
import { FileReadable } from "../sources/mcap/FileReadable";
import { inspectRecording } from "../sources/mcap/inspectRecording";
import type { GroundTruthFrame, SceneState, SensorKind } from "../types";
import type { CliContext, CommandRegistrar } from "./context";
import { UsageError } from "./errors";

type EvalFlags = { json?: boolean; report?: string; pipelines: string; condition?: string; backend: string; models: string };

/** Which encoders each evaluated pipeline runs. `naive` (score-averaging fusion) is not built yet. */
const PIPELINE_KINDS: Partial<Record<EvalPipeline, readonly SensorKind[]>> = {
  fused: ["camera", "lidar", "radar", "audio"],
  camera: ["camera"],
  lidar: ["lidar"],
  radar: ["radar"],
};

async function replayForEval(file: string, kinds: readonly SensorKind[], models: string): Promise<{ scenes: SceneState[]; groundTruth: GroundTruthFrame[] }> {
  const source = await FileReadable.open(file);
  try {
    const plan = planPipeline(await inspectRecording(source, { classify: VENDOR_CLASSIFY }));
    if (plan.sensors.length === 0) throw new UsageError(`${file}: no sensor topic avfusion can decode`);
    const groundTruth: GroundTruthFrame[] = [];
    const run = createScenePipeline(source, plan, {
      read: { pacing: { mode: "lossless" } },
      models: { files: nodeModelFiles(), dir: models, kinds },
      onGroundTruth: (gt) => groundTruth.push(gt),
    });
    try {
      const ticks = await lastValueFrom(run.ticks.pipe(toArray()));
      return { scenes: ticks.map((t) => t.scene), groundTruth };
    } finally {
      await run.dispose();
    }
  } finally {
    await source.close();
  }
}

async function run(files: string[], flags: EvalFlags, ctx: CliContext): Promise<void> {
  const pipelines = flags.pipelines.split(",").map((p) => p.trim()) as EvalPipeline[];
  for (const p of pipelines) {
    if (!(p in PIPELINE_KINDS)) {
      throw new UsageError(`--pipelines ${flags.pipelines}: "${p}" is not one of ${Object.keys(PIPELINE_KINDS).join(", ")} (naive fusion is not built yet)`);
    }
  }
  await selectBackend({ backend: parseBackendChoice(flags.backend), log: (line) => ctx.stderr(`${line}\n`) });
  const entries = [];
  const sirens = [];
  for (const file of files) {
    const condition = flags.condition ?? basename(file).replace(/\.mcap$/, "");
    for (const pipeline of pipelines) {
      ctx.stderr(`eval ${file} (${condition}) with the ${pipeline} pipeline\n`);
      const { scenes, groundTruth } = await replayForEval(file, PIPELINE_KINDS[pipeline]!, flags.models);
      if (groundTruth.length === 0) throw new UsageError(`${file}: no ground truth (avfusion.GroundTruth) to evaluate against`);
      entries.push(resultEntry({ recording: file, condition, pipeline }, evaluateScenes(groundTruth, scenes)));
      if (pipeline === "fused") sirens.push(evaluateSiren(groundTruth, scenes));
    }
  }
  const report = buildEvalReport(entries, sirens);
  const markdown = formatEvalMarkdown(report);
  ctx.stdout(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${markdown}\n`);
  if (flags.report !== undefined) {
    await mkdir(flags.report, { recursive: true });
    await writeFile(join(flags.report, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(join(flags.report, "report.md"), `${markdown}\n`);
  }
}

export const registerEval: CommandRegistrar = (program: Command, ctx: CliContext) => {
  program
    .command("eval")
    .description("replay recordings with ground truth and compute nuScenes-style detection metrics and siren metrics")
    .argument("<files...>", "MCAP recordings with an avfusion.GroundTruth topic (e.g. from `avfusion simulate`)")
    .option("--json", "print the JSON report")
    .option("--report <dir>", "also write report.json and report.md to DIR")
    .option("--pipelines <list>", "comma-separated: fused,camera,lidar,radar", "fused")
    .option("--condition <name>", "condition label for every file (default: the file name)")
    .option("--backend <name>", "tfjs backend: auto|tensorflow|wasm|cpu", "auto")
    .option("--models <dir>", "directory of the shipped models", "models")
    .action((files: string[], flags: EvalFlags) => run(files, flags, ctx));
};
