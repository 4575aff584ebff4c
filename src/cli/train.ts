import * as path from "path";
import type { Command } from "commander";
import { isModelFileError, saveModel } from "../runtime/modelFiles";
import { decodeDrive, driveFileName, encodeDrive, generateDrive, type DriveSpec, type FusionDrive } from "../train/fusion/drives";
import { trainFusionHead } from "../train/fusion/trainFusion";
import { nodeModelFiles } from "../runtime/nodeModelFiles";

export { nodeModelFiles };
import { TRAINERS } from "../train";
import { parseBackendChoice, selectBackend } from "../runtime/selectBackend";
import { loadScenario } from "../sim/loadScenario";
import type { CliContext, CommandRegistrar } from "./context";
import { modelsOption } from "./sharedFlags";
import { BadInputError } from "../types/errors";

type TrainFlags = {
  modality?: string;
  fusion?: boolean;
  out: string;
  seed: string;
  quick?: boolean;
  backend: string;
  maxMinutes: string;
  epochs?: string;
  data: string;
  models: string;
  drives?: string;
};

async function run(flags: TrainFlags, ctx: CliContext): Promise<void> {
  if (flags.fusion && flags.modality !== undefined)
    throw new BadInputError({ where: "--fusion and --modality", what: "give one of them", code: "usage" });
  if (!flags.fusion && flags.modality === undefined)
    throw new BadInputError({
      where: "train",
      what: "",
      expected: `--modality ${Object.keys(TRAINERS).join("|")} or --fusion`,
      code: "usage",
    });
  if (flags.fusion) return runFusion(flags, ctx);
  const modality = flags.modality!;
  const trainer = TRAINERS[modality];
  if (!trainer)
    throw new BadInputError({
      where: `--modality ${modality}`,
      what: "",
      expected: `one of ${Object.keys(TRAINERS).join("|")}`,
      code: "usage",
    });
  const { seed, maxMinutes, epochs } = parseCommon(flags);
  const selection = await selectBackend({ backend: parseBackendChoice(flags.backend), log: (l) => ctx.stderr(`${l}\n`) });
  const command = [
    "avfusion",
    "train",
    "--modality",
    modality,
    "--out",
    flags.out,
    "--seed",
    String(seed),
    ...(flags.quick ? ["--quick"] : []),
    "--backend",
    flags.backend,
    "--max-minutes",
    String(maxMinutes),
    ...(epochs !== undefined ? ["--epochs", String(epochs)] : []),
  ].join(" ");
  const result = await trainer({
    seed,
    quick: !!flags.quick,
    loadNamed: (name) => loadScenario(name),
    log: (line) => ctx.stderr(`${line}\n`),
    backend: selection.backend,
    command,
    budgetSeconds: maxMinutes === 0 ? Infinity : maxMinutes * 60,
    ...(epochs !== undefined ? { epochs } : {}),
  });
  await writeTrained(result, path.join(flags.out, modality), ctx);
}

function parseCommon(flags: TrainFlags): { seed: number; maxMinutes: number; epochs: number | undefined } {
  const seed = Number(flags.seed);
  if (flags.seed.trim() === "" || !Number.isInteger(seed) || seed < 0 || seed > 0x7fffffff) {
    throw new BadInputError({ where: `--seed ${flags.seed}`, what: "", expected: "an integer 0..2147483647", code: "usage" });
  }
  const maxMinutes = Number(flags.maxMinutes);
  if (flags.maxMinutes.trim() === "" || !Number.isFinite(maxMinutes) || maxMinutes < 0) {
    throw new BadInputError({
      where: `--max-minutes ${flags.maxMinutes}`,
      what: "",
      expected: "minutes ≥ 0 (0 = no limit)",
      code: "usage",
    });
  }
  const epochs = flags.epochs === undefined ? undefined : Number(flags.epochs);
  if (epochs !== undefined && (!Number.isInteger(epochs) || epochs < 1))
    throw new BadInputError({ where: `--epochs ${flags.epochs}`, what: "", expected: "a positive integer", code: "usage" });
  return { seed, maxMinutes, epochs };
}

/**
 * `train --fusion`: simulated drives (seeds 20000–29999) through the real encoders with a
 * capturing head, cached in --data (one JSON file per drive, reused when present), then the
 * fusion head trained on them and written to <out>/fusion/.
 */
async function runFusion(flags: TrainFlags, ctx: CliContext): Promise<void> {
  const { seed, maxMinutes, epochs } = parseCommon(flags);
  const drives = flags.drives === undefined ? undefined : Number(flags.drives);
  if (drives !== undefined && (!Number.isInteger(drives) || drives < 1 || drives > 9000))
    throw new BadInputError({ where: `--drives ${flags.drives}`, what: "", expected: "an integer 1..9000", code: "usage" });
  const selection = await selectBackend({ backend: parseBackendChoice(flags.backend), log: (l) => ctx.stderr(`${l}\n`) });
  const command = [
    "avfusion",
    "train",
    "--fusion",
    "--out",
    flags.out,
    "--seed",
    String(seed),
    ...(flags.quick ? ["--quick"] : []),
    ...(drives !== undefined ? ["--drives", String(drives)] : []),
    "--backend",
    flags.backend,
    "--max-minutes",
    String(maxMinutes),
    ...(epochs !== undefined ? ["--epochs", String(epochs)] : []),
  ].join(" ");
  const cache = nodeModelFiles(flags.data);
  const encoderFiles = nodeModelFiles();
  const loadDrive = async (spec: DriveSpec): Promise<FusionDrive> => {
    const name = driveFileName(spec);
    try {
      return decodeDrive(await cache.read(name), path.join(flags.data, name));
    } catch (err) {
      if (!isModelFileError(err)) throw err;
    }
    const t = performance.now();
    const drive = await generateDrive(spec, { files: encoderFiles, dir: flags.models });
    await cache.write(name, encodeDrive(drive));
    ctx.stderr(
      `fusion: generated ${path.join(flags.data, name)} (${drive.ticks.length} ticks, ${((performance.now() - t) / 1000).toFixed(1)} s)\n`,
    );
    return drive;
  };
  const result = await trainFusionHead({
    seed,
    quick: !!flags.quick,
    loadDrive,
    log: (line) => ctx.stderr(`${line}\n`),
    command,
    backend: selection.backend,
    budgetSeconds: maxMinutes === 0 ? Infinity : maxMinutes * 60,
    ...(epochs !== undefined ? { epochs } : {}),
    ...(drives !== undefined ? { trainDrives: drives } : {}),
  });
  await writeTrained(result, path.join(flags.out, "fusion"), ctx);
}

/** Saves a trained model with its card and prints the training summary. */
async function writeTrained(
  result: { model: Parameters<typeof saveModel>[0]; metadata: Parameters<typeof saveModel>[1]; summary: string[] },
  dir: string,
  ctx: CliContext,
) {
  await saveModel(result.model, result.metadata, nodeModelFiles(), dir);
  result.model.dispose();
  for (const line of result.summary) ctx.stdout(`${line}\n`);
  ctx.stdout(`wrote ${dir}/model.json, weights.bin, metadata.json\n`);
}

export const registerTrain: CommandRegistrar = (program: Command, ctx: CliContext) => {
  program
    .command("train")
    .description(
      "train an encoder (--modality) or the late-fusion head (--fusion) on simulated drives, evaluate on held-out drives, write models/<kind>/",
    )
    .option("--modality <kind>", `which encoder: ${Object.keys(TRAINERS).join("|")}`)
    .option("--fusion", "train the learned late-fusion head (models/fusion/) on drives run through the shipped encoders")
    .option("--data <dir>", "--fusion: cache of the simulated drives (generated when missing)", "tmp/fusion-data")
    .addOption(modelsOption("--fusion: where the encoders' models are read from"))
    .option("--drives <n>", "--fusion: training drives (seeds 20000…); default 60")
    .option("--out <dir>", "output directory; the model goes to <dir>/<kind>/", "models")
    .option("--seed <n>", "seed for data order and initial weights", "1")
    .option("--quick", "a few steps on a few short drives (smoke test, not for shipping)")
    .option("--backend <name>", "tfjs backend: auto|tensorflow|wasm|cpu", "auto")
    .option("--max-minutes <m>", "wall-clock budget for the run; fitting stops early to keep it (0 = none, for exact reproduction)", "19")
    .option("--epochs <n>", "override the number of epochs")
    .action(async (flags: TrainFlags) => run(flags, ctx));
};
