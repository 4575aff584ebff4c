import { registerBench } from "./bench";
import type { CommandRegistrar } from "./context";
import { registerEval } from "./eval";
import { registerImport } from "./import";
import { registerInspect } from "./inspect";
import { registerLive } from "./live";
import { registerPlay } from "./play";
import { registerReplay } from "./replay";
import { registerSimulate } from "./simulate";
import { registerTrain } from "./train";

/**
 * Every CLI command. To add one: write `src/cli/<name>.ts` exporting a CommandRegistrar
 * (`(program, ctx) => program.command(...).action(...)`) and append it here. Actions throw
 * BadInputError (src/types/errors.ts) for bad input; `ctx.exitCode` sets the status.
 */
export const COMMANDS: CommandRegistrar[] = [
  registerInspect,
  registerReplay,
  registerEval,
  registerSimulate,
  registerImport,
  registerTrain,
  registerPlay,
  registerLive,
  registerBench,
];
