import type * as tf from "@tensorflow/tfjs";
import type { Scenario } from "../sim/scenario";

/** Options every trainer takes (`avfusion train` fills them from its flags). */
export type TrainOptions = {
  /** Seeds data order and weight initialisation; same seed + backend → same weights. */
  seed: number;
  /** A few steps on a few short drives: for smoke tests, not for shipping. */
  quick: boolean;
  /** Loads a shipped scenario by name (recordings/scenarios); the CLI passes `loadScenario`. */
  loadNamed: (name: string) => Scenario;
  /** Progress lines (stderr in the CLI). */
  log: (line: string) => void;
  /** The tfjs backend training runs on, recorded in the metadata. */
  backend: string;
  /** The exact command line, recorded in the metadata. */
  command: string;
  /**
   * Wall-clock budget for the whole run (s), simulation included; fitting stops early to keep it
   * (the metadata records the steps actually run). Default 1140 s (19 min).
   */
  budgetSeconds?: number;
  /** Overrides for tests: epochs and steps per epoch. */
  epochs?: number;
  stepsPerEpoch?: number;
};

export type TrainResult = {
  model: tf.LayersModel;
  /** Written as metadata.json next to the model. */
  metadata: Record<string, unknown>;
  /** Held-out headline figures, one line each, for the CLI to print. */
  summary: string[];
};

/** A modality's training entry point; camera and LiDAR add theirs to TRAINERS in train/index.ts. */
export type Trainer = (options: TrainOptions) => Promise<TrainResult>;
