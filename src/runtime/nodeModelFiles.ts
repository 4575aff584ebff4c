import * as fs from "fs/promises";
import * as path from "path";
import { modelFileError, type ModelFiles } from "./modelFiles";
import { packageRoot } from "./packageRoot";

/** The environment variable naming a models folder when no `--models` / option names one. */
export const MODELS_ENV = "AVFUSION_MODELS";

/**
 * Where the models are, as an absolute path, in this order: `explicit` (`--models DIR`, an
 * option; relative to the working directory), `$AVFUSION_MODELS`, then the package's own
 * `models/`, found from this module's location, so the CLI and the library find the shipped
 * models from any directory and as an installed package. Only without a package.json (a bundle)
 * does `./models` of the working directory remain.
 */
export function resolveModelsDir(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit !== undefined && explicit !== "") return path.resolve(explicit);
  const fromEnv = env[MODELS_ENV];
  if (fromEnv !== undefined && fromEnv !== "") return path.resolve(fromEnv);
  const root = packageRoot();
  return root === undefined ? path.resolve("models") : path.join(root, "models");
}

/**
 * ModelFiles on the local file system, paths relative to `root` (the working directory by default).
 * Its `modelsDir` is `resolveModelsDir()`, the models a caller gets when it names no `dir`. Lives
 * in runtime/, at the edge, because encoders never import fs (DESIGN.md convention 2); the CLI,
 * replay and benchmarks use it to load shipped models: `loadRadarEncoder({ files: nodeModelFiles(), modelDir: ... })`.
 */
export function nodeModelFiles(root = "."): ModelFiles {
  return {
    modelsDir: resolveModelsDir(),
    read: async (p) => {
      const file = path.resolve(root, p);
      try {
        return new Uint8Array(await fs.readFile(file));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
        throw modelFileError(`model file ${file}`, `cannot read (${code})`);
      }
    },
    write: async (p, data) => {
      const file = path.resolve(root, p);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, data);
    },
  };
}
