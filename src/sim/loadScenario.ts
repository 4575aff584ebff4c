import * as fs from "fs";
import * as path from "path";
import { randomScenario } from "./randomScenario";
import { BadInputError, isBadInput } from "../types/errors";
import { parseScenario, type Scenario } from "./scenario";

/** recordings/scenarios/, found upwards from this file (works from src/ and from dist/). */
export function scenarioDir(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, "recordings", "scenarios");
    if (fs.existsSync(candidate)) return candidate;
    dir = path.dirname(dir);
  }
  throw new BadInputError({ where: "", what: `no recordings/scenarios/ directory found above ${__dirname}` });
}

/** Names of the shipped scenarios (file names without extension), sorted. */
export function listScenarios(): string[] {
  return fs
    .readdirSync(scenarioDir())
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .map((f) => f.replace(/\.(ya?ml|json)$/, ""))
    .sort();
}

/**
 * A scenario by shipped name (`fog-50m`), by file path (`./my.yaml`), or `random` (generated from
 * `seed`, default 1). Throws BadInputError with a one-line message for anything else.
 */
export function loadScenario(nameOrPath: string, seed?: number): Scenario {
  if (nameOrPath === "random") return randomScenario(seed ?? 1);
  const looksLikePath = nameOrPath.includes("/") || nameOrPath.includes("\\") || /\.(ya?ml|json)$/.test(nameOrPath);
  let file: string | undefined;
  if (looksLikePath) {
    file = nameOrPath;
  } else {
    for (const ext of [".yaml", ".yml", ".json"]) {
      const candidate = path.join(scenarioDir(), nameOrPath + ext);
      if (fs.existsSync(candidate)) {
        file = candidate;
        break;
      }
    }
    if (!file) {
      throw new BadInputError({
        where: `unknown scenario "${nameOrPath}"`,
        what: "",
        expected: `one of ${listScenarios().join(", ")}, random, or a .yaml/.json file path`,
      });
    }
  }
  let text: string;
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) throw new BadInputError({ where: `scenario ${file}`, what: "is a directory", expected: "a .yaml or .json file" });
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if (isBadInput(err)) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    throw new BadInputError({ where: `scenario ${file}`, what: `cannot read (${code})`, expected: "a .yaml or .json file" });
  }
  return parseScenario(text, file);
}
