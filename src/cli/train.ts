import * as path from "path";
import type { Command } from "commander";
import { saveModel } from "../encoders/common/modelFiles";
import { nodeModelFiles } from "../runtime/nodeModelFiles";

export { nodeModelFiles };
import { TRAINERS } from "../encoders/train";
import { parseBackendChoice, selectBackend } from "../runtime/selectBackend";
import { loadScenario } from "../sim/loadScenario";
import type { CliContext, CommandRegistrar } from "./context";
import { UsageError } from "./errors";

type TrainFlags = { modality: string; out: string; seed: string; quick?: boolean; backend: string; maxMinutes: string; epochs?: string };

async function run(flags: TrainFlags, ctx: CliContext): Promise<void> {
  const trainer = TRAINERS[flags.modality];
  if (!trainer) throw new UsageError(`--modality ${flags.modality}: expected one of ${Object.keys(TRAINERS).join("|")}`);
  const seed = Number(flags.seed);
  if (flags.seed.trim() === "" || !Number.isInteger(seed) || seed < 0 || seed > 0x7fffffff) {
    throw new UsageError(`--seed ${flags.seed}: expected an integer 0..2147483647`);
  }
  const maxMinutes = Number(flags.maxMinutes);
  if (flags.maxMinutes.trim() === "" || !Number.isFinite(maxMinutes) || maxMinutes < 0) {
    throw new UsageError(`--max-minutes ${flags.maxMinutes}: expected minutes ≥ 0 (0 = no limit)`);
  }
  const epochs = flags.epochs === undefined ? undefined : Number(flags.epochs);
  if (epochs !== undefined && (!Number.isInteger(epochs) || epochs < 1)) throw new UsageError(`--epochs ${flags.epochs}: expected a positive integer`);
  const selection = await selectBackend({ backend: parseBackendChoice(flags.backend), log: (l) => ctx.stderr(`${l}\n`) });
  const command = ["avfusion", "train", "--modality", flags.modality, "--out", flags.out, "--seed", String(seed), ...(flags.quick ? ["--quick"] : []), "--backend", flags.backend, "--max-minutes", String(maxMinutes), ...(epochs !== undefined ? ["--epochs", String(epochs)] : [])].join(" ");
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
  const dir = path.join(flags.out, flags.modality);
  await saveModel(result.model, result.metadata, nodeModelFiles(), dir);
  result.model.dispose();
  for (const line of result.summary) ctx.stdout(`${line}\n`);
  ctx.stdout(`wrote ${dir}/model.json, weights.bin, metadata.json\n`);
}

export const registerTrain: CommandRegistrar = (program: Command, ctx: CliContext) => {
  program
    .command("train")
    .description("train an encoder on simulated drives, evaluate it on held-out drives, write models/<kind>/")
    .requiredOption("--modality <kind>", `which encoder: ${Object.keys(TRAINERS).join("|")}`)
    .option("--out <dir>", "output directory; the model goes to <dir>/<kind>/", "models")
    .option("--seed <n>", "seed for data order and initial weights", "1")
    .option("--quick", "a few steps on a few short drives (smoke test, not for shipping)")
    .option("--backend <name>", "tfjs backend: auto|tensorflow|wasm|cpu", "auto")
    .option("--max-minutes <m>", "wall-clock budget for the run; fitting stops early to keep it (0 = none, for exact reproduction)", "19")
    .option("--epochs <n>", "override the number of epochs")
    .action(async (flags: TrainFlags) => run(flags, ctx));
};
