import * as fs from "node:fs";
import * as path from "node:path";
import type { SensorKind } from "../types";
import { BadInputError } from "../types/errors";

const KINDS: readonly SensorKind[] = ["camera", "lidar", "radar", "audio"];

/** Per sensor kind, the model folder chosen instead of the shipped one. */
export type ModelChoices = Partial<Record<SensorKind, string>>;

/**
 * `--model KIND=NAME|PATH` (several, or comma-separated) over the config's `models`: NAME is a
 * folder of the models folder (`camera-coco`), PATH any folder (it has a `/`, or starts with `.`).
 * For `camera` the folder holds the card of the detector for cameras other than the network's
 * (`card.json`); for the other kinds a model of the shipped architecture (model.json,
 * weights.bin, metadata.json). A folder that is not there is one line naming the flag.
 */
export function resolveModelChoices(
  flags: readonly string[] | undefined,
  config: ModelChoices | undefined,
  modelsDir: string,
): ModelChoices {
  const out: ModelChoices = {};
  const entries: [string, string, string][] = [
    ...Object.entries(config ?? {}).map(([k, v]): [string, string, string] => [k, v, `config models.${k}`]),
    ...(flags ?? [])
      .flatMap((f) => f.split(","))
      .map((f): [string, string, string] => {
        const [k = "", ...rest] = f.split("=");
        return [k.trim(), rest.join("=").trim(), `--model ${f}`];
      }),
  ];
  for (const [kind, value, where] of entries) {
    if (!(KINDS as readonly string[]).includes(kind))
      throw new BadInputError({
        where,
        what: `"${kind}" is not a sensor kind`,
        expected: `KIND=NAME|PATH with KIND one of ${KINDS.join(", ")}`,
        code: "usage",
      });
    if (value === "")
      throw new BadInputError({
        where,
        what: "no folder",
        expected: `${kind}=NAME (a folder of ${modelsDir}) or ${kind}=PATH`,
        code: "usage",
      });
    const dir = value.includes("/") || value.startsWith(".") ? path.resolve(value) : path.join(modelsDir, value);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
      throw new BadInputError({
        where,
        what: `no such folder ${dir}`,
        expected: "a model folder (with card.json for camera detectors)",
        code: "usage",
      });
    out[kind as SensorKind] = dir;
  }
  return out;
}
