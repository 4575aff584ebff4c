import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import { concatMap, lastValueFrom } from "rxjs";
import { loadConfig } from "../config/loadConfig";
import { VENDOR_CLASSIFY } from "../decode/vendorDecoders";
import { createScenePipeline, planPipeline, type PipelinePlan } from "../pipeline";
import { parseFusionHeadChoice, selectFusionHead } from "../fusion/head/selectHead";
import { nodeModelFiles } from "../runtime/nodeModelFiles";
import { parseBackendChoice, selectBackend } from "../runtime/selectBackend";
import { openSceneOutputs } from "../sinks/sceneOutputs";
import { loadQualityCurves } from "../scene/qualityCurves";
import { FileReadable } from "../sources/mcap/FileReadable";
import { inspectRecording } from "../sources/mcap/inspectRecording";
import type { Pacing } from "../sources/mcap/readRecording";
import { planAlignByDeadline } from "../sync/alignByDeadlineSchema";
import type { CliContext, CommandRegistrar } from "./context";
import { UsageError } from "./errors";
import { ReplaySummary } from "./replaySummary";

type ReplayFlags = {
  rate?: string;
  max?: boolean;
  tickHz: string;
  jsonl?: string;
  out?: string;
  progress: boolean;
  config?: string;
  backend: string;
  models: string;
  fusionHead?: string;
};

/** Output topics of the scene MCAP. */
import { SCENE_TOPIC, SCENE_UPDATE_TOPIC } from "../sinks/sceneOutputs";

export { SCENE_TOPIC, SCENE_UPDATE_TOPIC };

function parsePacing(flags: ReplayFlags): Pacing {
  if (flags.max && flags.rate !== undefined) throw new UsageError("--rate and --max exclude each other");
  if (flags.max) return { mode: "lossless" };
  const rate = flags.rate === undefined ? 1 : Number(flags.rate);
  if (!Number.isFinite(rate) || rate <= 0) throw new UsageError(`--rate ${flags.rate}: expected a positive number`);
  return { mode: "realtime", rate };
}

async function run(file: string, flags: ReplayFlags, ctx: CliContext): Promise<void> {
  const pacing = parsePacing(flags);
  const tickHz = Number(flags.tickHz);
  if (!Number.isFinite(tickHz) || tickHz <= 0 || tickHz > 1000)
    throw new UsageError(`--tick-hz ${flags.tickHz}: expected a rate in (0, 1000] Hz`);
  const backend = parseBackendChoice(flags.backend);
  const headChoice = flags.fusionHead === undefined ? undefined : parseFusionHeadChoice(flags.fusionHead);
  const config = flags.config === undefined ? {} : await loadConfig(flags.config);
  const source = await FileReadable.open(file);
  try {
    const inspection = await inspectRecording(source, { classify: VENDOR_CLASSIFY, mapping: config.topics });
    let plan: PipelinePlan;
    try {
      plan = planPipeline(inspection, { tickHz, config });
      planAlignByDeadline(plan.sync); // the aligner's cross-field checks, before anything runs
    } catch (err) {
      throw new UsageError(`${flags.config ?? "config"}: ${(err as Error).message.split("\n")[0]}`);
    }
    if (plan.sensors.length === 0) throw new UsageError(`${file}: no camera, LiDAR, radar or audio topic that avfusion can decode`);
    await selectBackend({ backend, log: (line) => ctx.stderr(`${line}\n`) });
    ctx.stderr(
      `replay ${file}: ${plan.sensors.map((s) => `${s.sensorId} (${s.kind})`).join(", ")}; ` +
        `${pacing.mode === "lossless" ? "lossless, as fast as possible" : `real time x${pacing.rate}`}\n`,
    );
    const fusionHead = await selectFusionHead(nodeModelFiles(), flags.models, headChoice);
    ctx.stderr(`${fusionHead.line}\n`);
    const warned = new Set<string>();
    // Visibility is read from the camera and LiDAR quality through the curves their training measured.
    const fromQuality = await loadQualityCurves(nodeModelFiles(), flags.models, (line) => ctx.stderr(`avfusion: ${line}\n`));
    const pipeline = createScenePipeline(source, plan, {
      ...(fusionHead.head !== undefined ? { fusionHead: fusionHead.head } : {}),
      scene: { visibility: { fromQuality } },
      read: { pacing },
      decode: { mapping: config.topics ?? {} },
      models: { files: nodeModelFiles(), dir: flags.models },
      onWarning: (line) => {
        if (!warned.has(line)) ctx.stderr(`avfusion: warning: ${line}\n`);
        warned.add(line);
      },
    });
    const outputs = await openSceneOutputs(flags, ctx.stdout, "avfusion replay");
    const summary = new ReplaySummary();
    const reported = new Map<string, string>();
    const expectedTicks = Math.max(1, Math.ceil(inspection.durationSec * plan.sync.tick.rateHz));
    const bar =
      flags.progress && process.stderr.isTTY
        ? new SingleBar({ format: "replay [{bar}] {value}/{total} ticks {eta}s", stream: process.stderr })
        : undefined;
    bar?.start(expectedTicks, 0);
    const started = performance.now();
    try {
      await lastValueFrom(
        pipeline.ticks.pipe(
          concatMap(async (tick) => {
            summary.add(tick.scene);
            for (const [sensor, why] of tick.failures) {
              if (reported.get(sensor) !== why) ctx.stderr(`avfusion: ${sensor}: no evidence: ${why}\n`);
              reported.set(sensor, why);
            }
            await outputs.write(tick.scene);
            bar?.update(Math.min(tick.scene.tick + 1, expectedTicks));
          }),
        ),
        { defaultValue: undefined },
      );
    } finally {
      bar?.stop();
      await pipeline.dispose();
      fusionHead.dispose();
      await outputs.close();
    }
    const wallMs = performance.now() - started;
    const out = flags.jsonl === "-" ? ctx.stderr : ctx.stdout;
    const d = pipeline.decodeStats;
    out(`${summary.format(wallMs)}\n`);
    out(
      `read: ${pipeline.readDiagnostics.messagesDelivered} messages (${pipeline.readDiagnostics.access ?? "?"}); ` +
        `decode: ${d.decoded} ok, ${d.errors} errors, ${d.skipped} skipped; ticks dropped while busy: ${pipeline.droppedTicks()}\n`,
    );
    for (const u of plan.unused) out(`unused topic ${u.topic}: ${u.reason}\n`);
    if (flags.out !== undefined) out(`wrote ${flags.out} (${SCENE_TOPIC}, ${SCENE_UPDATE_TOPIC})\n`);
    if (pipeline.readDiagnostics.damage !== undefined) {
      ctx.stderr(`avfusion: ${pipeline.readDiagnostics.damage}\n`);
      ctx.exitCode = 2;
    }
  } finally {
    await source.close();
  }
}

export const registerReplay: CommandRegistrar = (program: Command, ctx: CliContext) => {
  program
    .command("replay")
    .description("replay a recording through the whole pipeline (decode → sync → encoders → fusion → scene) and summarise it")
    .argument("<file>", "MCAP recording")
    .option("--rate <r>", "real time × r (default 1); ticks are dropped to the newest while the pipeline is busy")
    .option("--max", "lossless, as fast as the pipeline consumes (deterministic)")
    .option("--out <file>", "write the scene states and foxglove.SceneUpdate boxes to an MCAP file")
    .option("--jsonl <path>", "write one scene state per line to PATH (- for stdout)")
    .option("--config <file>", "YAML/JSON config: topic mapping, tick rate, per-sensor alignment (see README)")
    .option("--tick-hz <hz>", "fusion tick rate", "10")
    .option("--backend <name>", "tfjs backend: auto|tensorflow|wasm|cpu", "auto")
    .option("--models <dir>", "directory of the shipped models", "models")
    .option("--fusion-head <head>", "late-fusion head: learned|naive|none (default: learned when <models>/fusion exists, else none)")
    .option("--no-progress", "no progress bar")
    .action((file: string, flags: ReplayFlags) => run(file, flags, ctx));
};
