import { Option, type Command } from "commander";
import { MODELS_ENV, resolveModelsDir } from "../runtime/nodeModelFiles";

/**
 * Flags that several commands take, declared once so that they read and default the same
 * everywhere. Each adds its options to a command and returns it, for chaining.
 */

/** `--backend` and `--models`: where inference runs and where the shipped models are. */
export type InferenceFlags = { backend: string; models: string };

/**
 * `--models DIR`, always parsed to an absolute directory: DIR, else $AVFUSION_MODELS, else the
 * package's own models/ (resolveModelsDir), so a command run from any directory finds them.
 */
export function modelsOption(description = "directory of the models"): Option {
  return new Option("--models <dir>", description)
    .default(resolveModelsDir(), `$${MODELS_ENV}, else the package's own models/`)
    .argParser((dir: string) => resolveModelsDir(dir));
}

export function withInferenceFlags(command: Command): Command {
  return command.option("--backend <name>", "tfjs backend: auto|tensorflow|wasm|cpu", "auto").addOption(modelsOption());
}

/** `--model KIND=NAME|PATH` (repeatable): resolved by `resolveModelChoices` (src/runtime/modelChoices.ts). */
export type ModelChoiceFlag = { model?: string[] };

export function withModelChoiceFlag(command: Command): Command {
  return command.option(
    "--model <kind=NAME|PATH>",
    "a model folder for one sensor kind, NAME in the models folder or a PATH (repeatable; camera=DIR: the detector card for real cameras)",
    (value: string, previous: string[] = []) => [...previous, value],
  );
}

/** `--fusion-head`: the late-fusion head, learned|naive|none. */
export type FusionHeadFlag = { fusionHead?: string };

export function withFusionHeadFlag(command: Command): Command {
  return command.option(
    "--fusion-head <head>",
    "late-fusion head: learned|naive|none (default: learned when <models>/fusion exists, else none)",
  );
}

/** `--out` and `--jsonl`: where the scene states go (openSceneOutputs). */
export type SceneOutputFlags = { out?: string; jsonl?: string };

export function withSceneOutputFlags(command: Command): Command {
  return command
    .option("--out <file>", "write the scene states, foxglove.SceneUpdate boxes, the /tf tree and camera annotations to an MCAP file")
    .option("--jsonl <path>", "write one scene state per line to PATH (- for stdout; the summaries then go to stderr)");
}

/** `--ros2-out`: the scene as ROS 2 messages in an MCAP file (openSceneOutputs; replay only for now). */
export type Ros2OutFlag = { ros2Out?: string };

export function withRos2OutFlag(command: Command): Command {
  return command.option(
    "--ros2-out <file>",
    "write the scene as ROS 2 CDR messages to an MCAP file: visualization_msgs MarkerArray, vision_msgs Detection3DArray, /tf and /tf_static",
  );
}

/** `--config`: the YAML/JSON config file (topic mapping, tick rate, per-sensor alignment). */
export type ConfigFlag = { config?: string };

export function withConfigFlag(command: Command): Command {
  return command.option("--config <file>", "YAML/JSON config: topic mapping, tick rate, per-sensor alignment (docs/pipeline.md)");
}
