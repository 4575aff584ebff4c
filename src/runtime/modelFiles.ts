import * as tf from "@tensorflow/tfjs";
import { BadInputError, isBadInput } from "../types/errors";

/*
 * Shipped models live in `models/<kind>/` as three files: `model.json` (tfjs layers-model format:
 * topology + weights manifest pointing at `weights.bin`), `weights.bin` (float32, little-endian,
 * in manifest order) and `metadata.json` (input contract, classes, training provenance, held-out
 * metrics). Encoders do no IO themselves (DESIGN.md convention 2): they read through a
 * `ModelFiles`, which the CLI backs with the file system and tests back with memory.
 */

/** A flat store of named files under directories, `/`-separated. */
export type ModelFiles = {
  read(path: string): Promise<Uint8Array>;
  write(path: string, data: Uint8Array): Promise<void>;
  /**
   * The directory of the shipped models in this store, used when a caller names none
   * (`nodeModelFiles` sets the package's own `models/`); absent means `models`.
   */
  modelsDir?: string;
};

/** The models directory a loader reads: the one asked for, else the store's own, else `models`. */
export function modelsDirOf(files: ModelFiles, dir?: string): string {
  return dir ?? files.modelsDir ?? "models";
}

/** In-memory ModelFiles (tests, round trips). `entries` exposes what was written. */
export function memoryModelFiles(): ModelFiles & { entries: Map<string, Uint8Array> } {
  const entries = new Map<string, Uint8Array>();
  return {
    entries,
    read: async (path) => {
      const data = entries.get(path);
      if (!data) throw modelFileError(`model file ${path}`, "not found");
      return data;
    },
    write: async (path, data) => {
      entries.set(path, Uint8Array.from(data));
    },
  };
}

/** A missing or malformed model file (or model metadata): bad input, code `model`. */
export function modelFileError(where: string, what: string, expected?: string): BadInputError {
  return new BadInputError({ where, what, expected, code: "model" });
}

/** True for the errors of `modelFileError`, which callers with a fallback model catch. */
export function isModelFileError(err: unknown): err is BadInputError {
  return isBadInput(err) && err.code === "model";
}

export const MODEL_JSON = "model.json";
export const WEIGHTS_BIN = "weights.bin";
export const METADATA_JSON = "metadata.json";

const join = (dir: string, name: string): string => (dir === "" ? name : `${dir.replace(/\/+$/, "")}/${name}`);

function concatWeights(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  const parts = Array.isArray(data) ? data : [data];
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), o);
    o += p.byteLength;
  }
  return out;
}

/** Writes `model` and `metadata` to `dir` (model.json, weights.bin, metadata.json). */
export async function saveModel(model: tf.LayersModel, metadata: object, files: ModelFiles, dir: string): Promise<void> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: "JSON" } };
    }),
  );
  if (!saved || !saved.weightSpecs) throw new Error("saveModel: tfjs produced no model artifacts");
  const weights = concatWeights(saved.weightData);
  const modelJson = {
    format: "layers-model",
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: null,
    modelTopology: saved.modelTopology,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: saved.weightSpecs }],
  };
  const enc = new TextEncoder();
  await files.write(join(dir, MODEL_JSON), enc.encode(JSON.stringify(modelJson)));
  await files.write(join(dir, WEIGHTS_BIN), weights);
  await files.write(join(dir, METADATA_JSON), enc.encode(JSON.stringify(metadata, null, 2) + "\n"));
}

function parseJson(bytes: Uint8Array, path: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw modelFileError(`model file ${path}`, `not valid JSON (${err instanceof Error ? err.message.split("\n")[0] : String(err)})`);
  }
}

type ManifestEntry = { paths: string[]; weights: tf.io.WeightsManifestEntry[] };

/** Reads a model written by `saveModel`; the metadata is returned unchecked for the caller's schema. */
export async function loadModel(files: ModelFiles, dir: string): Promise<{ model: tf.LayersModel; metadata: unknown }> {
  const modelPath = join(dir, MODEL_JSON);
  const json = parseJson(await files.read(modelPath), modelPath) as { modelTopology?: unknown; weightsManifest?: unknown };
  if (!json || typeof json !== "object" || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw modelFileError(`model file ${modelPath}`, "expected a tfjs layers model with modelTopology and weightsManifest");
  }
  const manifest = json.weightsManifest as ManifestEntry[];
  const specs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const group of manifest) {
    specs.push(...group.weights);
    for (const p of group.paths) chunks.push(await files.read(join(dir, p)));
  }
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  const expected = specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (total !== expected) {
    throw modelFileError(
      `model file ${join(dir, WEIGHTS_BIN)}`,
      `expected ${expected} bytes of float32 weights for the manifest, got ${total}`,
    );
  }
  const weightData = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    weightData.set(c, o);
    o += c.byteLength;
  }
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology as object, weightSpecs: specs, weightData: weightData.buffer }),
  );
  const metaPath = join(dir, METADATA_JSON);
  const metadata = parseJson(await files.read(metaPath), metaPath);
  return { model, metadata };
}

/**
 * The kinds among `kinds` whose `<dir>/<kind>/model.json` cannot be read. Checked before a run,
 * because a missing model otherwise shows only as a sensor FAILED on every frame and a scene with
 * no objects: a run that looks like it worked.
 */
export async function missingModels(files: ModelFiles, dir: string, kinds: Iterable<string>): Promise<string[]> {
  const missing: string[] = [];
  for (const kind of new Set(kinds)) {
    try {
      await files.read(join(dir, `${kind}/${MODEL_JSON}`));
    } catch (err) {
      if (!isModelFileError(err)) throw err;
      missing.push(kind);
    }
  }
  return missing;
}

/**
 * Fails when no sensor of a run has its model (bad input, code `model`: exit 2 at the CLI), and
 * returns one warning line per kind that lacks one (those sensors give no evidence).
 */
export async function checkModels(files: ModelFiles, dir: string, kinds: readonly string[]): Promise<string[]> {
  const missing = await missingModels(files, dir, kinds);
  const folder = `a folder of <kind>/${MODEL_JSON} (--models DIR or $AVFUSION_MODELS)`;
  if (kinds.length > 0 && missing.length === new Set(kinds).size) {
    const looked = missing.map((k) => `${k}/${MODEL_JSON}`).join(", ");
    throw modelFileError(`models ${dir}`, `no model for any sensor of the run (looked for ${looked})`, folder);
  }
  return missing.map((k) => `no ${k} model in ${dir} (${k}/${MODEL_JSON}): the ${k} sensors give no evidence; expected ${folder}`);
}
