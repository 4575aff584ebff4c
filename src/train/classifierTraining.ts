import type * as tf from "@tensorflow/tfjs";
import { fitClassifier, type Dataset, type FitOptions, type FitResult } from "./fit";
import type { TrainOptions } from "./types";

/*
 * What the classifier trainers (radar/trainRadar.ts, audio/trainAudio.ts) share around the epoch
 * loop: fitting within the run's wall-clock budget, and the parts of the training record that
 * state how the weights were made.
 */

/** The fit's settings a trainer chooses; `fitWithinBudget` adds seed and deadline from the run. */
export type ClassifierFit = Pick<FitOptions, "epochs" | "stepsPerEpoch" | "batchSize" | "numClasses" | "naturalFraction" | "onEpoch">;

/** Default wall-clock budget of a training run (s), simulation included. */
const DEFAULT_BUDGET_S = 1140;

/** Fits from the run's seed, stopping by the deadline that leaves a tenth of the budget (from `t0`, ms) for evaluation. */
export function fitWithinBudget(
  model: tf.LayersModel,
  ds: Dataset,
  opts: TrainOptions,
  t0: number,
  fit: ClassifierFit,
): Promise<FitResult> {
  const budgetMs = (opts.budgetSeconds ?? DEFAULT_BUDGET_S) * 1000;
  return fitClassifier(model, ds, {
    deadlineMs: t0 + 0.9 * budgetMs,
    seed: opts.seed,
    epochs: fit.epochs,
    stepsPerEpoch: fit.stepsPerEpoch,
    batchSize: fit.batchSize,
    numClasses: fit.numClasses,
    ...(fit.naturalFraction !== undefined ? { naturalFraction: fit.naturalFraction } : {}),
    ...(fit.onEpoch !== undefined ? { onEpoch: fit.onEpoch } : {}),
  });
}

/** How the run was started: seed, quick mode and backend (the head of every classifier's training record). */
export function runRecord(opts: TrainOptions): { seed: number; quick: boolean; backend: string } {
  return { seed: opts.seed, quick: opts.quick, backend: opts.backend };
}

/** What the fit did against what it was asked: epochs and steps planned, steps run, whether the budget stopped it, the last loss. */
export function fitRecord(fit: ClassifierFit, fitted: FitResult): Record<string, unknown> {
  return {
    epochs: fit.epochs,
    stepsPerEpoch: fit.stepsPerEpoch,
    stepsRun: fitted.steps,
    stoppedByBudget: fitted.stoppedByDeadline,
    finalLoss: fitted.losses[fitted.losses.length - 1] ?? null,
    batchSize: fit.batchSize,
  };
}

/** The training examples per class, as the log line `<kind>: training class counts a=1 b=2` and as the record's map. */
export function classCountsOf(
  kind: string,
  classes: readonly string[],
  counts: readonly number[],
): { line: string; record: Record<string, number> } {
  return {
    line: `${kind}: training class counts ${classes.map((c, i) => `${c}=${counts[i]}`).join(" ")}`,
    record: Object.fromEntries(classes.map((c, i) => [c, counts[i]!])),
  };
}
