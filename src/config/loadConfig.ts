import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { BadInputError } from "../types/errors";
import { avfusionConfigSchema, type AvfusionConfig } from "./configSchema";
import { parseConfigValue } from "./zodFields";

/** Validates a parsed config object; `where` names its origin in the one-line error. */
export function parseConfig(value: unknown, where: string): AvfusionConfig {
  return parseConfigValue(avfusionConfigSchema, value ?? {}, where);
}

function readError(file: string, code: string | undefined): BadInputError {
  const what = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : `cannot read (${code})`;
  return new BadInputError({ where: file, what, expected: "a YAML or JSON config file", code: "config" });
}

/**
 * Reads a YAML or JSON config file (JSON is YAML) and validates it once, at start-up: the typed
 * result is what every stage is given, never the file again.
 */
export async function loadConfig(file: string): Promise<AvfusionConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw readError(file, (err as NodeJS.ErrnoException).code);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    const first = (err instanceof Error ? err.message : String(err)).split("\n")[0];
    throw new BadInputError({ where: file, what: `not YAML or JSON (${first})`, code: "config" });
  }
  return parseConfig(value, file);
}
