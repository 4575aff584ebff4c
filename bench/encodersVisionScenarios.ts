import * as fs from "node:fs";
import { parseScenario, type Scenario } from "../src/sim/scenario";

/** Reads a named scenario file (benchmarks and training runs; encoders themselves do no IO). */
export function loadScenarioFile(file: string): Scenario {
  return parseScenario(fs.readFileSync(file, "utf8"), file);
}
