import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { avfusionConfigSchema, type AvfusionConfig } from "./configSchema";

/** A config file that cannot be used; the CLI reports it as bad input (exit 2). */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly exitCode = 2;
}

/** Validates a parsed config object; `where` names its origin in the one-line error. */
export function parseConfig(value: unknown, where: string): AvfusionConfig {
  const parsed = avfusionConfigSchema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.length > 0 ? issue.path.join(".") : "(root)";
  throw new ConfigError(`${where}: ${path}: ${issue.message}`);
}

/** Reads a YAML or JSON config file (JSON is YAML) and validates it once, at start-up. */
export async function loadConfig(file: string): Promise<AvfusionConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `${file}: ${code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : `cannot read (${code})`}, expected a YAML or JSON config file`,
    );
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    const first = (err instanceof Error ? err.message : String(err)).split("\n")[0];
    throw new ConfigError(`${file}: not YAML or JSON (${first})`);
  }
  return parseConfig(value, file);
}
