import * as path from "path";
import type { Command } from "commander";
import { FileWritable } from "../sinks/mcap/FileWritable";
import { listScenarios, loadScenario } from "../sim/loadScenario";
import { validateScenario, type Scenario } from "../sim/scenario";
import { simulateToMcap } from "../sim/simulate";
import type { CliContext, CommandRegistrar } from "./context";
import { progressFor, withProgressFlags } from "./progress";
import { BadInputError } from "../types/errors";

type SimulateFlags = {
  scenario: string;
  seed?: string;
  duration?: string;
  fog?: string;
  output?: string;
  progress: boolean;
  quiet?: boolean;
  list?: boolean;
};

function parseNumber(flag: string, value: string, check: (n: number) => boolean, expected: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || !check(n))
    throw new BadInputError({ where: `--${flag} ${value}`, what: "", expected: `${expected}`, code: "usage" });
  return n;
}

/** The scenario with command-line overrides applied and validated again. */
export function resolveScenario(flags: Pick<SimulateFlags, "scenario" | "seed" | "duration" | "fog">): Scenario {
  const seed =
    flags.seed === undefined
      ? undefined
      : parseNumber("seed", flags.seed, (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff, "an integer 0..4294967295");
  const duration =
    flags.duration === undefined ? undefined : parseNumber("duration", flags.duration, (n) => n > 0 && n <= 600, "seconds, 0 < S <= 600");
  let fog: number | null | undefined;
  if (flags.fog !== undefined)
    fog =
      flags.fog === "clear" || flags.fog === "0"
        ? null
        : parseNumber("fog", flags.fog, (n) => n > 0, "a visibility in metres > 0, or 'clear'");
  const base = loadScenario(flags.scenario, seed);
  const s: Scenario = structuredClone(base);
  if (seed !== undefined) s.seed = seed;
  if (duration !== undefined) s.durationS = duration;
  if (fog === null) delete s.weather.visibilityM;
  else if (fog !== undefined) s.weather.visibilityM = fog;
  return validateScenario(s, flags.scenario);
}

async function run(flags: SimulateFlags, ctx: CliContext): Promise<void> {
  if (flags.list) {
    ctx.stdout(`${listScenarios().join("\n")}\nrandom\n`);
    return;
  }
  const scenario = resolveScenario(flags);
  const output = flags.output ?? `${scenario.name}.mcap`;
  if (path.extname(output) === "")
    throw new BadInputError({ where: `-o ${output}`, what: "", expected: "a file name ending in .mcap", code: "usage" });
  const bar = progressFor(flags, { label: "simulate", unit: "s", write: ctx.stderr });
  bar.start(scenario.durationS);
  const file = await FileWritable.create(output);
  const t0 = performance.now();
  let stats;
  try {
    stats = await simulateToMcap(scenario, file, { onProgress: (t) => bar.update(Math.round(t * 10) / 10) });
    await file.close();
  } catch (err) {
    bar.stop();
    await file.abort();
    throw err;
  }
  bar.stop();
  const wall = (performance.now() - t0) / 1000;
  const mb = Number(file.position()) / 1e6;
  ctx.stdout(
    `wrote ${output}: scenario ${scenario.name} (seed ${scenario.seed}), ${scenario.durationS} s, ${stats.messages} messages, ` +
      `${mb.toFixed(2)} MB, simulated in ${wall.toFixed(1)} s\n`,
  );
}

export const registerSimulate: CommandRegistrar = (program: Command, ctx: CliContext) => {
  const command = program
    .command("simulate")
    .description("simulate a drive (camera, LiDAR, radar, audio, calibration, ground truth) into an MCAP recording")
    .option("-s, --scenario <name|file>", "shipped scenario name, a .yaml/.json scenario file, or 'random'", "default")
    .option("--seed <n>", "override the scenario's random seed (and seed 'random')")
    .option("--duration <s>", "override the duration in seconds")
    .option("--fog <V>", "override the fog: meteorological visibility in metres, or 'clear'")
    .option("-o, --output <file>", "output MCAP file (default: <scenario name>.mcap)")
    .option("--list", "list the shipped scenarios and exit");
  withProgressFlags(command).action(async (flags: SimulateFlags) => run(flags, ctx));
};
