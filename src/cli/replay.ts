import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import { loadConfig } from "../config/loadConfig";
import { parsePlaybackRate } from "../config/playbackRate";
import { parseFusionHeadChoice } from "../fusion/head/selectHead";
import { replayRecording, type ReplayResult } from "../replay";
import { parseBackendChoice } from "../runtime/selectBackend";
import { SCENE_TOPIC, SCENE_UPDATE_TOPIC } from "../sinks/sceneOutputs";
import type { Pacing } from "../sources/mcap/readRecording";
import { BadInputError } from "../types/errors";
import type { CliContext, CommandRegistrar } from "./context";
import { SIGNAL_EXIT, watchInterrupts } from "./interrupt";
import {
  withConfigFlag,
  withFusionHeadFlag,
  withInferenceFlags,
  withSceneOutputFlags,
  type ConfigFlag,
  type FusionHeadFlag,
  type InferenceFlags,
  type SceneOutputFlags,
} from "./sharedFlags";

type ReplayFlags = InferenceFlags &
  FusionHeadFlag &
  SceneOutputFlags &
  ConfigFlag & {
    rate?: string;
    max?: boolean;
    tickHz: string;
    progress: boolean;
  };

function parsePacing(flags: ReplayFlags): Pacing {
  if (flags.max && flags.rate !== undefined)
    throw new BadInputError({ where: "", what: "--rate and --max exclude each other", code: "usage" });
  if (flags.max) return { mode: "lossless" };
  return { mode: "realtime", rate: flags.rate === undefined ? 1 : parsePlaybackRate(flags.rate) };
}

async function run(file: string, flags: ReplayFlags, ctx: CliContext): Promise<void> {
  const pacing = parsePacing(flags);
  const tickHz = Number(flags.tickHz);
  if (!Number.isFinite(tickHz) || tickHz <= 0 || tickHz > 1000)
    throw new BadInputError({ where: `--tick-hz ${flags.tickHz}`, what: "", expected: "a rate in (0, 1000] Hz", code: "usage" });
  const backend = parseBackendChoice(flags.backend);
  const fusionHead = flags.fusionHead === undefined ? undefined : parseFusionHeadChoice(flags.fusionHead);
  const config = flags.config === undefined ? {} : await loadConfig(flags.config);
  const bar =
    flags.progress && process.stderr.isTTY
      ? new SingleBar({ format: "replay [{bar}] {value}/{total} ticks {eta}s", stream: process.stderr })
      : undefined;
  let result: ReplayResult;
  // Ctrl-C / SIGTERM stop the replay: the outputs are finished as valid files and the summary printed.
  const interrupts = watchInterrupts();
  try {
    result = await replayRecording({
      file,
      pacing,
      tickHz,
      config,
      configName: flags.config,
      backend,
      modelsDir: flags.models,
      fusionHead,
      outputs: { out: flags.out, jsonl: flags.jsonl },
      stdout: ctx.stdout,
      log: (line) => ctx.stderr(`${line}\n`),
      onTick: (tick, expected) => {
        if (tick.scene.tick === 0) bar?.start(expected, 0);
        bar?.update(Math.min(tick.scene.tick + 1, expected));
      },
      signal: interrupts.signal,
    });
  } finally {
    interrupts.dispose();
    bar?.stop();
  }
  printSummary(result, flags, ctx);
  const signalled = interrupts.received();
  if (result.stopped && signalled !== undefined) {
    ctx.stderr(`avfusion: stopped by ${signalled}; the summary and the outputs cover what was replayed until then\n`);
    ctx.exitCode = SIGNAL_EXIT[signalled];
  }
}

/** The end-of-run summary: on stdout, or on stderr when stdout carries `--jsonl -`. */
function printSummary({ plan, summary, wallMs, run, verdict }: ReplayResult, flags: ReplayFlags, ctx: CliContext): void {
  const out = flags.jsonl === "-" ? ctx.stderr : ctx.stdout;
  const d = run.decodeStats;
  out(`${summary.format(wallMs)}\n`);
  out(
    `read: ${run.readDiagnostics.messagesDelivered} messages (${run.readDiagnostics.access ?? "?"}); ` +
      `decode: ${d.decoded} ok, ${d.errors} errors, ${d.skipped} skipped; ticks dropped while busy: ${run.droppedTicks()}\n`,
  );
  for (const u of plan.unused) out(`unused topic ${u.topic}: ${u.reason}\n`);
  if (flags.out !== undefined) out(`wrote ${flags.out} (${SCENE_TOPIC}, ${SCENE_UPDATE_TOPIC})\n`);
  if (run.readDiagnostics.damage !== undefined) {
    ctx.stderr(`avfusion: ${run.readDiagnostics.damage}\n`);
    ctx.exitCode = 2;
  }
  // Nothing decoded, or not one tick: nothing to evaluate (docs/pipeline.md, "What ends non-zero").
  if (verdict.failure !== undefined) {
    ctx.stderr(`avfusion: ${verdict.failure}\n`);
    ctx.exitCode = 2;
  }
}

export const registerReplay: CommandRegistrar = (program: Command, ctx: CliContext) => {
  const command = program
    .command("replay")
    .description("replay a recording through the whole pipeline (decode → sync → encoders → fusion → scene) and summarise it")
    .argument("<file>", "MCAP recording")
    .option("--rate <r>", "real time × r (default 1); ticks are dropped to the newest while the pipeline is busy")
    .option("--max", "lossless, as fast as the pipeline consumes (deterministic)")
    .option("--tick-hz <hz>", "fusion tick rate", "10");
  withFusionHeadFlag(withInferenceFlags(withConfigFlag(withSceneOutputFlags(command))))
    .option("--no-progress", "no progress bar")
    .action((file: string, flags: ReplayFlags) => run(file, flags, ctx));
};
