import { promises as fsp } from "fs";
import * as path from "path";
import { formatMachine } from "./machine";
import { orderedStages, type SeriesByScenario } from "./report";
import { histogramSvg, stackedBarsSvg, timeSeriesSvg } from "./svg";
import type { BenchReport } from "./types";

const f2 = (v: number): string => v.toFixed(2);

/** The stages that make up a tick's latency, in pipeline order (no totals, no per-sensor encoders). */
const STACKED = ["decode", "syncWait", "encode", "fusion", "scene", "sink"];

/** The plots as { file name: SVG text }. */
export function reportPlots(report: BenchReport, series: SeriesByScenario): Record<string, string> {
  const plots: Record<string, string> = {};
  for (const [name, s] of Object.entries(series)) {
    plots[`e2e-histogram-${name}.svg`] = histogramSvg(s.e2eMs, {
      title: `${name}: end-to-end latency per frame (${report.backend})`,
      thresholdsMs: [50, 100],
    });
  }
  plots["stages.svg"] = stackedBarsSvg(
    Object.values(report.scenarios).map((r) => ({
      label: r.scenario,
      segments: STACKED.filter((n) => r.stages[n]).map((n) => ({ name: n, valueMs: r.stages[n]!.meanMs })),
    })),
    { title: "mean time per tick and stage (ms)", xLabel: "ms per tick (mean)" },
  );
  plots["latency-over-time.svg"] = timeSeriesSvg(
    Object.entries(series).map(([name, s]) => ({
      name,
      points: s.tickTimeS.flatMap((t, i) => (s.counted[i] ? [[t, s.tickE2eMs[i]!] as const] : [])),
    })),
    { title: "worst frame e2e latency per tick over the run", xLabel: "wall time since start (s)", yLabel: "ms", thresholdsMs: [50, 100] },
  );
  return plots;
}

/** The Markdown report (links the plots by file name). */
export function reportMarkdown(report: BenchReport, plots: readonly string[]): string {
  const rs = Object.values(report.scenarios);
  const lines = [
    "# avfusion latency benchmark",
    "",
    `- created: ${report.createdAt}`,
    `- backend: **${report.backend}**; fusion head: ${report.fusionHead}`,
    `- machine: ${formatMachine(report.machine)}`,
    `- ${report.durationS} s simulated drive per scenario, 10 Hz ticks, MCAP scene writer as the sink`,
    "",
    "## End-to-end latency (ms)",
    "",
    "| scenario | mode | ticks (warm-up) | dropped | × real time (wall) | × real time (CPU) | p50 | p95 | p99 | p99.9 | max | > 50 ms | > 100 ms | tick jitter p99−p50 | peak RSS MB | load 1 min |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...rs.map((r) => {
      const e = r.e2e;
      return `| ${r.scenario} | ${r.mode} | ${r.ticks} (${r.warmupTicks}) | ${r.droppedTicks} | ${f2(r.realtimeFactor)} | ${f2(r.cpuRealtimeFactor)} | ${f2(e.p50Ms)} | ${f2(e.p95Ms)} | ${f2(e.p99Ms)} | ${f2(e.p999Ms)} | ${f2(e.maxMs)} | ${e.missed50ms} / ${e.count} | ${e.missed100ms} / ${e.count} | ${f2(r.tickInterval.jitterMs)} | ${f2(r.peakRssMb)} | ${r.loadAvgStart[0]} |`;
    }),
    "",
    "| scenario | from capture end p50 / p99 | from capture end > 100 ms | from arrival p50 / p99 | after sync p50 / p99 | after sync > 100 ms | CPU s |",
    "|---|---|---|---|---|---|---|",
    ...rs.map(
      (r) =>
        `| ${r.scenario} | ${f2(r.e2eFromCaptureEnd.p50Ms)} / ${f2(r.e2eFromCaptureEnd.p99Ms)} | ${r.e2eFromCaptureEnd.missed100ms} / ${r.e2eFromCaptureEnd.count} | ${f2(r.e2eFromArrival.p50Ms)} / ${f2(r.e2eFromArrival.p99Ms)} | ${f2(r.afterSync.p50Ms)} / ${f2(r.afterSync.p99Ms)} | ${r.afterSync.missed100ms} / ${r.afterSync.count} | ${f2(r.cpuS)} |`,
    ),
    "",
    "Definitions:",
    "",
    ...[...new Set(rs.map((r) => `- ${r.mode}: ${r.e2eDefinition}`))],
    "- × real time (CPU) = recording time / CPU time of the process during the run: what one core to itself would give; the wall figure depends on the machine's other load.",
    "- from arrival: the same e2e measured from the frame's log time (arrival) instead of its sensor stamp; after sync: per tick, from the aligner's emission of the bundle to the scene written (what the pipeline adds after time alignment).",
    "- Warm-up ticks (a tick holding a sensor's first frame, when its encoder and model are made, and in real time the ticks with frames played before that tick was encoded) are left out of every statistic.",
    "",
    "## Per stage (ms per tick, p50 / p99)",
    "",
    `| stage | ${rs.map((r) => r.scenario).join(" | ")} |`,
    `|---|${rs.map(() => "---").join("|")}|`,
    ...[...new Set(rs.flatMap((r) => orderedStages(r.stages)))].map(
      (n) => `| ${n} | ${rs.map((r) => (r.stages[n] ? `${f2(r.stages[n].p50Ms)} / ${f2(r.stages[n].p99Ms)}` : "–")).join(" | ")} |`,
    ),
    "",
    "`overhead` = decode + fusion + scene + sink of the tick (everything but the encoders and waiting).",
    "",
    "## Plots",
    "",
    ...plots.map((p) => `![${p}](${p})`),
    "",
  ];
  return lines.join("\n");
}

/** Writes report.md, report.json and the SVG plots into `dir`; returns the files written. */
export async function writeReport(dir: string, report: BenchReport, series: SeriesByScenario): Promise<string[]> {
  await fsp.mkdir(dir, { recursive: true });
  const plots = reportPlots(report, series);
  const files: string[] = [];
  for (const [name, svg] of Object.entries(plots)) {
    await fsp.writeFile(path.join(dir, name), svg);
    files.push(path.join(dir, name));
  }
  await fsp.writeFile(path.join(dir, "report.md"), reportMarkdown(report, Object.keys(plots)));
  await fsp.writeFile(path.join(dir, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
  files.push(path.join(dir, "report.md"), path.join(dir, "report.json"));
  return files;
}
