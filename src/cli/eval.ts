import type { Command } from "commander";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { basename, join } from "node:path";
import { VENDOR_CLASSIFY } from "../decode/vendorDecoders";
import { captureEncodedTicks } from "../eval/cachedFusion";
import {
  buildEvalReport,
  EVAL_PIPELINES,
  formatEvalMarkdown,
  resultEntry,
  type EvalPipeline,
  type EvalResultEntry,
} from "../eval/evalReport";
import { evaluateSiren, type SirenMetrics } from "../eval/evaluateSiren";
import { scoreWithReplicates, seedOf } from "../eval/bootstrap";
import { covarianceConsistency, formatConsistencyMarkdown } from "../eval/covarianceConsistency";
import { parseTrackerConfig } from "../fusion/trackerConfig";
import { defaultPipelines, fuseForPipelines, loadSuite, runSuite } from "../eval/runSuite";
import { lossBudget, type LossBudget } from "../eval/lossBudget";
import { perFrameMetrics } from "../eval/perFrame";
import { formatLossBudgetMarkdown } from "../eval/lossBudgetReport";
import { formatSuiteMarkdown } from "../eval/suiteReport";
import type { FusionHead } from "../fusion/fusionHead";
import { createNaiveFusionHead, loadFusionHead, type LearnedFusionHead } from "../fusion";
import { planPipeline } from "../pipeline";
import { nodeModelFiles } from "../runtime/nodeModelFiles";
import { parseBackendChoice, selectBackend } from "../runtime/selectBackend";
import { FileReadable } from "../sources/mcap/FileReadable";
import { inspectRecording } from "../sources/mcap/inspectRecording";
import { withContentRoles } from "../replay/contentRoles";
import { loadConfig } from "../config/loadConfig";
import type { CliContext, CommandRegistrar } from "./context";
import { parseRecordCap, withRecordCapFlag, type RecordCapFlag } from "./recordFlags";
import { withInferenceFlags, withModelChoiceFlag, type ModelChoiceFlag } from "./sharedFlags";
import { resolveModelChoices } from "../runtime/modelChoices";
import type { SensorKind } from "../types";
import { BadInputError } from "../types/errors";

type EvalFlags = RecordCapFlag &
  ModelChoiceFlag & {
    json?: boolean;
    report?: string;
    pipelines?: string;
    condition?: string;
    backend: string;
    models: string;
    suite?: string | boolean;
    cache: string;
    fusionHead: string;
    evidenceCache: boolean;
    explain?: boolean;
    perFrame?: boolean;
    config?: string;
  };

function parsePipelines(list: string | undefined, hasLearned: boolean): EvalPipeline[] {
  if (list === undefined) return defaultPipelines(hasLearned);
  const out = list.split(",").map((p) => p.trim());
  for (const p of out) {
    if (!(EVAL_PIPELINES as readonly string[]).includes(p))
      throw new BadInputError({ where: `--pipelines ${list}`, what: `"${p}" is not one of ${EVAL_PIPELINES.join(", ")}`, code: "usage" });
  }
  return out as EvalPipeline[];
}

/** The learned head when asked for (`learned`) or by default when models/fusion exists; undefined = the tracker alone. */
async function learnedHead(flags: EvalFlags, ctx: CliContext): Promise<LearnedFusionHead | undefined> {
  if (flags.fusionHead !== "auto" && flags.fusionHead !== "learned" && flags.fusionHead !== "none") {
    throw new BadInputError({ where: `--fusion-head ${flags.fusionHead}`, what: "", expected: "auto, learned or none", code: "usage" });
  }
  const shipped = existsSync(join(flags.models, "fusion", "model.json"));
  if (flags.fusionHead === "none" || (flags.fusionHead === "auto" && !shipped)) {
    ctx.stderr(
      `eval: fused = tracker alone (${flags.fusionHead === "none" ? "--fusion-head none" : `no learned head in ${flags.models}/fusion`})\n`,
    );
    return undefined;
  }
  const head = await loadFusionHead(nodeModelFiles(), flags.models);
  ctx.stderr(`eval: fused = tracker + learned head ${head.metadata.modelVersion} from ${flags.models}/fusion\n`);
  return head;
}

async function evalFiles(files: string[], flags: EvalFlags, ctx: CliContext, head: FusionHead | undefined): Promise<void> {
  const config = flags.config === undefined ? {} : await loadConfig(flags.config);
  const pipelines = parsePipelines(flags.pipelines ?? "fused", head !== undefined);
  const maxRecordBytes = parseRecordCap(flags);
  const entries: EvalResultEntry[] = [];
  const sirens: SirenMetrics[] = [];
  const budgets: LossBudget[] = [];
  const consistencyRuns: Parameters<typeof covarianceConsistency>[0][number][] = [];
  for (const file of files) {
    const condition = flags.condition ?? basename(file).replace(/\.mcap$/, "");
    const source = await FileReadable.open(file, { maxRecordBytes });
    try {
      // A point cloud's role as its first message's fields say (a radar cloud), as replay plans it.
      const inspection = await inspectRecording(source, { classify: VENDOR_CLASSIFY, mapping: config.topics });
      const plan = planPipeline(await withContentRoles(inspection, source, config.topics), { config });
      ctx.stderr(`eval ${file} (${condition}): encoders once, then ${pipelines.join(", ")}\n`);
      const captured = await captureEncodedTicks(source, plan, {
        models: modelsOf(flags),
        decode: {
          mapping: config.topics ?? {},
          ...(config.groundTruth?.classes ? { groundTruthClasses: config.groundTruth.classes } : {}),
        },
      });
      if (captured.groundTruth.length === 0)
        throw new BadInputError({ where: file, what: "no ground truth (avfusion.GroundTruth) to evaluate against", code: "usage" });
      if (flags.perFrame) {
        const heads = { learnedHead: head, naiveHead: createNaiveFusionHead() };
        for (const pipeline of pipelines)
          entries.push(
            resultEntry(
              { recording: file, condition, pipeline },
              perFrameMetrics(plan, captured.ticks, captured.groundTruth, { pipeline, ...heads }),
            ),
          );
      } else {
        const scenes = fuseForPipelines(plan, captured.ticks, { pipelines, learnedHead: head, naiveHead: createNaiveFusionHead() });
        const seed = seedOf(`${file}@${condition}`);
        for (const [pipeline, s] of scenes) {
          const { metrics, replicates } = scoreWithReplicates(captured.groundTruth, s, seed);
          const entry = resultEntry({ recording: file, condition, pipeline }, metrics);
          entry.mAPReplicates = replicates;
          entries.push(entry);
          if (pipeline === "fused") sirens.push(evaluateSiren(captured.groundTruth, s));
        }
      }
      if (flags.explain) {
        budgets.push(...lossBudget(plan, captured.ticks, captured.groundTruth, { recording: file, condition, head }));
        consistencyRuns.push({ evidence: captured.ticks.map((t) => t.encoded.evidence.evidence), groundTruth: captured.groundTruth });
      }
    } finally {
      await source.close();
    }
  }
  const evalReport = buildEvalReport(entries, sirens);
  // --explain adds the loss budget: a `lossBudget` array in the JSON, a section after the tables.
  const consistency = flags.explain ? covarianceConsistency(consistencyRuns) : [];
  const report = flags.explain ? { ...evalReport, lossBudget: budgets, covarianceConsistency: consistency } : evalReport;
  const markdown = flags.explain
    ? `${formatEvalMarkdown(evalReport)}\n\n${formatLossBudgetMarkdown(budgets)}\n\n${formatConsistencyMarkdown(consistency, appliedScales(config.tracker))}`
    : formatEvalMarkdown(evalReport);
  ctx.stdout(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `${markdown}\n`);
  writeReport(flags.report, report, markdown);
}

/** The covariance scales the tracker applies, per kind: the config file's, over the defaults. */
function appliedScales(tracker: unknown): Partial<Record<SensorKind, { position: number; velocity: number }>> {
  const { sensors } = parseTrackerConfig(tracker ?? {});
  const out: Partial<Record<SensorKind, { position: number; velocity: number }>> = {};
  for (const kind of ["camera", "lidar", "radar"] as const)
    out[kind] = { position: sensors[kind].positionCovarianceScale, velocity: sensors[kind].velocityCovarianceScale };
  return out;
}

/** The models of a run: the folder, and `--model` choices per kind. */
function modelsOf(flags: EvalFlags) {
  return { files: nodeModelFiles(), dir: flags.models, byKind: resolveModelChoices(flags.model, undefined, flags.models) };
}

function writeReport(dir: string | undefined, report: object, markdown: string): void {
  if (dir === undefined) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, "report.md"), `${markdown}\n`);
}

async function evalSuite(
  loaded: ReturnType<typeof loadSuite>,
  flags: EvalFlags,
  ctx: CliContext,
  head: FusionHead | undefined,
  backend: string,
): Promise<void> {
  const { suite, file } = loaded;
  const pipelines = parsePipelines(flags.pipelines, head !== undefined);
  const t0 = performance.now();
  const report = await runSuite(suite, {
    suiteFile: file,
    cacheDir: flags.cache,
    evidenceCache: flags.evidenceCache,
    models: modelsOf(flags),
    pipelines,
    learnedHead: head,
    naiveHead: createNaiveFusionHead(),
    log: (line) => ctx.stderr(`${line}\n`),
  });
  const wallS = (performance.now() - t0) / 1000;
  const load = loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
  const withRun = { ...report, run: { backend, wallS: Math.round(wallS * 10) / 10, loadAverage: loadavg() } };
  const markdown = `${formatSuiteMarkdown(report)}\n_suite ${suite.name}, backend ${backend}, ${wallS.toFixed(0)} s wall, load average ${load}_\n`;
  ctx.stdout(flags.json ? `${JSON.stringify(withRun, null, 2)}\n` : markdown);
  writeReport(flags.report, withRun, markdown);
}

async function run(files: string[], flags: EvalFlags, ctx: CliContext): Promise<void> {
  const suite = flags.suite === true ? "standard" : flags.suite === false ? undefined : flags.suite;
  if (suite !== undefined && files.length > 0)
    throw new BadInputError({ where: "eval", what: "give recordings or --suite, not both", code: "usage" });
  if (suite === undefined && files.length === 0)
    throw new BadInputError({ where: "eval", what: "", expected: "recordings (FILE...) or --suite [NAME]", code: "usage" });
  if (flags.suite !== undefined && flags.condition !== undefined)
    throw new BadInputError({ where: "--condition", what: "the suite names its own conditions", code: "usage" });
  const loaded = suite !== undefined ? loadSuite(suite) : undefined; // bad suite files fail before the backend starts
  if (flags.pipelines !== undefined) parsePipelines(flags.pipelines, true);
  for (const [flag, on] of [
    ["--per-frame", flags.perFrame],
    ["--explain", flags.explain],
    ["--config", flags.config !== undefined],
  ] as const)
    if (on && loaded !== undefined)
      throw new BadInputError({ where: flag, what: "works on recordings, not --suite", expected: `eval FILE... ${flag}`, code: "usage" });
  parseRecordCap(flags); // a bad --max-record-mib fails before the backend starts
  resolveModelChoices(flags.model, undefined, flags.models); // and so does a bad --model
  let backend = "";
  await selectBackend({
    backend: parseBackendChoice(flags.backend),
    log: (line) => {
      backend = line;
      ctx.stderr(`${line}\n`);
    },
  });
  const head = await learnedHead(flags, ctx);
  try {
    if (loaded !== undefined) await evalSuite(loaded, flags, ctx, head, backend.replace(/^avfusion: backend /, ""));
    else await evalFiles(files, flags, ctx, head);
  } finally {
    head?.dispose();
  }
}

export const registerEval: CommandRegistrar = (program: Command, ctx: CliContext) => {
  const command = program
    .command("eval")
    .description(
      "replay recordings with ground truth (or the held-out suite) and compute nuScenes-style detection, siren and robustness metrics",
    )
    .argument("[files...]", "MCAP recordings with an avfusion.GroundTruth topic (e.g. from `avfusion simulate`)")
    .option("--suite [name]", "run the held-out scenario suite recordings/suite/NAME.yaml (default standard) or a suite file")
    .option("--cache <dir>", "where the suite's simulated recordings are kept", "tmp/suite-cache")
    .option("--no-evidence-cache", "do not keep (or read) the encoders' output beside the suite's recordings")
    .option("--json", "print the JSON report")
    .option("--report <dir>", "also write report.json and report.md to DIR")
    .option("--pipelines <list>", `comma-separated, of ${EVAL_PIPELINES.join(",")} (default: fused for files, all for --suite)`)
    .option(
      "--fusion-head <which>",
      "what `fused` runs: auto (learned head when models/fusion exists), learned, none (tracker alone)",
      "auto",
    )
    .option("--condition <name>", "condition label for every file (default: the file name)")
    .option("--config <file>", "YAML/JSON config: topics (e.g. an annotation topic as role: groundTruth), groundTruth.classes (files only)")
    .option("--explain", "add the loss budget: AP per class at each stage, from raw detections to the scene (files only)")
    .option("--per-frame", "score each frame on its own evidence, with no tracking (recordings of single annotated frames; files only)");
  withRecordCapFlag(withModelChoiceFlag(withInferenceFlags(command))).action((files: string[], flags: EvalFlags) => run(files, flags, ctx));
};
