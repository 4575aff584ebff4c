import { isModelFileError, modelFileError, modelsDirOf, type ModelFiles } from "../../runtime/modelFiles";
import type { FusionHead } from "../fusionHead";
import { loadFusionHead } from "./model";
import { createNaiveFusionHead } from "./naiveHead";

export const FUSION_HEAD_CHOICES = ["learned", "naive", "none"] as const;
export type FusionHeadChoice = (typeof FUSION_HEAD_CHOICES)[number];

export function parseFusionHeadChoice(value: unknown, where = "--fusion-head"): FusionHeadChoice {
  if (typeof value === "string" && (FUSION_HEAD_CHOICES as readonly string[]).includes(value)) return value as FusionHeadChoice;
  throw modelFileError(`${where} ${String(value)}`, `expected one of ${FUSION_HEAD_CHOICES.join("|")}`);
}

export type SelectedHead = {
  choice: FusionHeadChoice;
  head: FusionHead | undefined;
  /** One line for the log: which head runs, and why. */
  line: string;
  dispose: () => void;
};

/**
 * The fusion head a tool runs: `learned` (the shipped `<modelsDir>/fusion/`), `naive` (score
 * averaging) or `none` (the tracker's own Bayesian existence). Without a choice: learned when
 * `<modelsDir>/fusion/model.json` can be read, else none. An explicit `learned` whose files are
 * missing or malformed throws a model file error (bad input, exit 2). `modelsDir` defaults to
 * `files.modelsDir` (the package's own models for `nodeModelFiles()`).
 */
export async function selectFusionHead(files: ModelFiles, modelsDir?: string, choice?: FusionHeadChoice): Promise<SelectedHead> {
  const dir = `${modelsDirOf(files, modelsDir).replace(/\/+$/, "")}/fusion`;
  if (choice === "none")
    return { choice, head: undefined, line: "fusion head: none (tracker existence and class only)", dispose: () => {} };
  if (choice === "naive")
    return {
      choice,
      head: createNaiveFusionHead(),
      line: "fusion head: naive (score averaging over the sensors that could see each track)",
      dispose: () => {},
    };
  if (choice === undefined) {
    try {
      await files.read(`${dir}/model.json`);
    } catch (err) {
      if (!isModelFileError(err)) throw err;
      return {
        choice: "none",
        head: undefined,
        line: `fusion head: none (no ${dir}/model.json; tracker existence and class only)`,
        dispose: () => {},
      };
    }
  }
  const head = await loadFusionHead(files, modelsDir);
  const o = head.metadata.output;
  return {
    choice: "learned",
    head,
    line: `fusion head: learned ${head.metadata.modelVersion} from ${dir} (existence${o.refineClass ? ", class" : ""}${o.refinePosition ? ", position" : ""})`,
    dispose: () => head.dispose(),
  };
}
