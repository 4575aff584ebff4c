import { LOSS_STAGES, type LossBudget } from "./lossBudget";
import { markdownTable } from "./markdownTable";

const ap = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? "–" : v.toFixed(3));

/**
 * The loss budget as markdown: per recording and pipeline one table, a column per stage, rows mAP,
 * class-agnostic AP, each class's AP and the predictions in range; then one line naming the largest
 * drop between consecutive stages, the place to look first.
 */
export function formatLossBudgetMarkdown(budgets: readonly LossBudget[]): string {
  const out: string[] = ["## Loss budget (`eval --explain`)", ""];
  out.push(
    "AP (nuScenes, mean over 0.5/1/2/4 m) of what each stage hands on: raw detections against the ground truth at their capture time and at the tick time, the tracker's live tracks, its confirmed tracks, the tracks after the head, the scene.",
    "",
  );
  for (const b of budgets) {
    const stages = LOSS_STAGES.filter((s) => b.stages.some((x) => x.stage === s));
    const at = (s: string) => b.stages.find((x) => x.stage === s)!;
    const rows: string[][] = [
      ["mAP", ...stages.map((s) => ap(at(s).mAP))],
      ["any class", ...stages.map((s) => ap(at(s).anyClassAP))],
      ...b.classes.map((c) => [c, ...stages.map((s) => ap(at(s).apByClass[c]))]),
      ["predictions", ...stages.map((s) => String(at(s).predictions))],
    ];
    out.push(`### ${b.condition} — ${b.pipeline}`, "", markdownTable(["", ...stages], rows), "");
    const drop = largestDrop(b);
    if (drop) out.push(`Largest drop: ${drop.metric} ${ap(drop.from)} → ${ap(drop.to)} from ${drop.fromStage} to ${drop.toStage}.`, "");
  }
  return out.join("\n");
}

/** The largest fall of mAP (or, where no class is scored, of the class-agnostic AP) between consecutive stages. */
export function largestDrop(b: LossBudget): { metric: string; fromStage: string; toStage: string; from: number; to: number } | undefined {
  const useMap = b.stages.some((s) => !Number.isNaN(s.mAP));
  const value = (i: number) => (useMap ? b.stages[i]!.mAP : b.stages[i]!.anyClassAP);
  let best: { metric: string; fromStage: string; toStage: string; from: number; to: number } | undefined;
  for (let i = 1; i < b.stages.length; i++) {
    const [from, to] = [value(i - 1), value(i)];
    if (!(from - to > 0)) continue;
    if (!best || from - to > best.from - best.to)
      best = { metric: useMap ? "mAP" : "any-class AP", fromStage: b.stages[i - 1]!.stage, toStage: b.stages[i]!.stage, from, to };
  }
  return best;
}
