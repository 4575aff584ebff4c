import { concatMap, lastValueFrom } from "rxjs";
import type { AvfusionConfig } from "../config/configSchema";
import { VENDOR_CLASSIFY } from "../decode/vendorDecoders";
import { selectFusionHead, type FusionHeadChoice } from "../fusion/head/selectHead";
import { createScenePipeline, planPipeline, type PipelinePlan, type ScenePipelineRun, type SceneTick } from "../pipeline";
import { nodeModelFiles } from "../runtime/nodeModelFiles";
import { selectBackend, type BackendChoice } from "../runtime/selectBackend";
import { loadQualityCurves } from "../scene/qualityCurves";
import { openSceneOutputs } from "../sinks/sceneOutputs";
import { FileReadable } from "../sources/mcap/FileReadable";
import { inspectRecording, type RecordingInspection } from "../sources/mcap/inspectRecording";
import type { Pacing } from "../sources/mcap/readRecording";
import { BadInputError } from "../types/errors";
import { ReplaySummary } from "./ReplaySummary";

/** Everything `replay` needs, parsed and validated by its caller (the CLI parses flags once). */
export type ReplayOptions = {
  file: string;
  pacing: Pacing;
  tickHz: number;
  config: AvfusionConfig;
  /** Named in the error when the config does not fit the recording (the config file's path). */
  configName?: string | undefined;
  backend: BackendChoice;
  modelsDir: string;
  fusionHead?: FusionHeadChoice | undefined;
  /** `--out FILE.mcap` and `--jsonl PATH|-`. */
  outputs: { out?: string | undefined; jsonl?: string | undefined };
  /** Where `--jsonl -` writes. */
  stdout: (text: string) => void;
  /** One line of news (backend, plan, head, warnings, per-sensor failures), without newline. */
  log: (line: string) => void;
  /** Each tick as it is written, with the number of ticks expected (progress bars). */
  onTick?: (tick: SceneTick, expectedTicks: number) => void;
};

export type ReplayResult = {
  plan: PipelinePlan;
  inspection: RecordingInspection;
  summary: ReplaySummary;
  wallMs: number;
  run: Pick<ScenePipelineRun, "readDiagnostics" | "decodeStats" | "droppedTicks">;
};

function planFor(inspection: RecordingInspection, options: ReplayOptions): PipelinePlan {
  try {
    return planPipeline(inspection, { tickHz: options.tickHz, config: options.config });
  } catch (err) {
    // A config that does not fit the recording: name the config file, as the user wrote it.
    if (err instanceof BadInputError && err.code === "config") {
      throw new BadInputError({ where: options.configName ?? "config", what: err.message, code: "config" });
    }
    throw err;
  }
}

/** The pipeline for a plan with the shipped models, fusion head and visibility curves. */
async function pipelineFor(source: FileReadable, plan: PipelinePlan, options: ReplayOptions) {
  const fusionHead = await selectFusionHead(nodeModelFiles(), options.modelsDir, options.fusionHead);
  options.log(fusionHead.line);
  // Visibility is read from the camera and LiDAR quality through the curves their training measured.
  const fromQuality = await loadQualityCurves(nodeModelFiles(), options.modelsDir, (line) => options.log(`avfusion: ${line}`));
  const warned = new Set<string>();
  const pipeline = createScenePipeline(source, plan, {
    ...(fusionHead.head !== undefined ? { fusionHead: fusionHead.head } : {}),
    scene: { visibility: { fromQuality } },
    read: { pacing: options.pacing },
    decode: { mapping: options.config.topics ?? {} },
    models: { files: nodeModelFiles(), dir: options.modelsDir },
    onWarning: (line) => {
      if (!warned.has(line)) options.log(`avfusion: warning: ${line}`);
      warned.add(line);
    },
  });
  return { pipeline, disposeHead: () => fusionHead.dispose() };
}

/** Runs the pipeline's ticks into the outputs and the summary; resolves when the recording ends. */
async function drain(
  pipeline: ScenePipelineRun,
  plan: PipelinePlan,
  inspection: RecordingInspection,
  options: ReplayOptions,
  summary: ReplaySummary,
) {
  const outputs = await openSceneOutputs(options.outputs, options.stdout, "avfusion replay");
  const reported = new Map<string, string>();
  const expectedTicks = Math.max(1, Math.ceil(inspection.durationSec * plan.sync.tick.rateHz));
  try {
    await lastValueFrom(
      pipeline.ticks.pipe(
        concatMap(async (tick) => {
          summary.add(tick.scene);
          for (const [sensor, why] of tick.failures) {
            if (reported.get(sensor) !== why) options.log(`avfusion: ${sensor}: no evidence: ${why}`);
            reported.set(sensor, why);
          }
          await outputs.write(tick.scene);
          options.onTick?.(tick, expectedTicks);
        }),
      ),
      { defaultValue: undefined },
    );
  } finally {
    await outputs.close();
  }
}

/**
 * `avfusion replay` as a library call: a recording through the whole pipeline (decode → sync →
 * encoders → fusion → scene) into the requested outputs, with the summary of what came out. Bad
 * input (an unreadable file, a config that does not fit) is a BadInputError; damage found while
 * reading is in `run.readDiagnostics.damage`, after everything before it was delivered.
 */
export async function replayRecording(options: ReplayOptions): Promise<ReplayResult> {
  const source = await FileReadable.open(options.file);
  try {
    const inspection = await inspectRecording(source, { classify: VENDOR_CLASSIFY, mapping: options.config.topics });
    const plan = planFor(inspection, options);
    await selectBackend({ backend: options.backend, log: options.log });
    const pace = options.pacing.mode === "lossless" ? "lossless, as fast as possible" : `real time x${options.pacing.rate}`;
    options.log(`replay ${options.file}: ${plan.sensors.map((s) => `${s.sensorId} (${s.kind})`).join(", ")}; ${pace}`);
    const { pipeline, disposeHead } = await pipelineFor(source, plan, options);
    const summary = new ReplaySummary();
    const started = performance.now();
    try {
      await drain(pipeline, plan, inspection, options, summary);
    } finally {
      await pipeline.dispose();
      disposeHead();
    }
    return { plan, inspection, summary, wallMs: performance.now() - started, run: pipeline };
  } finally {
    await source.close();
  }
}
