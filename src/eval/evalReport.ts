/**
 * The `avfusion eval --json` shape, robustness ratios and Markdown tables. JSON has no NaN:
 * undefined values (no class evaluated, no alarm raised, ...) become null.
 */
import { twoStageInterval } from "./bootstrap";
import type { SceneDetectionMetrics } from "./evaluateScenes";
import { mergeSirenMetrics, type SirenMetrics } from "./evaluateSiren";
import { markdownTable } from "./markdownTable";

/**
 * `fused`: the full pipeline (tracker + learned head when one is shipped); `tracker`: the tracker
 * without a head; `naive`: the tracker with the score-averaging head; camera/lidar/radar: the
 * tracker fed that modality only; no-camera/no-lidar/no-radar: `fused` with that modality's
 * evidence left out (leave one sensor out: removing a sensor must never make fusion better).
 */
export type EvalPipeline = "fused" | "tracker" | "naive" | "camera" | "lidar" | "radar" | "no-camera" | "no-lidar" | "no-radar";
export const EVAL_PIPELINES: readonly EvalPipeline[] = [
  "fused",
  "tracker",
  "naive",
  "camera",
  "lidar",
  "radar",
  "no-camera",
  "no-lidar",
  "no-radar",
];
/** The single-sensor pipelines: the tracker fed one modality's evidence. */
export const SINGLE_SENSOR_PIPELINES: readonly EvalPipeline[] = ["camera", "lidar", "radar"];
/** The leave-one-sensor-out pipelines and the modality each leaves out. */
export const LEAVE_ONE_OUT: Readonly<Record<string, "camera" | "lidar" | "radar">> = {
  "no-camera": "camera",
  "no-lidar": "lidar",
  "no-radar": "radar",
};

/** One recording × pipeline. */
export type EvalResultEntry = {
  recording: string;
  /** The scenario's weather / faults, e.g. `clear`, `fog-50m`, `lidar-missing`. */
  condition: string;
  pipeline: EvalPipeline;
  mAP: number | null;
  nds: number | null;
  /** AP per class (mean over the 0.5 / 1 / 2 / 4 m thresholds). */
  apByClass: Record<string, number | null>;
  /** Mean translation error (m). */
  ate: number | null;
  /** Mean scale error (1 − aligned IoU). */
  ase: number | null;
  /** Mean orientation error (rad). */
  aoe: number | null;
  /** Mean velocity error (m/s). */
  ave: number | null;
  /** GT frames scored, and those that had no scene state within the stamp tolerance. */
  frames: number;
  framesWithoutScene: number;
  /**
   * mAP on frame-block resamples of this run (bootstrap.ts), for the suite's intervals; the same
   * draws for every pipeline of the run. Absent where not computed.
   */
  mAPReplicates?: number[];
};

export type SirenSummary = {
  precision: number | null;
  recall: number | null;
  medianBearingErrorDeg: number | null;
  falseAlarmRate: number | null;
  medianFrontBearingErrorDeg: number | null;
  ticks: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  trueNegatives: number;
};

export type RobustnessRow = {
  pipeline: EvalPipeline;
  condition: string;
  /** Mean of the score over this condition's recordings (nulls left out). */
  score: number | null;
  cleanScore: number | null;
  /** score / cleanScore; null when either is missing or the clean score is 0. */
  ratio: number | null;
};

export type EvalReport = {
  results: EvalResultEntry[];
  siren: SirenSummary;
  robustness: { metric: "nds" | "mAP"; cleanCondition: string; rows: RobustnessRow[] };
};

/** A finite number, or null. */
export function jsonNumber(x: number | null | undefined): number | null {
  return x === null || x === undefined || !Number.isFinite(x) ? null : x;
}

/** One results entry from a run's detection metrics. */
export function resultEntry(
  meta: { recording: string; condition: string; pipeline: EvalPipeline },
  m: SceneDetectionMetrics,
): EvalResultEntry {
  const apByClass: Record<string, number | null> = {};
  for (const c of m.classes) apByClass[c] = jsonNumber(m.apByClass[c]);
  return {
    recording: meta.recording,
    condition: meta.condition,
    pipeline: meta.pipeline,
    mAP: jsonNumber(m.mAP),
    nds: jsonNumber(m.nds),
    apByClass,
    ate: jsonNumber(m.ate),
    ase: jsonNumber(m.ase),
    aoe: jsonNumber(m.aoe),
    ave: jsonNumber(m.ave),
    frames: m.frames.matched + m.frames.withoutScene,
    framesWithoutScene: m.frames.withoutScene,
  };
}

export function sirenSummary(s: SirenMetrics): SirenSummary {
  return {
    precision: jsonNumber(s.precision),
    recall: jsonNumber(s.recall),
    medianBearingErrorDeg: jsonNumber(s.medianBearingErrorDeg),
    falseAlarmRate: jsonNumber(s.falseAlarmRate),
    medianFrontBearingErrorDeg: jsonNumber(s.medianFrontBearingErrorDeg),
    ticks: s.ticks,
    truePositives: s.truePositives,
    falsePositives: s.falsePositives,
    falseNegatives: s.falseNegatives,
    trueNegatives: s.trueNegatives,
  };
}

function meanOf(values: readonly (number | null)[]): number | null {
  const xs = values.filter((v): v is number => v !== null);
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}

/**
 * Per pipeline and condition: the mean score over that condition's recordings divided by the
 * same pipeline's mean score in `cleanCondition`. Rows in pipeline order, then condition
 * first-seen order (the clean condition itself has ratio 1). `paired` (the suite, where the same
 * drive runs in several conditions): the clean mean is taken over the recordings that also ran in
 * that condition, so a drive run in clear air only does not shift every ratio.
 */
export function robustnessRatios(
  entries: readonly EvalResultEntry[],
  cleanCondition = "clear",
  metric: "nds" | "mAP" = "nds",
  paired = false,
): RobustnessRow[] {
  const conditions: string[] = [];
  for (const e of entries) if (!conditions.includes(e.condition)) conditions.push(e.condition);
  const rows: RobustnessRow[] = [];
  for (const pipeline of EVAL_PIPELINES) {
    const mine = entries.filter((e) => e.pipeline === pipeline);
    if (!mine.length) continue;
    const cleanEntries = mine.filter((e) => e.condition === cleanCondition);
    for (const condition of conditions) {
      const these = mine.filter((e) => e.condition === condition);
      if (!these.length) continue;
      const score = meanOf(these.map((e) => e[metric]));
      const clean = meanOf(
        (paired ? cleanEntries.filter((c) => these.some((e) => e.recording === c.recording)) : cleanEntries).map((e) => e[metric]),
      );
      rows.push({
        pipeline,
        condition,
        score,
        cleanScore: clean,
        ratio: score !== null && clean !== null && clean !== 0 ? score / clean : null,
      });
    }
  }
  return rows;
}

/**
 * The full report. `siren` is one run's metrics or several (pooled); give the fused pipeline's
 * runs, the one that reports hazards.
 */
export function buildEvalReport(
  entries: readonly EvalResultEntry[],
  siren: SirenMetrics | readonly SirenMetrics[],
  options: { cleanCondition?: string; robustnessMetric?: "nds" | "mAP"; pairedRobustness?: boolean } = {},
): EvalReport {
  const cleanCondition = options.cleanCondition ?? "clear";
  const metric = options.robustnessMetric ?? "nds";
  const pooled = Array.isArray(siren) ? mergeSirenMetrics(siren as readonly SirenMetrics[]) : (siren as SirenMetrics);
  return {
    results: [...entries],
    siren: sirenSummary(pooled),
    robustness: { metric, cleanCondition, rows: robustnessRatios(entries, cleanCondition, metric, options.pairedRobustness ?? false) },
  };
}

const fmt = (x: number | null, digits = 3): string => (x === null ? "–" : x.toFixed(digits));

/**
 * Markdown for the README / reports: per-entry results, an ablation table (rows = recording ×
 * condition, columns = pipelines, cells = mAP / NDS), robustness ratios and siren metrics.
 */
export function formatEvalMarkdown(report: EvalReport): string {
  const out: string[] = [];
  out.push("### Detection (nuScenes-style, centre distance 0.5/1/2/4 m)\n");
  out.push(detectionTable(report.results));
  out.push("\n\n### Ablation (mAP [95 % interval over 1-s frame blocks] / NDS)\n");
  out.push(ablationTable(report.results));
  const { rows, metric, cleanCondition } = report.robustness;
  if (rows.length) {
    out.push(
      `\n\n### Robustness (${metric === "nds" ? "NDS" : "mAP"} in condition / ${metric === "nds" ? "NDS" : "mAP"} in ${cleanCondition})\n`,
    );
    out.push(robustnessTable(rows));
  }
  out.push("\n\n### Siren\n");
  out.push(sirenTable(report.siren));
  return out.join("\n") + "\n";
}

/** One row per recording × condition × pipeline: mAP, NDS, AP per class (every class any entry has), TP errors, frames. */
function detectionTable(results: readonly EvalResultEntry[]): string {
  const classes: string[] = [];
  for (const e of results) for (const c of Object.keys(e.apByClass)) if (!classes.includes(c)) classes.push(c);
  return markdownTable(
    ["recording", "condition", "pipeline", "mAP", "NDS", ...classes.map((c) => `AP ${c}`), "ATE m", "ASE", "AOE rad", "AVE m/s", "frames"],
    results.map((e) => [
      e.recording,
      e.condition,
      e.pipeline,
      fmt(e.mAP),
      fmt(e.nds),
      ...classes.map((c) => (c in e.apByClass ? fmt(e.apByClass[c] ?? null) : "n/a")),
      fmt(e.ate),
      fmt(e.ase),
      fmt(e.aoe),
      fmt(e.ave),
      e.framesWithoutScene ? `${e.frames} (${e.framesWithoutScene} without scene)` : String(e.frames),
    ]),
  );
}

/** Rows = recording × condition (first-seen order), columns = pipelines, cells = mAP / NDS. */
function ablationTable(results: readonly EvalResultEntry[]): string {
  const pipelines = EVAL_PIPELINES.filter((p) => results.some((e) => e.pipeline === p));
  const keys: string[] = [];
  for (const e of results) {
    const k = `${e.recording}\u0000${e.condition}`;
    if (!keys.includes(k)) keys.push(k);
  }
  return markdownTable(
    ["recording", "condition", ...pipelines],
    keys.map((k) => {
      const [recording, condition] = k.split("\u0000") as [string, string];
      return [
        recording,
        condition,
        ...pipelines.map((p) => {
          const e = results.find((r) => r.recording === recording && r.condition === condition && r.pipeline === p);
          return e ? `${fmt(e.mAP)}${frameInterval(e)} / ${fmt(e.nds)}` : "–";
        }),
      ];
    }),
  );
}

/** ` [0.35, 0.45]`: the run's 95 % interval over its frame-block draws; nothing without them. */
function frameInterval(e: EvalResultEntry): string {
  if (e.mAP === null || !e.mAPReplicates?.length) return "";
  const i = twoStageInterval([e.mAP], [e.mAPReplicates]);
  return ` [${i.low.toFixed(3)}, ${i.high.toFixed(3)}]`;
}

function robustnessTable(rows: readonly RobustnessRow[]): string {
  const conds: string[] = [];
  for (const r of rows) if (!conds.includes(r.condition)) conds.push(r.condition);
  return markdownTable(
    ["pipeline", ...conds],
    EVAL_PIPELINES.filter((p) => rows.some((r) => r.pipeline === p)).map((p) => [
      p,
      ...conds.map((c) => {
        const r = rows.find((x) => x.pipeline === p && x.condition === c);
        return r ? fmt(r.ratio, 2) : "–";
      }),
    ]),
  );
}

function sirenTable(s: SirenSummary): string {
  return markdownTable(
    [
      "ticks",
      "precision",
      "recall",
      "false-alarm rate",
      "median bearing error (nearer of front/back)",
      "median bearing error (front only)",
    ],
    [
      [
        String(s.ticks),
        fmt(s.precision),
        fmt(s.recall),
        fmt(s.falseAlarmRate),
        `${fmt(s.medianBearingErrorDeg, 1)}°`,
        `${fmt(s.medianFrontBearingErrorDeg, 1)}°`,
      ],
    ],
  );
}
