import type { Command } from "commander";
import { promises as fsp } from "fs";
import * as os from "os";
import * as path from "path";
import { compareToBaseline, formatComparison, parseBaseline, type Baseline } from "../benchmark/baseline";
import { machineInfo } from "../benchmark/machine";
import { writeReport } from "../benchmark/markdown";
import { buildReport, formatText, type SeriesByScenario } from "../benchmark/report";
import { runScenario } from "../benchmark/runScenario";
import { BENCH_SCENARIO_SPECS, cachedRecording, parseScenarioList } from "../benchmark/scenarios";
import type { ScenarioResult } from "../benchmark/types";
import { parseFusionHeadChoice, selectFusionHead, type SelectedHead } from "../fusion/head/selectHead";
import { nodeModelFiles } from "../runtime/nodeModelFiles";
import { parseBackendChoice, selectBackend } from "../runtime/selectBackend";
import type { CliContext, CommandRegistrar } from "./context";
import { withFusionHeadFlag, withInferenceFlags } from "./sharedFlags";
import { BadInputError } from "../types/errors";

type BenchFlags = {
  scenario: string;
  duration: string;
  json?: boolean;
  report?: string;
  baseline?: string;
  saveBaseline?: string;
  backend: string;
  models: string;
  cache: string;
  warmup: string;
  fusionHead?: string;
};

/** --scenario, --duration, --warmup, checked before anything runs. */
function parseRunFlags(flags: BenchFlags) {
  let names;
  try {
    names = parseScenarioList(flags.scenario);
  } catch (err) {
    throw new BadInputError({ where: "", what: (err as Error).message, code: "usage" });
  }
  const durationS = Number(flags.duration);
  if (flags.duration.trim() === "" || !Number.isFinite(durationS) || durationS < 1 || durationS > 600) {
    throw new BadInputError({ where: `--duration ${flags.duration}`, what: "", expected: "seconds, 1 <= S <= 600", code: "usage" });
  }
  const warmup = Number(flags.warmup);
  if (flags.warmup.trim() === "" || !Number.isInteger(warmup) || warmup < 0 || warmup > 1000) {
    throw new BadInputError({ where: `--warmup ${flags.warmup}`, what: "", expected: "a whole number of ticks, 0..1000", code: "usage" });
  }
  return { names, durationS, warmup };
}

/** The saved baseline named by --baseline, if any. */
async function readBaseline(file: string | undefined): Promise<Baseline | undefined> {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = await fsp.readFile(file, "utf8");
  } catch (err) {
    throw new BadInputError({
      where: `--baseline ${file}`,
      what: `cannot read (${(err as NodeJS.ErrnoException).code ?? "error"})`,
      expected: "a JSON file from --save-baseline",
      code: "usage",
    });
  }
  return parseBaseline(text, file);
}

/** The scenarios, each on its cached recording, after an unmeasured warm-up. */
async function runScenarios(flags: BenchFlags, run: ReturnType<typeof parseRunFlags>, head: SelectedHead, log: (line: string) => void) {
  const scratch = await fsp.mkdtemp(path.join(os.tmpdir(), "avfusion-bench-"));
  const results: ScenarioResult[] = [];
  const series: SeriesByScenario = {};
  const options = {
    models: { files: nodeModelFiles(), dir: flags.models },
    scratchDir: scratch,
    ...(head.head ? { fusionHead: head.head } : {}),
  };
  try {
    if (run.warmup > 0) {
      // Unmeasured: JIT, wasm kernels and file caches warm up on the first scenario's drive.
      const spec = BENCH_SCENARIO_SPECS[run.names[0]!];
      const file = await cachedRecording(spec.build(run.durationS), flags.cache, log);
      await runScenario({ ...spec, mode: "lossless" }, file, { ...options, maxTicks: run.warmup });
    }
    for (const name of run.names) {
      const spec = BENCH_SCENARIO_SPECS[name];
      const file = await cachedRecording(spec.build(run.durationS), flags.cache, log);
      const { result, series: s } = await runScenario(spec, file, { ...options, onWarning: (line) => log(`avfusion: warning: ${line}`) });
      results.push(result);
      series[name] = s;
      log(
        `bench ${name}: ${result.ticks} ticks in ${result.wallS.toFixed(1)} s (${result.realtimeFactor.toFixed(2)}× real time; CPU ${result.cpuS.toFixed(1)} s = ${result.cpuRealtimeFactor.toFixed(2)}×), ` +
          `e2e p50 ${result.e2e.p50Ms.toFixed(1)} ms, p99 ${result.e2e.p99Ms.toFixed(1)} ms, load ${result.loadAvgStart[0]}`,
      );
    }
  } finally {
    await fsp.rm(scratch, { recursive: true, force: true });
  }
  return { results, series };
}

async function run(flags: BenchFlags, ctx: CliContext): Promise<void> {
  const parsed = parseRunFlags(flags);
  const backend = parseBackendChoice(flags.backend);
  const headChoice = flags.fusionHead === undefined ? undefined : parseFusionHeadChoice(flags.fusionHead);
  const baseline = await readBaseline(flags.baseline);
  const log = (line: string): void => ctx.stderr(`${line}\n`);
  const selection = await selectBackend({ backend, log });
  const machine = machineInfo();
  const head = await selectFusionHead(nodeModelFiles(), flags.models, headChoice);
  log(head.line);
  let measured;
  try {
    measured = await runScenarios(flags, parsed, head, log);
  } finally {
    head.dispose();
  }
  const { results, series } = measured;
  const report = buildReport(results, {
    backend: selection.backend,
    fusionHead: head.line.replace(/^fusion head: /, ""),
    machine,
    durationS: parsed.durationS,
  });
  const comparison = baseline === undefined ? undefined : compareToBaseline(report, baseline);
  if (flags.json) {
    const out = comparison === undefined ? report : { ...report, baselineComparison: { file: flags.baseline, rows: comparison } };
    ctx.stdout(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    ctx.stdout(`${formatText(report)}\n`);
    if (comparison !== undefined && baseline !== undefined)
      ctx.stdout(`\n${formatComparison(comparison, baseline, report, flags.baseline ?? "")}\n`);
  }
  if (flags.report !== undefined) {
    const files = await writeReport(flags.report, report, series);
    log(`wrote ${files.length} files to ${flags.report} (report.md, report.json, SVG plots)`);
  }
  if (flags.saveBaseline !== undefined) {
    await fsp.mkdir(path.dirname(flags.saveBaseline), { recursive: true });
    await fsp.writeFile(flags.saveBaseline, `${JSON.stringify(report, null, 2)}\n`);
    log(`saved baseline ${flags.saveBaseline}`);
  }
}

export const registerBench: CommandRegistrar = (program: Command, ctx: CliContext) => {
  const command = program
    .command("bench")
    .description(
      "latency benchmark: simulated scenarios through the whole pipeline; e2e and per-stage HDR percentiles, deadline misses, throughput, memory",
    )
    .option("--scenario <name>", "nominal|dense|fog|dropout|flood|live|all, or a comma-separated list", "nominal")
    .option("--duration <s>", "seconds of simulated drive per scenario", "10")
    .option("--json", "print the results as JSON")
    .option("--report <dir>", "write report.md, report.json and SVG plots to DIR")
    .option("--baseline <file>", "print every figure as a ratio to a saved baseline")
    .option("--save-baseline <file>", "save this run's JSON as a baseline (e.g. bench/baselines/<name>.json)")
    .option("--warmup <ticks>", "ticks of an unmeasured warm-up run before the scenarios (0 = none)", "10")
    .option("--cache <dir>", "where simulated recordings are kept between runs", path.join("tmp", "bench-cache"));
  withFusionHeadFlag(withInferenceFlags(command)).action((flags: BenchFlags) => run(flags, ctx));
};
