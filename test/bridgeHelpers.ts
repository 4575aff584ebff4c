import fs from "node:fs";
import path from "node:path";

/** Poll `cond` every 10 ms, at most `maxPolls` times; resolves to whether it became true. */
export async function waitUntil(cond: () => boolean, maxPolls = 1000): Promise<boolean> {
  for (let i = 0; i < maxPolls; i++) {
    if (cond()) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return cond();
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const REPO_ROOT = path.resolve(__dirname, "..");
export const DEFAULT_RECORDING = path.join(REPO_ROOT, "recordings/default.mcap");
export const SHARED_DATA = path.resolve(REPO_ROOT, "../shared/data");
export const NEBULA_DIR = path.join(SHARED_DATA, "recordings-external/nebula-mcap");

export function exists(p: string): boolean {
  return fs.existsSync(p);
}
