import { concatMap, lastValueFrom, NEVER, Observable, takeUntil } from "rxjs";
import type { AvfusionConfig } from "../config/configSchema";
import type { ModelChoices } from "../runtime/modelChoices";
import { VENDOR_CLASSIFY } from "../decode/vendorDecoders";
import { selectFusionHead, type FusionHeadChoice } from "../fusion/head/selectHead";
import {
  createScenePipelineFromFeed,
  describePlan,
  planPipeline,
  type PipelinePlan,
  type ScenePipelineRun,
  type SceneTick,
} from "../pipeline";
import { checkModels } from "../runtime/modelFiles";
import { nodeModelFiles, resolveModelsDir } from "../runtime/nodeModelFiles";
import { selectBackend, type BackendChoice } from "../runtime/selectBackend";
import { loadQualityCurves } from "../scene/qualityCurves";
import { sceneContextOf } from "../sinks/sceneContext";
import { openSceneOutputs, type SceneOutputFlags, type SceneOutputs } from "../sinks/sceneOutputs";
import { FileReadable } from "../sources/mcap/FileReadable";
import { inspectRecording, type RecordingInspection } from "../sources/mcap/inspectRecording";
import type { Pacing } from "../sources/mcap/readRecording";
import { BadInputError } from "../types/errors";
import { withContentRoles } from "./contentRoles";
import type { RunVerdict } from "./judgeRun";
import { ReplaySummary } from "./ReplaySummary";
import { RunWatch } from "./RunWatch";

/** Everything `replay` needs, parsed and validated by its caller (the CLI parses flags once). */
export type ReplayOptions = {
  file: string;
  /** The record cap for every read of the file (bytes; default 256 MiB, src/sources/mcap/recordLimits.ts). */
  maxRecordBytes?: number | undefined;
  pacing: Pacing;
  tickHz: number;
  config: AvfusionConfig;
  /** Named in the error when the config does not fit the recording (the config file's path). */
  configName?: string | undefined;
  backend: BackendChoice;
  /** The models folder; default `resolveModelsDir()`: $AVFUSION_MODELS, else the package's own models/. */
  modelsDir?: string | undefined;
  /** Per sensor kind, a model folder instead of the shipped one (`--model`, src/runtime/modelChoices.ts). */
  modelChoices?: ModelChoices | undefined;
  fusionHead?: FusionHeadChoice | undefined;
  /** `--out FILE.mcap`, `--ros2-out FILE.mcap` and `--jsonl PATH|-`. */
  outputs: SceneOutputFlags;
  /** Where `--jsonl -` writes. */
  stdout: (text: string) => void;
  /** One line of news (backend, plan, head, warnings, per-sensor failures), without newline. */
  log: (line: string) => void;
  /** Each tick as it is written, with the number of ticks expected (progress bars). */
  onTick?: (tick: SceneTick, expectedTicks: number) => void;
  /**
   * Stops the replay early (Ctrl-C): reading stops, the ticks already read are written, the outputs
   * are finished as valid files and the result covers what was replayed (`stopped` is true).
   */
  signal?: AbortSignal | undefined;
};

export type ReplayResult = {
  plan: PipelinePlan;
  inspection: RecordingInspection;
  summary: ReplaySummary;
  wallMs: number;
  /** True when `signal` stopped the replay before the recording ended. */
  stopped: boolean;
  run: Pick<ScenePipelineRun, "readDiagnostics" | "decodeStats" | "droppedTicks">;
  /** Whether the run produced anything to evaluate (`failure`: exit 2 at the CLI), and doubts about it (already logged as warnings). */
  verdict: RunVerdict;
};

/** A config that does not fit the recording: name the config file, as the user wrote it. */
async function inConfig<T>(options: ReplayOptions, step: () => T | Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof BadInputError && err.code === "config") {
      throw new BadInputError({ where: options.configName ?? "config", what: err.message, code: "config" });
    }
    throw err;
  }
}

/**
 * The plan, or why there is none. A damaged file whose topics cannot be planned (one cut before
 * its first sensor channel) is reported as the damage it is, not as a missing sensor or as a
 * config naming sensors that the damage hid.
 */
async function planFor(inspection: RecordingInspection, options: ReplayOptions): Promise<PipelinePlan> {
  try {
    return await inConfig(options, () => planPipeline(inspection, { tickHz: options.tickHz, config: options.config }));
  } catch (err) {
    if (inspection.damage === undefined) throw err;
    const code = /\bends\b|truncated|footer/i.test(inspection.damage) ? "truncated" : "corrupt";
    throw new BadInputError({ where: "", what: inspection.damage, code });
  }
}

/** The pipeline for a plan with the shipped models, fusion head and visibility curves. */
async function pipelineFor(source: FileReadable, plan: PipelinePlan, options: ReplayOptions, watch: RunWatch) {
  const files = nodeModelFiles();
  const modelsDir = resolveModelsDir(options.modelsDir);
  // No model at all is bad input before a frame is read, not a replay of 0 objects that exits 0.
  for (const line of await checkModels(
    files,
    modelsDir,
    plan.sensors.map((s) => s.kind),
  ))
    options.log(`avfusion: warning: ${line}`);
  const fusionHead = await selectFusionHead(files, modelsDir, options.fusionHead);
  options.log(fusionHead.line);
  // Visibility is read from the camera and LiDAR quality through the curves their training measured.
  const fromQuality = await loadQualityCurves(files, modelsDir, (line) => options.log(`avfusion: ${line}`));
  const warned = new Set<string>();
  const pipeline = createScenePipelineFromFeed(watch.feed(source, options.pacing), plan, {
    ...(fusionHead.head !== undefined ? { fusionHead: fusionHead.head } : {}),
    scene: { visibility: { fromQuality } },
    decode: { mapping: options.config.topics ?? {} },
    models: { files, dir: modelsDir, ...(options.modelChoices ? { byKind: options.modelChoices } : {}) },
    onWarning: (line) => {
      if (!warned.has(line)) options.log(`avfusion: warning: ${line}`);
      warned.add(line);
    },
  });
  return { pipeline, disposeHead: () => fusionHead.dispose() };
}

/** Emits once when the signal aborts (at once when it already has). */
function aborted(signal: AbortSignal | undefined): Observable<void> {
  if (signal === undefined) return NEVER;
  return new Observable<void>((subscriber) => {
    const onAbort = (): void => subscriber.next();
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    return () => signal.removeEventListener("abort", onAbort);
  });
}

/** Runs the pipeline's ticks into the outputs and the summary; resolves when the recording ends or the signal stops it. */
async function drain(
  pipeline: ScenePipelineRun,
  plan: PipelinePlan,
  inspection: RecordingInspection,
  options: ReplayOptions,
  run: { summary: ReplaySummary; outputs: SceneOutputs; watch: RunWatch },
) {
  const { summary, outputs, watch } = run;
  const expectedTicks = Math.max(1, Math.ceil(inspection.durationSec * plan.sync.tick.rateHz));
  // Stopping unsubscribes from the ticks (the reader stops); the ticks already handed over are still written.
  await lastValueFrom(
    pipeline.ticks.pipe(
      takeUntil(aborted(options.signal)),
      concatMap(async (tick) => {
        summary.add(tick.scene);
        watch.tick(tick);
        // The recording's mountings and calibrations go to the outputs as data (the /tf tree, camera annotations).
        await outputs.write(tick.scene, sceneContextOf(pipeline.calibration, tick.synced.frames));
        options.onTick?.(tick, expectedTicks);
      }),
    ),
    { defaultValue: undefined },
  );
  // A sensor failing on every frame says why once, with the count, not once per frame.
  for (const line of watch.failureLines()) options.log(`avfusion: ${line}`);
}

/** Inspects, plans and runs the recording into the (already open) outputs. */
async function replayInto(source: FileReadable, outputs: SceneOutputs, options: ReplayOptions): Promise<ReplayResult> {
  // The topic mapping meets each topic's schema here: a role the schema contradicts is bad config.
  const mapping = options.config.topics;
  const inspected = await inConfig(options, () => inspectRecording(source, { classify: VENDOR_CLASSIFY, mapping }));
  const inspection = await withContentRoles(inspected, source, mapping);
  const plan = await planFor(inspection, options);
  const watch = new RunWatch();
  await selectBackend({ backend: options.backend, log: options.log });
  const pace = options.pacing.mode === "lossless" ? "lossless, as fast as possible" : `real time x${options.pacing.rate}`;
  options.log(`replay ${options.file}: ${describePlan(plan)}; ${pace}`);
  const { pipeline, disposeHead } = await pipelineFor(source, plan, options, watch);
  const summary = new ReplaySummary();
  const started = performance.now();
  try {
    await drain(pipeline, plan, inspection, options, { summary, outputs, watch });
  } finally {
    await pipeline.dispose();
    disposeHead();
  }
  const stopped = options.signal?.aborted ?? false;
  // A replay the user stopped produced what it had time for: that is not a failure of the recording.
  const judged = watch.verdict(options.file, plan, pipeline.decodeStats);
  const verdict = stopped ? { ...judged, failure: undefined } : judged;
  for (const line of verdict.warnings) options.log(`avfusion: warning: ${line}`);
  return { plan, inspection, summary, wallMs: performance.now() - started, stopped, run: pipeline, verdict };
}

/**
 * `avfusion replay` as a library call: a recording through the whole pipeline (decode → sync →
 * encoders → fusion → scene) into the requested outputs, with the summary of what came out. Bad
 * input (an unreadable file, a config that does not fit, an output that is an input or cannot be
 * created) is a BadInputError, raised before the recording is read; damage found while reading is
 * in `run.readDiagnostics.damage`, after everything before it was delivered. The outputs are
 * complete files once this resolves (also when `signal` stopped it); when it rejects (a failed
 * write among others) none is left behind.
 */
export async function replayRecording(options: ReplayOptions): Promise<ReplayResult> {
  const source = await FileReadable.open(options.file, { maxRecordBytes: options.maxRecordBytes });
  try {
    const inputs = [options.file, ...(options.configName !== undefined ? [options.configName] : [])];
    const outputs = await openSceneOutputs(options.outputs, options.stdout, "avfusion replay", inputs);
    let result: ReplayResult;
    try {
      result = await replayInto(source, outputs, options);
    } catch (err) {
      await outputs.abort();
      throw err;
    }
    await outputs.close();
    return result;
  } finally {
    await source.close();
  }
}
