import * as tf from "@tensorflow/tfjs";
import type { ModelFiles } from "../runtime/modelFiles";
import type { Scenario } from "../sim/scenario";
import type { FitResult } from "./lidar/fitCenterNet";
import { HELD_OUT_SEED_BASE } from "./scenarios";
import type { Trainer } from "./types";

/*
 * What the two CenterNet trainers (camera/trainCamera.ts, lidar/trainLidar.ts) share around their
 * fit: their options, the adapter to `avfusion train`'s Trainer contract and the training record
 * their metadata carries.
 */

/** Options of both CenterNet trainings (LiDAR in lidar/trainLidar.ts, camera in camera/trainCamera.ts). */
export type CenterNetTrainingOptions = {
  /** Where the model goes (`saveModel` layout); omit to train and evaluate without writing. */
  files?: ModelFiles;
  outDir?: string;
  /** Random-scenario seeds to train on (clear and degraded as `randomScenario` draws them). Default: LiDAR 1..120, camera 1..100. */
  trainSeeds?: readonly number[];
  /** Held-out random-scenario seeds, evaluated in clear air (and daylight for the camera). Default 9001..9016. */
  heldOutSeeds?: readonly number[];
  /** Held-out named scenarios (e.g. recordings/scenarios/highway-clear.yaml), evaluated as they are. */
  heldOutScenarios?: readonly Scenario[];
  durationS?: number;
  /** Sweep spacing in the training scenarios (s). */
  everyS?: number;
  steps?: number;
  batchSize?: number;
  learningRate?: number;
  maxMinutes?: number;
  seed?: number;
  /** The command line that ran this, written into the metadata. */
  command?: string;
  log?: (line: string) => void;
  /** Continue training these weights (same architecture) instead of a fresh initialisation. */
  initModel?: tf.LayersModel;
  /** The `training` record of the run that produced `initModel`, kept in the new metadata. */
  previousTraining?: unknown;
};

/**
 * `avfusion train --modality <kind>` for a CenterNet trainer: `--quick` trains a few steps on two
 * short drives (`quickData` sets their length and spacing) and evaluates on one; otherwise the
 * trainer's defaults, with the named held-out scenarios.
 */
export function centerNetTrainer<E>(
  train: (o: CenterNetTrainingOptions) => Promise<{ model: tf.LayersModel; metadata: object; evaluation: E }>,
  quickData: Pick<CenterNetTrainingOptions, "durationS" | "everyS">,
  summary: (evaluation: E) => string,
): Trainer {
  return async (o) => {
    const quick = o.quick
      ? {
          trainSeeds: [1, 2],
          heldOutSeeds: [HELD_OUT_SEED_BASE],
          ...quickData,
          steps: (o.epochs ?? 1) * (o.stepsPerEpoch ?? 5),
          batchSize: 2,
        }
      : {};
    const r = await train({
      seed: o.seed,
      command: o.command,
      log: o.log,
      heldOutScenarios: o.quick ? [] : ["highway-clear", "urban-crossing"].map((n) => o.loadNamed(n)),
      ...quick,
    });
    return { model: r.model, metadata: r.metadata as unknown as Record<string, unknown>, summary: [summary(r.evaluation)] };
  };
}

/**
 * The common part of a CenterNet training record: backend, training data, the fit's settings and
 * outcome, and what it was resumed from. `sampling` says how samples were taken from each drive.
 */
export function centerNetTrainingRecord(
  fit: FitResult,
  run: { trainSeeds: readonly number[]; durationS: number; sampling: string; batchSize: number; learningRate: number; seed: number },
  o: Pick<CenterNetTrainingOptions, "initModel" | "previousTraining">,
): Record<string, unknown> {
  const { trainSeeds } = run;
  return {
    backend: tf.getBackend(),
    trainScenarios: `randomScenario(seed, ${run.durationS} s) for seeds ${trainSeeds[0]}..${trainSeeds[trainSeeds.length - 1]} (${trainSeeds.length}; clear, fog 30–1000 m, night as drawn), ${run.sampling}, left/right mirroring`,
    trainSeeds: [...trainSeeds],
    steps: fit.steps,
    batchSize: run.batchSize,
    learningRate: run.learningRate,
    seed: run.seed,
    wallS: Math.round(fit.wallS),
    finalLoss: fit.finalLoss,
    lossCurve: fit.lossCurve,
    ...(o.initModel ? { resumedFrom: o.previousTraining ?? "an earlier model of the same architecture" } : {}),
  };
}
