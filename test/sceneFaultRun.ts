import * as path from "path";
import { lastValueFrom, toArray } from "rxjs";
import { VENDOR_CLASSIFY } from "../src/decode/vendorDecoders";
import { createScenePipeline, planPipeline, sceneConfigForPlan, type PipelinePlan, type SceneTick } from "../src/pipeline";
import { nodeModelFiles } from "../src/runtime/nodeModelFiles";
import { loadQualityCurves, parseSceneConfig, type SceneConfig } from "../src/scene";
import type { Scenario } from "../src/sim/scenario";
import { simulateToMcap } from "../src/sim/simulate";
import { BufferReadable } from "../src/sources/mcap/BufferReadable";
import { MemoryWritable } from "../src/sources/mcap/MemoryWritable";
import { inspectRecording } from "../src/sources/mcap/inspectRecording";
import type { RecordingReadable } from "../src/sources/mcap/types";

/**
 * Shared by test/sceneFaultSchedule.test.ts and bench/scene.ts --faults: simulate a scenario into
 * memory and replay it through the whole pipeline (real encoders from models/, losslessly), with
 * the visibility read off the shipped models' quality curves. The tfjs backend must be selected.
 */
export type RecordingRun = { plan: PipelinePlan; scene: SceneConfig; ticks: SceneTick[]; pipelineMs: number; warnings: string[] };
export type FaultRun = RecordingRun & { scenario: Scenario; bytes: Uint8Array; simMs: number };

export const REPO_ROOT = path.resolve(__dirname, "..");

/**
 * Any recording through the whole pipeline. The plan comes from the whole recording; `topics`
 * (default: all) limits what is read, so a sensor can be dropped for the whole run.
 */
export async function runRecordingThroughPipeline(
  source: RecordingReadable,
  options: { topics?: (all: string[]) => string[] } = {},
): Promise<RecordingRun> {
  const warnings: string[] = [];
  const inspection = await inspectRecording(source, { classify: VENDOR_CLASSIFY });
  const plan = planPipeline(inspection);
  const files = nodeModelFiles(REPO_ROOT);
  const fromQuality = await loadQualityCurves(files, "models", (line) => warnings.push(line));
  const sceneOptions = { visibility: { fromQuality } };
  const topics = options.topics?.(inspection.topics.map((t) => t.topic));
  const t = performance.now();
  const run = createScenePipeline(source, plan, {
    models: { files },
    scene: sceneOptions,
    onWarning: (line) => warnings.push(line),
    ...(topics ? { read: { topics } } : {}),
  });
  try {
    const ticks = await lastValueFrom(run.ticks.pipe(toArray()));
    return { plan, scene: parseSceneConfig(sceneConfigForPlan(plan, sceneOptions)), ticks, pipelineMs: performance.now() - t, warnings };
  } finally {
    await run.dispose();
  }
}

/** Simulates `scenario` into memory, then runs it through the whole pipeline. */
export async function runScenarioThroughPipeline(scenario: Scenario): Promise<FaultRun> {
  const t = performance.now();
  const out = new MemoryWritable();
  await simulateToMcap(scenario, out);
  const simMs = performance.now() - t;
  const bytes = out.bytes();
  const run = await runRecordingThroughPipeline(new BufferReadable(bytes, scenario.name));
  return { ...run, scenario, bytes, simMs };
}

/** The same drive in clear air: same seed, actors and faults, weather removed. */
export function inClearAir(scenario: Scenario): Scenario {
  return { ...scenario, name: `${scenario.name}-clear`, weather: { night: scenario.weather.night } };
}
