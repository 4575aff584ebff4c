import { z } from "zod";
import { BadInputError } from "../types/errors";
import type { BenchReport } from "./types";

const stat = z.object({ p50Ms: z.number(), p99Ms: z.number() }).loose();
const scenario = z
  .object({
    e2e: z.object({ p50Ms: z.number(), p95Ms: z.number(), p99Ms: z.number(), maxMs: z.number(), missed100ms: z.number() }).loose(),
    stages: z.record(z.string(), stat),
    realtimeFactor: z.number(),
    peakRssMb: z.number(),
  })
  .loose();

/** The part of a saved report that a comparison reads; older or hand-trimmed baselines may lack the rest. */
const baselineSchema = z
  .object({
    tool: z.literal("avfusion bench"),
    backend: z.string(),
    machine: z.object({ cpuModel: z.string(), cores: z.number(), loadAvg: z.array(z.number()) }).loose(),
    scenarios: z.record(z.string(), scenario),
  })
  .loose();

export type Baseline = z.infer<typeof baselineSchema>;

const BASELINE_EXPECTED = "the output of avfusion bench --json or --save-baseline";

/** A baseline file's JSON, validated; otherwise a BadInputError of one line naming the file and the first bad field. */
export function parseBaseline(text: string, file: string): Baseline {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new BadInputError({
      where: `baseline ${file}`,
      what: `not JSON (${(err as Error).message.split("\n")[0]})`,
      expected: BASELINE_EXPECTED,
    });
  }
  const parsed = baselineSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join(".") : "(root)";
    throw new BadInputError({ where: `baseline ${file}`, what: `${where}: ${issue?.message ?? "invalid"}`, expected: BASELINE_EXPECTED });
  }
  return parsed.data;
}

export type RatioRow = {
  scenario: string;
  metric: string;
  current: number;
  baseline: number;
  /** current / baseline; 1 when both are 0; null when only the baseline is 0. */
  ratio: number | null;
  /** Which direction is an improvement. */
  better: "lower" | "higher";
};

/** current / baseline, with both-zero = 1 and baseline-zero = null (no meaningful ratio). */
export function ratio(current: number, baseline: number): number | null {
  if (baseline === 0) return current === 0 ? 1 : null;
  return Math.round((current / baseline) * 1000) / 1000;
}

const E2E_METRICS = ["p50Ms", "p95Ms", "p99Ms", "maxMs", "missed100ms"] as const;

/** Each figure of every scenario that both runs have, as a ratio current / baseline. */
export function compareToBaseline(current: Pick<BenchReport, "scenarios">, baseline: Baseline): RatioRow[] {
  const rows: RatioRow[] = [];
  for (const [name, cur] of Object.entries(current.scenarios)) {
    const base = baseline.scenarios[name];
    if (!base) continue;
    const add = (metric: string, c: number, b: number, better: RatioRow["better"] = "lower"): void => {
      rows.push({ scenario: name, metric, current: c, baseline: b, ratio: ratio(c, b), better });
    };
    for (const m of E2E_METRICS) add(`e2e.${m}`, cur.e2e[m], base.e2e[m]);
    for (const [stage, s] of Object.entries(cur.stages)) {
      const b = base.stages[stage];
      if (!b) continue;
      add(`stages.${stage}.p50Ms`, s.p50Ms, b.p50Ms);
      add(`stages.${stage}.p99Ms`, s.p99Ms, b.p99Ms);
    }
    add("realtimeFactor", cur.realtimeFactor, base.realtimeFactor, "higher");
    add("peakRssMb", cur.peakRssMb, base.peakRssMb);
  }
  return rows;
}

/** The comparison as a text table; a warning line first when machine or backend differ. */
export function formatComparison(
  rows: readonly RatioRow[],
  baseline: Baseline,
  current: Pick<BenchReport, "backend" | "machine">,
  file: string,
): string {
  const lines = [
    `compared with ${file} (${baseline.backend}, ${baseline.machine.cpuModel}, ${baseline.machine.cores} cores, load ${baseline.machine.loadAvg.join(" / ")}); ratio = now / baseline`,
  ];
  if (
    baseline.backend !== current.backend ||
    baseline.machine.cpuModel !== current.machine.cpuModel ||
    baseline.machine.cores !== current.machine.cores
  ) {
    lines.push(
      `warning: the baseline ran on another backend or machine (${baseline.backend} on ${baseline.machine.cpuModel} × ${baseline.machine.cores}); ratios compare unlike runs`,
    );
  }
  if (rows.length === 0) lines.push("no scenario in common with the baseline");
  let last = "";
  for (const r of rows) {
    if (r.scenario !== last) lines.push(`${r.scenario}:`);
    last = r.scenario;
    const mark = r.ratio === null || r.ratio === 1 ? "" : (r.better === "lower") === r.ratio < 1 ? "  better" : "  worse";
    lines.push(
      `  ${r.metric.padEnd(30)}${fmt(r.current).padStart(10)} vs ${fmt(r.baseline).padStart(10)}  ×${r.ratio === null ? "n/a" : r.ratio.toFixed(2)}${mark}`,
    );
  }
  return lines.join("\n");
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}
