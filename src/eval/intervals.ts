/*
 * Intervals for the suite's means (the two-stage bootstrap of bootstrap.ts over the runs' frame
 * replicates), paired differences between pipelines, and their Markdown.
 */
import { BLOCK_FRAMES, seedOf, twoStageInterval } from "./bootstrap";
import { SINGLE_SENSOR_PIPELINES, type EvalPipeline, type EvalResultEntry } from "./evalReport";
import { markdownTable } from "./markdownTable";

/** What the interval section reads of an aggregate row (suiteReport's AggregateEntry). */
type AggregateRow = { condition: string; pipeline: EvalPipeline; mAP: number | null; mAPInterval: Interval | null };

export type Interval = { low: number; high: number };

/** The runs that have an mAP and frame replicates. */
const withReplicates = (es: readonly EvalResultEntry[]): EvalResultEntry[] =>
  es.filter((e) => typeof e.mAP === "number" && Number.isFinite(e.mAP) && Array.isArray(e.mAPReplicates));

/** The interval of the mean mAP over `entries` (one condition × pipeline); null unless every scored run has replicates. */
export function meanInterval(entries: readonly EvalResultEntry[], seedLabel: string): Interval | null {
  const scored = entries.filter((e) => typeof e.mAP === "number" && Number.isFinite(e.mAP));
  const usable = withReplicates(scored);
  if (!usable.length || usable.length !== scored.length) return null;
  return twoStageInterval(
    usable.map((e) => e.mAP!),
    usable.map((e) => e.mAPReplicates!),
    { seed: seedOf(seedLabel) },
  );
}

/**
 * Pipeline a − pipeline b in one condition, paired by drive and by frame draw (the replicates of
 * one run share their draws): the mean difference and its 95 % interval; null when unpaired.
 */
export function pairedDifference(
  entries: readonly EvalResultEntry[],
  condition: string,
  a: EvalPipeline,
  b: EvalPipeline,
): { mean: number; interval: Interval } | null {
  const of = (p: EvalPipeline): Map<string, EvalResultEntry> =>
    new Map(withReplicates(entries.filter((e) => e.condition === condition && e.pipeline === p)).map((e) => [e.recording, e]));
  const A = of(a);
  const B = of(b);
  const points: number[] = [];
  const reps: number[][] = [];
  for (const [rec, ea] of A) {
    const eb = B.get(rec);
    if (!eb) continue;
    const ra = ea.mAPReplicates!;
    const rb = eb.mAPReplicates!;
    points.push(ea.mAP! - eb.mAP!);
    reps.push(ra.length === rb.length ? ra.map((x, i) => x - rb[i]!) : []);
  }
  if (!points.length) return null;
  return { mean: points.reduce((x, y) => x + y, 0) / points.length, interval: twoStageInterval(points, reps, { seed: seedOf(condition) }) };
}

/** `; fused − lidar +0.009 [−0.021, +0.038] (95 %)`, or nothing without replicates. */
export function differenceText(label: string, d: ReturnType<typeof pairedDifference>): string {
  return d ? `; ${label} ${signed(d.mean)} ${intervalText(d.interval, true)} (95 %)` : "";
}

export const signed = (x: number): string => (x >= 0 ? "+" : "−") + Math.abs(x).toFixed(3);

export function intervalText(i: Interval | null, withSign = false): string {
  if (!i || !Number.isFinite(i.low) || !Number.isFinite(i.high)) return "";
  return withSign ? `[${signed(i.low)}, ${signed(i.high)}]` : `[${i.low.toFixed(3)}, ${i.high.toFixed(3)}]`;
}

/** The single-sensor row with the highest mAP (the first on a tie); undefined when none has one. */
export function bestSingleSensor<R extends AggregateRow>(row: (pipeline: EvalPipeline) => R | undefined): R | undefined {
  let best: R | undefined;
  for (const p of SINGLE_SENSOR_PIPELINES) {
    const a = row(p);
    if (a !== undefined && a.mAP !== null && (best === undefined || a.mAP > best.mAP!)) best = a;
  }
  return best;
}

/** The mAP intervals per condition × pipeline, and fused − best single sensor paired; nothing without replicates. */
export function intervalSection(
  r: { aggregate: readonly AggregateRow[]; results: readonly EvalResultEntry[] },
  pipelines: readonly EvalPipeline[],
  conditions: readonly string[],
): string[] {
  if (!r.aggregate.some((a) => a.mAPInterval !== null)) return [];
  const rows = conditions.map((c) => {
    const best = bestSingleSensor((p) => r.aggregate.find((x) => x.condition === c && x.pipeline === p));
    const d = c !== "all" && best ? pairedDifference(r.results, c, "fused", best.pipeline) : null;
    return [
      c,
      ...pipelines.map((p) => intervalText(r.aggregate.find((x) => x.condition === c && x.pipeline === p)?.mAPInterval ?? null) || "–"),
      best && d ? `${best.pipeline}: ${signed(d.mean)} ${intervalText(d.interval, true)}` : "–",
    ];
  });
  return [
    `\n\n### 95 % intervals of the mean mAP (bootstrap over drives, then ${BLOCK_FRAMES}-frame blocks within each drive)\n`,
    markdownTable(["condition", ...pipelines, "fused − best single sensor (paired)"], rows),
  ];
}
