import type { ScenarioSeries } from "./ScenarioMeter";
import { formatMachine } from "./machine";
import type { BenchReport, MachineInfo, ScenarioResult } from "./types";

export type ReportContext = { backend: string; fusionHead: string; machine: MachineInfo; durationS: number; createdAt?: string };

/** The whole run as one JSON document: the main scenario's figures at the top, every scenario below. */
export function buildReport(results: readonly ScenarioResult[], ctx: ReportContext): BenchReport {
  if (results.length === 0) throw new RangeError("buildReport: expected at least one scenario result");
  const main = results.find((r) => r.scenario === "nominal") ?? results[0]!;
  return {
    tool: "avfusion bench",
    version: 1,
    createdAt: ctx.createdAt ?? new Date().toISOString(),
    backend: ctx.backend,
    fusionHead: ctx.fusionHead,
    machine: ctx.machine,
    durationS: ctx.durationS,
    mainScenario: main.scenario,
    e2e: main.e2e,
    stages: main.stages,
    realtimeFactor: main.realtimeFactor,
    peakRssMb: Math.max(...results.map((r) => r.peakRssMb)),
    scenarios: Object.fromEntries(results.map((r) => [r.scenario, r])),
  };
}

const f2 = (v: number): string => v.toFixed(2);

/** Stage order in tables and plots: the data's way through the pipeline. */
export function orderedStages(stages: Record<string, unknown>): string[] {
  const rank = (s: string): number => {
    const order = ["decode", "syncWait", "queue", "encode", "fusion", "scene", "sink", "overhead"];
    const base = s.startsWith("encode.") ? "encode" : s;
    const i = order.indexOf(base);
    return (i < 0 ? order.length : i) * 2 + (s.startsWith("encode.") ? 1 : 0);
  };
  return Object.keys(stages).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** The human summary printed without --json. */
export function formatText(report: BenchReport): string {
  const lines = [
    `avfusion bench: backend ${report.backend}, fusion head ${report.fusionHead}, ${report.durationS} s per scenario`,
    `machine: ${formatMachine(report.machine)}`,
    "",
    "scenario  mode      ticks  warm  drop   RTx    e2e p50    p95    p99  p99.9    max  >50ms >100ms  jitter  RSS MB  load",
  ];
  for (const r of Object.values(report.scenarios)) {
    const e = r.e2e;
    lines.push(
      `${r.scenario.padEnd(10)}${r.mode.padEnd(9)}${String(r.ticks).padStart(6)}${String(r.warmupTicks).padStart(6)}${String(r.droppedTicks).padStart(6)}` +
        `${f2(r.realtimeFactor).padStart(6)}${f2(e.p50Ms).padStart(11)}${f2(e.p95Ms).padStart(7)}${f2(e.p99Ms).padStart(7)}${f2(e.p999Ms).padStart(7)}${f2(e.maxMs).padStart(7)}` +
        `${String(e.missed50ms).padStart(7)}${String(e.missed100ms).padStart(7)}${f2(r.tickInterval.jitterMs).padStart(8)}${f2(r.peakRssMb).padStart(8)}  ${r.loadAvgStart[0]}`,
    );
  }
  lines.push(
    "",
    "scenario   from capture end p50 / p99 (>100 ms)   from arrival p50 / p99   after sync p50 / p99 (>100 ms)   CPU s  rec. time / CPU time",
  );
  for (const r of Object.values(report.scenarios)) {
    const a = r.afterSync;
    lines.push(
      `  ${r.scenario.padEnd(10)}${f2(r.e2eFromCaptureEnd.p50Ms).padStart(9)} / ${f2(r.e2eFromCaptureEnd.p99Ms).padEnd(8)} (${r.e2eFromCaptureEnd.missed100ms}/${r.e2eFromCaptureEnd.count})`.padEnd(
        46,
      ) +
        `${f2(r.e2eFromArrival.p50Ms).padStart(9)} / ${f2(r.e2eFromArrival.p99Ms).padEnd(9)}` +
        `${f2(a.p50Ms).padStart(10)} / ${f2(a.p99Ms).padEnd(8)} (${a.missed100ms}/${a.count})`.padEnd(34) +
        `${f2(r.cpuS).padStart(7)}  ${f2(r.cpuRealtimeFactor)}×`,
    );
  }
  lines.push("", "per stage, ms per tick (p50 / p99):");
  const names = [...new Set(Object.values(report.scenarios).flatMap((r) => orderedStages(r.stages)))];
  const scenarios = Object.values(report.scenarios);
  lines.push(`  ${"stage".padEnd(20)}${scenarios.map((r) => r.scenario.padStart(18)).join("")}`);
  for (const n of names) {
    lines.push(
      `  ${n.padEnd(20)}${scenarios.map((r) => (r.stages[n] ? `${f2(r.stages[n].p50Ms)} / ${f2(r.stages[n].p99Ms)}` : "-").padStart(18)).join("")}`,
    );
  }
  lines.push("", "e2e: one sample per included frame, from its sensor stamp to its scene state written by the sink.");
  for (const mode of ["lossless", "realtime"] as const) {
    const r = scenarios.find((s) => s.mode === mode);
    if (r) lines.push(`  ${mode}: ${r.e2eDefinition}`);
  }
  return lines.join("\n");
}

/** Plot data of every scenario, keyed by scenario name. */
export type SeriesByScenario = Record<string, ScenarioSeries>;
