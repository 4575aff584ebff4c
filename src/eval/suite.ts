/**
 * The held-out evaluation suite: a file (recordings/suite/*.yaml) names a few base drives and the
 * conditions each is driven in; `expandSuite` turns it into one simulator scenario per drive ×
 * condition. A condition owns the weather and the faults: `clear` (clear air, no faults),
 * `fog-<V>m` (meteorological visibility V m), `<sensor>-missing` (that sensor drops out for the
 * whole drive, a simulator dropout fault, so the pipeline really sees it absent). Pure: the caller
 * reads the files (`resolveDrive` gets a loader). A bad suite is a BadInputError of one line
 * naming the file, the field and what was expected.
 */
import { z } from "zod";
import { parse as parseYaml } from "yaml";
import { randomScenario } from "../sim/randomScenario";
import { BadInputError } from "../types/errors";
import { validateScenario, type Scenario, type ScenarioInput } from "../sim/scenario";

const CONDITION_RE = /^(clear|fog-([1-9][0-9]{0,4})m|(camera|lidar|radar|audio)-missing)$/;

/** Seeds below this are training material (encoders 1–600, fusion head 20000–29999) or other held-out sets (50000+). */
export const SUITE_MIN_RANDOM_SEED = 70_000;

const conditionName = z.string().regex(CONDITION_RE, {
  message: "expected clear, fog-<V>m (V in metres, e.g. fog-50m) or <camera|lidar|radar|audio>-missing",
});

const finite = z.number().refine(Number.isFinite, { message: "expected a finite number" });
const nonNeg = finite.refine((v) => v >= 0, { message: "expected a number >= 0" });

const drive = z
  .object({
    /** Label in the results; default the scenario name or `random-<seed>`. */
    name: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, { message: "expected letters, digits, '.', '_' or '-'" })
      .optional(),
    /** A shipped scenario name (recordings/scenarios) or a .yaml/.json path relative to the suite file. */
    scenario: z.string().min(1).optional(),
    /** A `randomScenario(seed)` drive. */
    random: z
      .number()
      .int()
      .min(SUITE_MIN_RANDOM_SEED, {
        message: `expected a seed >= ${SUITE_MIN_RANDOM_SEED} (lower seeds train the encoders and the fusion head)`,
      })
      .max(0xffffffff)
      .optional(),
    /** Conditions for this drive only (default: the suite's). */
    conditions: z.array(conditionName).min(1).optional(),
  })
  .strict()
  .refine((d) => (d.scenario === undefined) !== (d.random === undefined), { message: "expected exactly one of scenario or random" });

const outage = z
  .object({ sensor: z.enum(["camera", "lidar", "radar", "audio"]), fromS: nonNeg, toS: nonNeg })
  .strict()
  .refine((o) => o.toS > o.fromS, { message: "expected toS after fromS" });

export const suiteSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9._-]+$/, { message: "expected letters, digits, '.', '_' or '-'" }),
    description: z.string().default(""),
    /** Every drive is cut (or extended) to this length (s). */
    durationS: finite.refine((v) => v > 0 && v <= 120, { message: "expected 0 < durationS <= 120" }),
    tickHz: finite.refine((v) => v >= 1 && v <= 50, { message: "expected 1..50 Hz" }).default(10),
    /** The condition the robustness ratios divide by. */
    cleanCondition: conditionName.default("clear"),
    conditions: z.array(conditionName).min(1),
    drives: z.array(drive).min(1),
    /** A drive with sensors dropping out and coming back, for the re-admission time. */
    recovery: z
      .object({ drive: z.string().min(1), outages: z.array(outage).min(1) })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const names = new Set<string>();
    s.drives.forEach((d, i) => {
      const n = driveName(d);
      if (names.has(n)) ctx.addIssue({ code: "custom", path: ["drives", i, "name"], message: `duplicate drive name "${n}"` });
      names.add(n);
    });
    if (s.recovery && !names.has(s.recovery.drive)) {
      ctx.addIssue({
        code: "custom",
        path: ["recovery", "drive"],
        message: `"${s.recovery.drive}" is not a drive of this suite (${[...names].join(", ")})`,
      });
    }
    s.recovery?.outages.forEach((o, i) => {
      if (o.toS >= s.durationS)
        ctx.addIssue({
          code: "custom",
          path: ["recovery", "outages", i, "toS"],
          message: `expected before the end of the drive (${s.durationS} s)`,
        });
    });
  });

export type SuiteDefinition = z.infer<typeof suiteSchema>;
export type SuiteDrive = SuiteDefinition["drives"][number];
export type SuiteOutage = NonNullable<SuiteDefinition["recovery"]>["outages"][number];

function driveName(d: { name?: string | undefined; scenario?: string | undefined; random?: number | undefined }): string {
  if (d.name !== undefined) return d.name;
  if (d.scenario !== undefined) return d.scenario.replace(/^.*[\\/]/, "").replace(/\.(ya?ml|json)$/, "");
  return `random-${d.random}`;
}

/** Validates a parsed suite; `source` names it in errors. */
export function validateSuite(value: unknown, source = "inline"): SuiteDefinition {
  const r = suiteSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join(".") : "(root)";
    const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more)` : "";
    throw new BadInputError({ where: `suite ${source}`, what: `${where}: ${(issue?.message ?? "invalid").split("\n")[0]}${more}` });
  }
  return r.data;
}

/** Parses suite text (YAML or JSON) and validates it. */
export function parseSuite(text: string, source = "inline"): SuiteDefinition {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    throw new BadInputError({
      where: `suite ${source}`,
      what: `not valid YAML/JSON: ${(err instanceof Error ? err.message : String(err)).split("\n")[0]}`,
    });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new BadInputError({
      where: `suite ${source}`,
      what: `expected a mapping at the top level, got ${Array.isArray(value) ? "a list" : value === null ? "nothing" : typeof value}`,
    });
  }
  return validateSuite(value, source);
}

/** A condition's weather and faults. */
export type SuiteCondition = {
  name: string;
  visibilityM: number | undefined;
  /** The sensor dropped for the whole drive, if any. */
  missing: "camera" | "lidar" | "radar" | "audio" | undefined;
};

export function parseCondition(name: string): SuiteCondition {
  const m = CONDITION_RE.exec(name);
  if (!m) throw new BadInputError({ where: `condition "${name}"`, what: "", expected: "clear, fog-<V>m or <sensor>-missing" });
  return { name, visibilityM: m[2] !== undefined ? Number(m[2]) : undefined, missing: m[3] as SuiteCondition["missing"] };
}

/** One simulated recording of the suite. */
export type SuiteRun = {
  drive: string;
  condition: SuiteCondition;
  scenario: Scenario;
  /** The drive's scenario before the condition was applied. */
  base: Scenario;
};

export const CLEAR: SuiteCondition = { name: "clear", visibilityM: undefined, missing: undefined };

/**
 * The drive's base scenario at the suite's length, in the given condition: weather and faults are
 * the condition's (a random drive's own fog, night and faults are removed).
 */
export function applyCondition(
  base: Scenario,
  condition: SuiteCondition,
  durationS: number,
  faults: ScenarioInput["faults"] = [],
): Scenario {
  const input: ScenarioInput = {
    ...base,
    name: `${base.name}@${condition.name}`,
    durationS,
    weather: condition.visibilityM !== undefined ? { visibilityM: condition.visibilityM, night: false } : { night: false },
    faults: [...(condition.missing ? [{ type: "dropout" as const, sensor: condition.missing, fromS: 0 }] : []), ...(faults ?? [])],
  };
  return validateScenario(input, `suite condition ${condition.name} of ${base.name}`);
}

/** Loads a drive's base scenario: `load(nameOrPath)` for named/path drives, randomScenario for seeds. */
export function baseScenario(d: SuiteDrive, durationS: number, load: (nameOrPath: string) => Scenario): Scenario {
  return d.random !== undefined ? randomScenario(d.random, durationS) : load(d.scenario!);
}

/** Every drive × condition of the suite, drives in file order, conditions in the drive's order. */
export function expandSuite(suite: SuiteDefinition, load: (nameOrPath: string) => Scenario): SuiteRun[] {
  const runs: SuiteRun[] = [];
  for (const d of suite.drives) {
    const base = baseScenario(d, suite.durationS, load);
    for (const c of d.conditions ?? suite.conditions) {
      const condition = parseCondition(c);
      runs.push({ drive: driveName(d), condition, scenario: applyCondition(base, condition, suite.durationS), base });
    }
  }
  return runs;
}

/** The recovery drive: clear air with the suite's outages (sensor drops out and comes back). */
export function recoveryRun(suite: SuiteDefinition, load: (nameOrPath: string) => Scenario): SuiteRun | undefined {
  if (!suite.recovery) return undefined;
  const d = suite.drives.find((x) => driveName(x) === suite.recovery!.drive)!;
  const faults = suite.recovery.outages.map((o) => ({ type: "dropout" as const, sensor: o.sensor, fromS: o.fromS, toS: o.toS }));
  const base = baseScenario(d, suite.durationS, load);
  const scenario = applyCondition(base, CLEAR, suite.durationS, faults);
  return {
    drive: driveName(d),
    condition: { ...CLEAR, name: "recovery" },
    scenario: { ...scenario, name: `${scenario.name.replace(/@clear$/, "")}@recovery` },
    base,
  };
}

export { driveName };
