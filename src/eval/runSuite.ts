/**
 * Runs the held-out suite: simulates each drive × condition into a cache directory (once; the file
 * name carries a hash of the scenario and of the simulator's code, so a change of either makes a
 * new file), runs the encoders once per recording (`captureEncodedTicks`), fuses the cached
 * evidence once per evaluated pipeline and scores it. This file does IO (the cache); the rest of
 * src/eval does not.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as v8 from "node:v8";
import { VENDOR_CLASSIFY } from "../decode/vendorDecoders";
import { modelsDirOf, type ModelFiles } from "../runtime/modelFiles";
import type { FusionHead } from "../fusion/fusionHead";
import { planPipeline, type PipelinePlan } from "../pipeline";
import { FileWritable } from "../sinks/mcap/FileWritable";
import { loadScenario } from "../sim/loadScenario";
import type { Scenario } from "../sim/scenario";
import { SIM_START_NS, simulateToMcap } from "../sim/simulate";
import { FileReadable } from "../sources/mcap/FileReadable";
import { inspectRecording } from "../sources/mcap/inspectRecording";
import type { SceneState, SensorKind } from "../types";
import { BadInputError } from "../types/errors";
import { captureEncodedTicks, fuseCached, type CachedTick, type CapturedRun } from "./cachedFusion";
import { LEAVE_ONE_OUT, resultEntry, type EvalPipeline, type EvalResultEntry } from "./evalReport";
import { scoreWithReplicates, seedOf } from "./bootstrap";
import { evaluateSiren, type SirenMetrics } from "./evaluateSiren";
import { applyCondition, CLEAR, driveName, expandSuite, parseSuite, recoveryRun, type SuiteDefinition, type SuiteRun } from "./suite";
import {
  buildSuiteReport,
  missingSensorMeasure,
  recoveryMeasure,
  sceneCadence,
  type RecoveryMeasure,
  type SuiteHealthRecord,
  type SuiteReport,
} from "./suiteReport";

/** recordings/suite/, found upwards from this file (src/ or dist/). */
export function suiteDir(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, "recordings", "suite");
    if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new BadInputError({ where: "", what: `no recordings/suite/ directory found above ${__dirname}` });
}

/** A suite by name (recordings/suite/NAME.yaml) or by path; returns it and its file. */
export function loadSuite(nameOrPath: string): { suite: SuiteDefinition; file: string } {
  const looksLikePath = /[\\/]/.test(nameOrPath) || /\.(ya?ml|json)$/.test(nameOrPath);
  let file = nameOrPath;
  if (!looksLikePath) {
    const dir = suiteDir();
    const found = [".yaml", ".yml", ".json"].map((e) => path.join(dir, nameOrPath + e)).find((f) => fs.existsSync(f));
    if (!found) {
      const known = fs.readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f));
      throw new BadInputError({
        where: `unknown suite "${nameOrPath}"`,
        what: "",
        expected: `one of ${known.map((f) => f.replace(/\.(ya?ml|json)$/, "")).join(", ")} or a .yaml/.json path`,
      });
    }
    file = found;
  }
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new BadInputError({
      where: `suite ${file}`,
      what: `cannot read (${(err as NodeJS.ErrnoException).code ?? "unreadable"})`,
      expected: "a .yaml or .json file",
    });
  }
  return { suite: parseSuite(text, file), file };
}

/** Scenario loader for a suite file: shipped names, or paths relative to the suite file. */
export function suiteScenarioLoader(suiteFile: string): (nameOrPath: string) => Scenario {
  return (nameOrPath) => {
    const looksLikePath = /[\\/]/.test(nameOrPath) || /\.(ya?ml|json)$/.test(nameOrPath);
    return loadScenario(looksLikePath ? path.resolve(path.dirname(suiteFile), nameOrPath) : nameOrPath);
  };
}

let simulatorHash: string | undefined;

/** Hash of the simulator's code (src/sim or dist/sim), so cached recordings follow code changes. */
export function simulatorVersion(): string {
  if (simulatorHash !== undefined) return simulatorHash;
  const dir = path.resolve(__dirname, "../sim");
  const h = createHash("sha256");
  for (const f of fs
    .readdirSync(dir)
    .filter((x) => /\.(ts|js)$/.test(x) && !/\.test\.(ts|js)$/.test(x))
    .sort()) {
    h.update(f);
    h.update(fs.readFileSync(path.join(dir, f)));
  }
  simulatorHash = h.digest("hex").slice(0, 12);
  return simulatorHash;
}

function hashTree(h: ReturnType<typeof createHash>, dir: string, filter: (name: string) => boolean): void {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) hashTree(h, p, filter);
    else if (filter(entry.name)) {
      h.update(p);
      h.update(fs.readFileSync(p));
    }
  }
}

/**
 * Hash of everything that decides the encoders' output: the code of decode, sync, encoders and
 * runtime, the pipeline, and the shipped encoder models (not models/fusion: heads run after the cache).
 */
export function encoderVersion(modelsDir: string, chosen: Partial<Record<SensorKind, string>> = {}): string {
  const h = createHash("sha256");
  const src = path.resolve(__dirname, "..");
  const code = (n: string): boolean => /\.(ts|js)$/.test(n) && !/\.test\.(ts|js)$/.test(n);
  // Everything that shapes a frame's evidence: the stages before fusion and the pipeline that feeds them.
  for (const d of ["decode", "sync", "encoders", "runtime", "types", "pipeline"]) hashTree(h, path.join(src, d), code);
  for (const kind of ["camera", "lidar", "radar", "audio", "camera-coco"]) hashTree(h, path.resolve(modelsDir, kind), () => true);
  for (const [kind, dir] of Object.entries(chosen)) {
    h.update(`chosen ${kind}`);
    hashTree(h, dir, () => true);
  }
  return h.digest("hex").slice(0, 12);
}

/**
 * The recording's encoder output, from the evidence cache beside it (`<recording>.<encoder version>.evidence`,
 * v8-serialized) or computed by `capture` and stored there. Re-running the suite with another fusion
 * head then costs the fusion only.
 */
export async function cachedCapture(
  recording: string,
  version: string,
  capture: () => Promise<CapturedRun>,
): Promise<{ captured: CapturedRun; fromCache: boolean }> {
  const file = recording.replace(/\.mcap$/, `.${version}.evidence`);
  if (fs.existsSync(file)) return { captured: v8.deserialize(fs.readFileSync(file)) as CapturedRun, fromCache: true };
  const captured = await capture();
  const tmp = `${file}.${process.pid}.part`;
  fs.writeFileSync(tmp, v8.serialize(captured));
  fs.renameSync(tmp, file);
  return { captured, fromCache: false };
}

/** Cache file of one run: `<drive>@<condition>-<hash of scenario + simulator code>.mcap`. */
export function cacheFile(cacheDir: string, run: SuiteRun): string {
  const key = createHash("sha256").update(JSON.stringify(run.scenario)).update(simulatorVersion()).digest("hex").slice(0, 12);
  return path.join(cacheDir, `${run.drive}@${run.condition.name}-${key}.mcap`);
}

/** The run's recording, simulated into the cache when missing (written to a temporary name, then renamed). */
export async function ensureRecording(cacheDir: string, run: SuiteRun, log: (line: string) => void = () => {}): Promise<string> {
  const file = cacheFile(cacheDir, run);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = `${file}.${process.pid}.part`;
  const t0 = performance.now();
  const out = await FileWritable.create(tmp);
  try {
    await simulateToMcap(run.scenario, out);
    await out.close();
  } catch (err) {
    await out.abort();
    throw err;
  }
  fs.renameSync(tmp, file);
  log(`simulated ${path.basename(file)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return file;
}

const SIM_SENSOR_KIND: Record<string, SensorKind> = { camera: "camera", lidar: "lidar", radar: "radar", audio: "audio" };

export type SuitePipelines = {
  /** Pipelines to score; default all that can run (fused, tracker when a head is given, naive, camera, lidar, radar). */
  pipelines?: readonly EvalPipeline[];
  /** The learned head; without it `fused` is the tracker alone. */
  learnedHead?: FusionHead | undefined;
  naiveHead: FusionHead;
};

export type RunSuiteOptions = SuitePipelines & {
  suiteFile: string;
  cacheDir: string;
  models: { files: ModelFiles; dir?: string; byKind?: Partial<Record<SensorKind, string>> };
  /** Keep each recording's encoder output beside it in the cache (default true). */
  evidenceCache?: boolean;
  log?: (line: string) => void;
};

/** Default deadline of the planned pipeline (ms), as `planPipeline` sets it. */
const planDeadlineMs = (plan: PipelinePlan): number => plan.sync.deadlineMs ?? 150;

/** Fuses one recording's cached ticks for each pipeline; returns the scenes per pipeline. */
export function fuseForPipelines(plan: PipelinePlan, ticks: readonly CachedTick[], p: SuitePipelines): Map<EvalPipeline, SceneState[]> {
  const out = new Map<EvalPipeline, SceneState[]>();
  const wanted = p.pipelines ?? defaultPipelines(p.learnedHead !== undefined);
  for (const pipeline of wanted) {
    if (pipeline === "fused") out.set(pipeline, fuseCached(plan, ticks, { fusionHead: p.learnedHead }));
    else if (pipeline === "tracker") out.set(pipeline, fuseCached(plan, ticks));
    else if (pipeline === "naive") out.set(pipeline, fuseCached(plan, ticks, { fusionHead: p.naiveHead }));
    else if (LEAVE_ONE_OUT[pipeline])
      out.set(pipeline, fuseCached(plan, ticks, { fusionHead: p.learnedHead, without: LEAVE_ONE_OUT[pipeline] }));
    else out.set(pipeline, fuseCached(plan, ticks, { only: pipeline as SensorKind }));
  }
  return out;
}

export function defaultPipelines(hasLearnedHead: boolean): EvalPipeline[] {
  const loo: EvalPipeline[] = ["no-camera", "no-lidar", "no-radar"];
  return hasLearnedHead
    ? ["fused", "tracker", "naive", "camera", "lidar", "radar", ...loo]
    : ["fused", "naive", "camera", "lidar", "radar", ...loo];
}

/** A suite run's encoded recording: the plan it was fused with and the captured ticks. */
type CapturedSuiteRun = { plan: PipelinePlan; captured: CapturedRun };

/**
 * The suite's recordings, simulated into the cache on first use, encoded once (or read from the
 * evidence cache); `deadlineMs` is the planned pipeline's deadline (of the last plan made).
 */
function suiteRecordings(suite: SuiteDefinition, options: RunSuiteOptions, log: (line: string) => void) {
  const plans = new Map<string, PipelinePlan>();
  const state = { deadlineMs: 150 };
  // The rig is the clear-air recording's: a sensor missing from a run is still one the pipeline expects.
  const planFor = async (drive: string, sample: SuiteRun): Promise<PipelinePlan> => {
    const known = plans.get(drive);
    if (known) return known;
    const clear: SuiteRun = { ...sample, condition: CLEAR, scenario: applyCondition(sample.base, CLEAR, suite.durationS) };
    const file = await ensureRecording(options.cacheDir, clear, log);
    const source = await FileReadable.open(file);
    try {
      const plan = planPipeline(await inspectRecording(source, { classify: VENDOR_CLASSIFY }), { tickHz: suite.tickHz });
      plans.set(drive, plan);
      return plan;
    } finally {
      await source.close();
    }
  };
  const version =
    options.evidenceCache === false
      ? undefined
      : encoderVersion(modelsDirOf(options.models.files, options.models.dir), options.models.byKind);
  const capture = async (run: SuiteRun): Promise<CapturedSuiteRun> => {
    const plan = await planFor(run.drive, run);
    state.deadlineMs = planDeadlineMs(plan);
    const file = await ensureRecording(options.cacheDir, run, log);
    const t0 = performance.now();
    const encode = async (): Promise<CapturedRun> => {
      const source = await FileReadable.open(file);
      try {
        return await captureEncodedTicks(source, plan, {
          models: { files: options.models.files, ...(options.models.dir !== undefined ? { dir: options.models.dir } : {}) },
        });
      } finally {
        await source.close();
      }
    };
    const { captured, fromCache } =
      version === undefined ? { captured: await encode(), fromCache: false } : await cachedCapture(file, version, encode);
    log(
      `${run.drive} @ ${run.condition.name}: ${captured.ticks.length} ticks ${fromCache ? "read from the evidence cache" : "encoded"} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    return { plan, captured };
  };
  return { capture, deadlineMs: (): number => state.deadlineMs };
}

/** What the runs add up to: results per pipeline, the fused runs' siren metrics, the health of each run. */
type SuiteScores = { entries: EvalResultEntry[]; sirens: SirenMetrics[]; health: SuiteHealthRecord[] };

/** One drive × condition: every pipeline scored against the ground truth; siren and health from the fused scenes. */
function scoreRun(run: SuiteRun, { plan, captured }: CapturedSuiteRun, tickHz: number, options: SuitePipelines, out: SuiteScores): void {
  if (captured.groundTruth.length === 0)
    throw new BadInputError({ where: `${run.drive} @ ${run.condition.name}`, what: "the recording has no ground truth" });
  const scenes = fuseForPipelines(plan, captured.ticks, options);
  // Every pipeline of this run is scored on the same frame draws (same seed, same frames): paired.
  const seed = seedOf(`${run.drive}@${run.condition.name}`);
  for (const [pipeline, s] of scenes) {
    const { metrics, replicates } = scoreWithReplicates(captured.groundTruth, s, seed);
    const entry = resultEntry({ recording: run.drive, condition: run.condition.name, pipeline }, metrics);
    entry.mAPReplicates = replicates;
    out.entries.push(entry);
  }
  const fused = scenes.get("fused") ?? scenes.get("tracker") ?? scenes.values().next().value ?? captured.scenes;
  if (scenes.has("fused")) out.sirens.push(evaluateSiren(captured.groundTruth, fused));
  const record: SuiteHealthRecord = {
    recording: run.drive,
    condition: run.condition.name,
    cadence: sceneCadence(fused, run.scenario.durationS, tickHz),
  };
  if (run.condition.missing) record.missing = missingSensorMeasure(fused, SIM_SENSOR_KIND[run.condition.missing]!, SIM_START_NS);
  out.health.push(record);
}

/** The whole suite → its report. */
export async function runSuite(suite: SuiteDefinition, options: RunSuiteOptions): Promise<SuiteReport> {
  const log = options.log ?? (() => {});
  const load = suiteScenarioLoader(options.suiteFile);
  const runs = expandSuite(suite, load);
  const recovery = recoveryRun(suite, load);
  const scores: SuiteScores = { entries: [], sirens: [], health: [] };
  const recoveries: RecoveryMeasure[] = [];
  const recordings = suiteRecordings(suite, options, log);
  for (const run of runs) scoreRun(run, await recordings.capture(run), suite.tickHz, options, scores);
  if (recovery && suite.recovery) {
    const { plan, captured } = await recordings.capture(recovery);
    const scenes = fuseCached(plan, captured.ticks);
    for (const o of suite.recovery.outages)
      recoveries.push(recoveryMeasure(scenes, SIM_SENSOR_KIND[o.sensor]!, SIM_START_NS, o.fromS, o.toS));
  }
  return buildSuiteReport({
    suite: {
      name: suite.name,
      durationS: suite.durationS,
      tickHz: suite.tickHz,
      deadlineMs: recordings.deadlineMs(),
      drives: suite.drives.map((d) => driveName(d)),
      conditions: [...new Set(runs.map((r) => r.condition.name))],
    },
    fusedHead: options.learnedHead ? "learned" : "tracker",
    ...scores,
    recovery: recoveries,
    cleanCondition: suite.cleanCondition,
  });
}
