import type { Command } from "commander";
import { loadConfig } from "../config/loadConfig";
import { parsePlaybackRate } from "../config/playbackRate";
import { parseFusionHeadChoice } from "../fusion/head/selectHead";
import { replayRecording, type ReplayResult } from "../replay";
import { parseBackendChoice } from "../runtime/selectBackend";
import type { Pacing } from "../sources/mcap/readRecording";
import { ROS2_OUTPUT_TOPICS } from "../sinks/ros2/writeSceneRos2";
import { BadInputError } from "../types/errors";
import type { CliContext, CommandRegistrar } from "./context";
import { SIGNAL_EXIT, watchInterrupts, type StopSignalName } from "./interrupt";
import { parseRecordCap, withRecordCapFlag, type RecordCapFlag } from "./recordFlags";
import { progressFor, withProgressFlags, type ProgressFlags } from "./progress";
import { printReplaySummary, replayOutcome } from "./replayReport";
import { inputFile, shownError, type InputFile } from "./stdinFile";
import { resolveModelChoices } from "../runtime/modelChoices";
import {
  withConfigFlag,
  withFusionHeadFlag,
  withInferenceFlags,
  withModelChoiceFlag,
  withRos2OutFlag,
  withSceneOutputFlags,
  type ConfigFlag,
  type FusionHeadFlag,
  type InferenceFlags,
  type ModelChoiceFlag,
  type Ros2OutFlag,
  type SceneOutputFlags,
} from "./sharedFlags";

type ReplayFlags = InferenceFlags &
  ModelChoiceFlag &
  RecordCapFlag &
  FusionHeadFlag &
  SceneOutputFlags &
  Ros2OutFlag &
  ConfigFlag &
  ProgressFlags & {
    rate?: string;
    max?: boolean;
    tickHz: string;
    json?: boolean;
  };

function parsePacing(flags: ReplayFlags): Pacing {
  if (flags.max && flags.rate !== undefined)
    throw new BadInputError({ where: "", what: "--rate and --max exclude each other", code: "usage" });
  if (flags.max) return { mode: "lossless" };
  return { mode: "realtime", rate: flags.rate === undefined ? 1 : parsePlaybackRate(flags.rate) };
}

/** Start-up news that `--quiet` leaves out; warnings, failures and anything unforeseen still print. */
const NEWS = /^(avfusion: backend |replay |fusion head: )/;

/** The checked flags, before anything is read. */
async function optionsFrom(flags: ReplayFlags) {
  const pacing = parsePacing(flags);
  const tickHz = Number(flags.tickHz);
  if (!Number.isFinite(tickHz) || tickHz <= 0 || tickHz > 1000)
    throw new BadInputError({ where: `--tick-hz ${flags.tickHz}`, what: "", expected: "a rate in (0, 1000] Hz", code: "usage" });
  const backend = parseBackendChoice(flags.backend);
  const fusionHead = flags.fusionHead === undefined ? undefined : parseFusionHeadChoice(flags.fusionHead);
  const maxRecordBytes = parseRecordCap(flags);
  const config = flags.config === undefined ? {} : await loadConfig(flags.config);
  // A bad --model (or config models) fails before anything is read.
  const modelChoices = resolveModelChoices(flags.model, config.models, flags.models);
  return { pacing, tickHz, backend, fusionHead, config, maxRecordBytes, modelChoices };
}

/** Stops on Ctrl-C / SIGTERM, and quietly when the reader of stdout went away. */
function stopSignals(ctx: CliContext) {
  const interrupts = watchInterrupts();
  const signal = ctx.stdoutClosed ? AbortSignal.any([interrupts.signal, ctx.stdoutClosed]) : interrupts.signal;
  return { interrupts, signal };
}

async function replayInput(
  input: InputFile,
  flags: ReplayFlags,
  ctx: CliContext,
): Promise<{ result: ReplayResult; signalled?: StopSignalName }> {
  const options = await optionsFrom(flags);
  const bar = progressFor(flags, { label: "replay", unit: "ticks", write: ctx.stderr });
  // Ctrl-C / SIGTERM stop the replay: the outputs are finished as valid files and the summary printed.
  const { interrupts, signal } = stopSignals(ctx);
  try {
    const result = await replayRecording({
      file: input.path,
      ...options,
      configName: flags.config,
      modelsDir: flags.models,
      outputs: { out: flags.out, ros2Out: flags.ros2Out, jsonl: flags.jsonl },
      stdout: ctx.stdout,
      log: (line) => {
        if (!(flags.quiet && NEWS.test(line))) ctx.stderr(`${input.shown(line)}\n`);
      },
      onTick: (tick, expected) => {
        if (tick.scene.tick === 0) bar.start(expected);
        bar.update(Math.min(tick.scene.tick + 1, expected));
      },
      signal,
    });
    const signalled = interrupts.received();
    return { result, ...(signalled !== undefined ? { signalled } : {}) };
  } catch (err) {
    throw shownError(err, input);
  } finally {
    interrupts.dispose();
    bar.stop();
  }
}

async function run(file: string, flags: ReplayFlags, ctx: CliContext): Promise<void> {
  const input = await inputFile(file);
  let ran;
  try {
    ran = await replayInput(input, flags, ctx);
  } finally {
    await input.dispose();
  }
  const { result, signalled } = ran;
  const outcome = replayOutcome(result, input.shown);
  printReplaySummary(result, { ...flags, file }, outcome, ctx);
  if (flags.ros2Out !== undefined && !flags.json)
    (flags.jsonl === "-" ? ctx.stderr : ctx.stdout)(`wrote ${flags.ros2Out} (ROS 2: ${ROS2_OUTPUT_TOPICS.join(", ")})\n`);
  if (outcome.exitCode !== 0) ctx.exitCode = outcome.exitCode;
  // Stopped because stdout's reader left (`| head`): not a signal, exit 0 (or 2 for damage).
  if (result.stopped && signalled !== undefined) {
    ctx.stderr(`avfusion: stopped by ${signalled}; the summary and the outputs cover what was replayed until then\n`);
    ctx.exitCode = SIGNAL_EXIT[signalled];
  }
}

export const registerReplay: CommandRegistrar = (program: Command, ctx: CliContext) => {
  const command = program
    .command("replay")
    .description("replay a recording through the whole pipeline (decode → sync → encoders → fusion → scene) and summarise it")
    .argument("<file>", "MCAP recording, or - to read one from stdin")
    .option("--rate <r>", "real time × r (default 1); ticks are dropped to the newest while the pipeline is busy")
    .option("--max", "lossless, as fast as the pipeline consumes (deterministic)")
    .option("--tick-hz <hz>", "fusion tick rate", "10")
    .option("--json", "print the summary as one JSON object (on stderr when --jsonl - takes stdout)");
  withRecordCapFlag(
    withProgressFlags(
      withFusionHeadFlag(withModelChoiceFlag(withInferenceFlags(withConfigFlag(withRos2OutFlag(withSceneOutputFlags(command)))))),
    ),
  ).action((file: string, flags: ReplayFlags) => run(file, flags, ctx));
};
