import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { BadInputError } from "../types/errors";

/** One output a command was asked for: how the user named it (`--out scene.mcap`) and its path. */
export type OutputPath = { label: string; path: string };

/** What a path is on disk: where it really is and, when it exists, its device and inode. */
type Identity = { real: string; dev?: number; ino?: number; special?: boolean };

async function identityOf(file: string): Promise<Identity | undefined> {
  const stat = await fsp.stat(file).catch(() => undefined);
  if (stat === undefined) return undefined;
  return { real: await fsp.realpath(file), dev: stat.dev, ino: stat.ino, special: !stat.isFile() && !stat.isDirectory() };
}

/** Where a path that may not exist yet would be: its directory resolved, its own name kept. */
async function wouldBe(file: string): Promise<Identity> {
  const found = await identityOf(file);
  if (found) return found;
  const abs = path.resolve(file);
  const dir = await fsp.realpath(path.dirname(abs)).catch(() => path.dirname(abs));
  return { real: path.join(dir, path.basename(abs)) };
}

const sameFile = (a: Identity, b: Identity): boolean => a.real === b.real || (a.ino !== undefined && a.dev === b.dev && a.ino === b.ino);

async function how(output: string, input: Identity): Promise<string> {
  const link = await fsp.lstat(output).catch(() => undefined);
  if (link?.isSymbolicLink()) return "links to";
  return (await fsp.realpath(output).catch(() => output)) === input.real ? "is" : "is a hard link of";
}

/**
 * Refuses, before anything is read or written, an output that would destroy an input or another
 * output: the same path, a symlink to it or a hard link of it (the same real path, or the same
 * device and inode). Inputs that do not exist are skipped; special files (`/dev/null`) may be
 * named by several outputs. A `BadInputError` (exit code 2) naming the output and the input.
 */
export async function refuseOutputsOverInputs(outputs: readonly OutputPath[], inputs: readonly string[]): Promise<void> {
  const inputIds: Array<{ file: string; id: Identity }> = [];
  for (const file of inputs) {
    const id = await identityOf(file);
    if (id) inputIds.push({ file, id });
  }
  const seen: Array<{ output: OutputPath; id: Identity }> = [];
  for (const output of outputs) {
    const id = await wouldBe(output.path);
    for (const input of inputIds) {
      if (!sameFile(id, input.id)) continue;
      const what = `${await how(output.path, input.id)} the input ${input.file}`;
      throw new BadInputError({ where: output.label, what, expected: "an output path that is not an input", code: "usage" });
    }
    const twin = seen.find((s) => !(s.id.special && id.special) && sameFile(s.id, id));
    if (twin)
      throw new BadInputError({
        where: output.label,
        what: `is the same file as ${twin.output.label}`,
        expected: "distinct outputs",
        code: "usage",
      });
    seen.push({ output, id });
  }
}
