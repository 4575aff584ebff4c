import * as fs from "fs/promises";
import * as path from "path";
import { modelFileError, type ModelFiles } from "./modelFiles";

/**
 * ModelFiles on the local file system, paths relative to the working directory. Lives in runtime/, at the
 * edge, because encoders never import fs (DESIGN.md convention 2); the run command and benchmarks
 * use it to load shipped models: `loadRadarEncoder({ files: nodeModelFiles(), dir: "models/radar" })`.
 */
export function nodeModelFiles(root = "."): ModelFiles {
  return {
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
