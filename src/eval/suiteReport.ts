/**
 * The suite's report: per recording × condition × pipeline results (the `avfusion eval --json`
 * entries), their means per condition and overall, robustness ratios, the scene cadence and health
 * measurements of the sensor-missing and recovery drives, and the issue 6 targets with pass/fail.
 * Pure: no IO, no clock.
 */
import type { CadenceMeasure, MissingMeasure, RecoveryMeasure } from "./suiteHealth";
import {
  buildEvalReport,
  EVAL_PIPELINES,
  LEAVE_ONE_OUT,
  type EvalPipeline,
  type EvalResultEntry,
  type RobustnessRow,
  type SirenSummary,
} from "./evalReport";
import { bestSingleSensor, differenceText, intervalSection, meanInterval, pairedDifference, type Interval } from "./intervals";
import type { SirenMetrics } from "./evaluateSiren";
import { markdownTable } from "./markdownTable";

export {
  missingSensorMeasure,
  recoveryMeasure,
  sceneCadence,
  type CadenceMeasure,
  type MissingMeasure,
  type RecoveryMeasure,
} from "./suiteHealth";

/** Mean over the drives of one condition × pipeline. */
export type AggregateEntry = {
  condition: string;
  pipeline: EvalPipeline;
  recordings: number;
  mAP: number | null;
  nds: number | null;
  apByClass: Record<string, number | null>;
  ate: number | null;
  ave: number | null;
  /** 95 % two-stage bootstrap interval of `mAP` (drives, then frame blocks; bootstrap.ts); null without replicates. */
  mAPInterval: Interval | null;
};

function mean(xs: readonly (number | null | undefined)[]): number | null {
  const v = xs.filter((x): x is number => typeof x === "number" && Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

/** Per condition × pipeline means over the recordings (nulls left out); condition `all` pools every condition. */
export function aggregateResults(entries: readonly EvalResultEntry[], withAll = true): AggregateEntry[] {
  const conditions: string[] = [];
  for (const e of entries) if (!conditions.includes(e.condition)) conditions.push(e.condition);
  const out: AggregateEntry[] = [];
  for (const condition of withAll ? [...conditions, "all"] : conditions) {
    for (const pipeline of EVAL_PIPELINES) {
      const these = entries.filter((e) => e.pipeline === pipeline && (condition === "all" || e.condition === condition));
      if (!these.length) continue;
      const classes: string[] = [];
      for (const e of these) for (const c of Object.keys(e.apByClass)) if (!classes.includes(c)) classes.push(c);
      const apByClass: Record<string, number | null> = {};
      for (const c of classes) apByClass[c] = mean(these.map((e) => e.apByClass[c]));
      out.push({
        condition,
        pipeline,
        recordings: these.length,
        mAP: mean(these.map((e) => e.mAP)),
        nds: mean(these.map((e) => e.nds)),
        apByClass,
        ate: mean(these.map((e) => e.ate)),
        ave: mean(these.map((e) => e.ave)),
        mAPInterval: meanInterval(these, `${condition} ${pipeline}`),
      });
    }
  }
  return out;
}

/** One issue 6 target, measured. */
export type TargetCheck = {
  target: string;
  condition: string | null;
  /** The measured value and what it is compared with. */
  value: number | null;
  threshold: number | null;
  pass: boolean | null;
  detail: string;
};

export type SuiteHealthRecord = {
  recording: string;
  condition: string;
  cadence: CadenceMeasure;
  missing?: MissingMeasure;
};

export type SuiteReport = {
  suite: { name: string; durationS: number; tickHz: number; deadlineMs: number; drives: string[]; conditions: string[] };
  /** What the `fused` pipeline is: the learned head, or the tracker alone when no head is shipped. */
  fusedHead: "learned" | "tracker";
  results: EvalResultEntry[];
  aggregate: AggregateEntry[];
  siren: SirenSummary;
  robustness: { metric: "nds" | "mAP"; cleanCondition: string; rows: RobustnessRow[] };
  health: SuiteHealthRecord[];
  recovery: RecoveryMeasure[];
  targets: TargetCheck[];
};

/** The aggregate of one condition × pipeline, and the clean condition's over the drives that also ran in `condition` (paired). */
type TargetData = {
  entries: readonly EvalResultEntry[];
  get: (condition: string, pipeline: EvalPipeline) => AggregateEntry | undefined;
  cleanFor: (condition: string, pipeline: EvalPipeline) => AggregateEntry | undefined;
  conditions: string[];
  clean: string;
};

/**
 * The issue 6 robustness targets, from the aggregate table and the health measurements. A
 * condition is compared with the clean one over the drives run in both (paired), so a drive run
 * in clear air only does not move the ratios.
 */
export function checkTargets(
  entries: readonly EvalResultEntry[],
  health: readonly SuiteHealthRecord[],
  recovery: readonly RecoveryMeasure[],
  options: { cleanCondition: string; deadlineMs: number },
): TargetCheck[] {
  const aggregate = aggregateResults(entries, false);
  const clean = options.cleanCondition;
  const data: TargetData = {
    entries,
    get: (condition, pipeline) => aggregate.find((a) => a.condition === condition && a.pipeline === pipeline),
    cleanFor: (condition, pipeline) => {
      const drives = new Set(entries.filter((e) => e.condition === condition).map((e) => e.recording));
      return aggregateResults(
        entries.filter((e) => e.condition === clean && drives.has(e.recording)),
        false,
      ).find((a) => a.pipeline === pipeline);
    },
    conditions: [...new Set(aggregate.map((a) => a.condition))],
    clean,
  };
  return [
    ...fusedBeatsSingleSensors(data),
    ...leaveOneOut(data),
    ...data.conditions.filter((x) => /^fog-50m$/.test(x)).map((c) => fogCarAp(data, c)),
    ...data.conditions.filter((x) => /-missing$/.test(x)).flatMap((c) => sensorMissing(data, c, health, options.deadlineMs)),
    ...recovery.map(readmitted),
  ];
}

/** Per condition: the fused mAP against the best single-sensor pipeline (strictly better in the clean condition). */
function fusedBeatsSingleSensors({ entries, get, conditions, clean }: TargetData): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const c of conditions) {
    const fused = get(c, "fused")?.mAP ?? null;
    const row = bestSingleSensor((p) => get(c, p));
    if (fused === null || row === undefined) continue;
    const best = { p: row.pipeline, v: row.mAP! };
    const strict = c === clean;
    out.push({
      target: strict ? "fused mAP > best single sensor (clear)" : "fused mAP >= best single sensor",
      condition: c,
      value: fused,
      threshold: best.v,
      pass: strict ? fused > best.v : fused >= best.v,
      detail: `fused ${fused.toFixed(4)} vs ${best.p} ${best.v.toFixed(4)}${differenceText(`fused − ${best.p}`, pairedDifference(entries, c, "fused", best.p))}`,
    });
  }
  return out;
}

/**
 * Leave one sensor out, per condition: fused without a modality must not score above fused with it
 * (where it does, that sensor's evidence is harmful there). Skipped where the sensor is missing anyway.
 */
function leaveOneOut({ entries, get, conditions }: TargetData): TargetCheck[] {
  const out: TargetCheck[] = [];
  for (const c of conditions) {
    const fused = get(c, "fused")?.mAP ?? null;
    if (fused === null) continue;
    for (const [pipeline, kind] of Object.entries(LEAVE_ONE_OUT) as [EvalPipeline, string][]) {
      const without = get(c, pipeline)?.mAP ?? null;
      if (without === null || c === `${kind}-missing`) continue;
      out.push({
        target: `removing the ${kind} does not improve fused mAP`,
        condition: c,
        value: without,
        threshold: fused,
        pass: without <= fused,
        detail: `fused ${fused.toFixed(4)}, without ${kind} ${without.toFixed(4)}${differenceText(`fused − without ${kind}`, pairedDifference(entries, c, "fused", pipeline))}`,
      });
    }
  }
  return out;
}

/** Fog at 50 m: the fused car AP keeps 80 % of its clean value (camera-only shown for comparison). */
function fogCarAp({ get, cleanFor }: TargetData, c: string): TargetCheck {
  const fog = get(c, "fused");
  const car = fog?.apByClass.car ?? null;
  const carClean = cleanFor(c, "fused")?.apByClass.car ?? null;
  const ratio = car !== null && carClean !== null && carClean > 0 ? car / carClean : null;
  const cam = get(c, "camera")?.apByClass.car ?? null;
  const camClean = cleanFor(c, "camera")?.apByClass.car ?? null;
  const camRatio = cam !== null && camClean !== null && camClean > 0 ? cam / camClean : null;
  return {
    target: "fog 50 m: fused car AP >= 0.8 x clear",
    condition: c,
    value: ratio,
    threshold: 0.8,
    pass: ratio === null ? null : ratio >= 0.8,
    detail: `fused car AP ${fmt(car)} / ${fmt(carClean)}; camera-only car AP ${fmt(cam)} / ${fmt(camClean)} = ${fmt(camRatio, 2)}`,
  };
}

/** A sensor missing: fused mAP keeps 70 % of the full rig's, scenes keep the tick rate, the health reports MISSING within one deadline. */
function sensorMissing({ get, cleanFor }: TargetData, c: string, health: readonly SuiteHealthRecord[], deadlineMs: number): TargetCheck[] {
  const v = get(c, "fused")?.mAP ?? null;
  const full = cleanFor(c, "fused")?.mAP ?? null;
  const ratio = v !== null && full !== null && full > 0 ? v / full : null;
  const recs = health.filter((h) => h.condition === c);
  const cadence = recs.map((h) => h.cadence);
  const minRatio = cadence.length ? Math.min(...cadence.map((x) => x.ratio)) : null;
  const firsts = recs.map((h) => h.missing?.firstMissingMs ?? null);
  const worst = firsts.some((x) => x === null) || !firsts.length ? null : Math.max(...(firsts as number[]));
  const shares = recs.map((h) => h.missing?.missingShare ?? 0);
  return [
    {
      target: "sensor missing: fused mAP >= 0.7 x full",
      condition: c,
      value: ratio,
      threshold: 0.7,
      pass: ratio === null ? null : ratio >= 0.7,
      detail: `fused mAP ${fmt(v)} / ${fmt(full)}`,
    },
    {
      target: "sensor missing: scene states at the tick rate",
      condition: c,
      value: minRatio,
      threshold: 1,
      pass: minRatio === null ? null : cadence.every((x) => x.scenes >= x.expectedScenes),
      detail: cadence.map((x) => `${x.scenes}/${x.expectedScenes}`).join(", ") + " scenes",
    },
    {
      target: "sensor missing: reported MISSING within one deadline",
      condition: c,
      value: worst,
      threshold: deadlineMs,
      pass: worst === null ? false : worst <= deadlineMs,
      detail: `${recs.length} drives: first MISSING at most ${fmt(worst, 0)} ms after the drive start; MISSING in at least ${(Math.min(...shares, 1) * 100).toFixed(0)} % of the scenes`,
    },
  ];
}

/** A sensor back after an outage: OK and included again within 1 s. */
function readmitted(r: RecoveryMeasure): TargetCheck {
  return {
    target: "sensor back: re-admitted within 1 s",
    condition: `${r.kind} out ${r.fromS}-${r.toS} s`,
    value: r.readmittedAfterMs,
    threshold: 1000,
    pass: r.readmittedAfterMs === null ? false : r.readmittedAfterMs < 1000,
    detail: `noticed ${r.detectedStatus ?? "never"} after ${fmt(r.detectedAfterMs, 0)} ms; OK and included ${fmt(r.readmittedAfterMs, 0)} ms after it came back`,
  };
}

function fmt(x: number | null | undefined, digits = 3): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(digits);
}

export function buildSuiteReport(input: {
  suite: SuiteReport["suite"];
  fusedHead: SuiteReport["fusedHead"];
  entries: readonly EvalResultEntry[];
  sirens: readonly SirenMetrics[];
  health: readonly SuiteHealthRecord[];
  recovery: readonly RecoveryMeasure[];
  cleanCondition?: string;
}): SuiteReport {
  const cleanCondition = input.cleanCondition ?? "clear";
  const base = buildEvalReport(input.entries, [...input.sirens], { cleanCondition, robustnessMetric: "mAP", pairedRobustness: true });
  const aggregate = aggregateResults(input.entries);
  return {
    suite: input.suite,
    fusedHead: input.fusedHead,
    results: base.results,
    aggregate,
    siren: base.siren,
    robustness: base.robustness,
    health: [...input.health],
    recovery: [...input.recovery],
    targets: checkTargets(input.entries, input.health, input.recovery, { cleanCondition, deadlineMs: input.suite.deadlineMs }),
  };
}

/** Markdown: the ablation table (mean mAP per condition × pipeline, car AP in brackets), robustness, targets, siren. */
export function formatSuiteMarkdown(r: SuiteReport): string {
  const pipelines = EVAL_PIPELINES.filter((p) => r.aggregate.some((a) => a.pipeline === p));
  const conditions = [...new Set(r.aggregate.map((a) => a.condition))];
  const out: string[] = [];
  out.push(`### Ablation: mean mAP (car AP) over the drives of each condition (${r.suite.durationS} s each), suite \`${r.suite.name}\`\n`);
  out.push(
    `\`fused\` = ${r.fusedHead === "learned" ? "tracker + learned fusion head" : "tracker alone (no learned head shipped)"}; \`tracker\` = tracker, no head; \`naive\` = score-averaging head; camera/lidar/radar = the tracker fed that modality's evidence only.\n`,
  );
  out.push(
    markdownTable(
      ["condition", "drives", ...pipelines],
      conditions.map((c) => [
        c,
        String(r.aggregate.find((x) => x.condition === c)?.recordings ?? 0),
        ...pipelines.map((p) => {
          const a = r.aggregate.find((x) => x.condition === c && x.pipeline === p);
          return a ? `${fmt(a.mAP)} (${fmt(a.apByClass.car ?? null)})` : "–";
        }),
      ]),
    ),
  );
  out.push(...intervalSection(r, pipelines, conditions));
  const conds = [...new Set(r.robustness.rows.map((x) => x.condition))];
  out.push(`\n\n### Robustness: mAP in condition / mAP in ${r.robustness.cleanCondition}\n`);
  out.push(
    markdownTable(
      ["pipeline", ...conds],
      pipelines.map((p) => [
        p,
        ...conds.map((c) => fmt(r.robustness.rows.find((x) => x.pipeline === p && x.condition === c)?.ratio ?? null, 2)),
      ]),
    ),
  );
  out.push("\n\n### Targets (issue 6)\n");
  out.push(
    markdownTable(
      ["target", "condition", "measured", "threshold", "pass", "detail"],
      r.targets.map((t) => [
        t.target,
        t.condition ?? "",
        fmt(t.value),
        fmt(t.threshold),
        t.pass === null ? "n/a" : t.pass ? "PASS" : "FAIL",
        t.detail,
      ]),
    ),
  );
  const s = r.siren;
  out.push("\n\n### Siren (fused runs pooled)\n");
  out.push(
    markdownTable(
      ["ticks", "precision", "recall", "false-alarm rate", "median bearing error (nearer of front/back)"],
      [[String(s.ticks), fmt(s.precision), fmt(s.recall), fmt(s.falseAlarmRate), `${fmt(s.medianBearingErrorDeg, 1)}°`]],
    ),
  );
  return out.join("\n") + "\n";
}
