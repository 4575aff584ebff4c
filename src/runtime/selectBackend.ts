import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { BadInputError } from "../types/errors";
import { registerWasmTrainingKernels } from "./wasmTrainingKernels";

/** A tfjs backend avfusion can run on, fastest first. */
export type BackendName = "tensorflow" | "wasm" | "cpu";
/** What a user may ask for: one backend, or `auto` (the first that loads, in `BACKEND_ORDER`). */
export type BackendChoice = BackendName | "auto";

export const BACKEND_ORDER: readonly BackendName[] = ["tensorflow", "wasm", "cpu"];
export const BACKEND_CHOICES: readonly BackendChoice[] = ["auto", ...BACKEND_ORDER];

/** Native bindings tried for the `tensorflow` backend, in order. Both are optional dependencies. */
export const TENSORFLOW_PACKAGES: readonly string[] = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"];

export type BackendSelection = {
  /** The backend that now runs (`tf.getBackend()`). */
  backend: BackendName;
  requested: BackendChoice;
  /** Why this one: the package that provided it, or what the faster ones lacked. */
  reason: string;
  /** The faster backends that were tried and why each was passed over (auto only). */
  skipped: { backend: BackendName; reason: string }[];
  /** The one line that was logged. */
  logLine: string;
};

export type SelectBackendOptions = {
  /** `--backend` flag or config value; default `auto`. */
  backend?: BackendChoice;
  /** Where the single start-up line goes; default stderr, so stdout stays clean for data sinks. */
  log?: (line: string) => void;
  /** Loads an optional package by name; injectable for tests. Default: `require`. */
  load?: (packageName: string) => unknown;
};

/**
 * Validates a `--backend` / config value; `where` names the flag or config key for the message.
 * A bad value is a BadInputError with code `usage`.
 */
export function parseBackendChoice(value: unknown, where = "--backend"): BackendChoice {
  if (typeof value === "string" && (BACKEND_CHOICES as readonly string[]).includes(value)) {
    return value as BackendChoice;
  }
  throw new BadInputError({ where, what: `expected one of ${BACKEND_CHOICES.join("|")}, got ${JSON.stringify(value)}`, code: "usage" });
}

/** Directory holding the tfjs-backend-wasm `.wasm` binaries, with the trailing slash tfjs needs. */
export function wasmBinaryDir(): string {
  return path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm")) + "/";
}

function defaultLoad(packageName: string): unknown {
  // A plain require: the package is optional and named at run time, so it cannot be an import.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(packageName);
}

function isModuleNotFound(err: unknown, packageName: string): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return (
    e !== null &&
    typeof e === "object" &&
    e.code === "MODULE_NOT_FOUND" &&
    typeof e.message === "string" &&
    e.message.includes(`'${packageName}'`)
  );
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split("\n")[0] ?? text;
}

type Attempt = { ok: true; detail: string } | { ok: false; reason: string };

async function tryTensorflow(load: (name: string) => unknown): Promise<Attempt> {
  const failures: string[] = [];
  // libtensorflow logs its CPU-feature and device banners to stderr unless told otherwise; our
  // one line says what runs. A value the user set is kept.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
  for (const pkg of TENSORFLOW_PACKAGES) {
    try {
      load(pkg);
    } catch (err) {
      failures.push(isModuleNotFound(err, pkg) ? `${pkg} not installed` : `${pkg} failed to load: ${firstLine(err)}`);
      continue;
    }
    if (tf.findBackendFactory("tensorflow") == null) {
      failures.push(`${pkg} loaded but registered no 'tensorflow' backend with this @tensorflow/tfjs-core`);
      continue;
    }
    if (await setBackendQuietly("tensorflow")) return { ok: true, detail: [pkg, ...failures].join("; ") };
    failures.push(`${pkg} loaded but the 'tensorflow' backend failed to initialise`);
  }
  return { ok: false, reason: failures.join(", ") };
}

async function tryWasm(): Promise<Attempt> {
  try {
    setWasmPaths(wasmBinaryDir());
  } catch (err) {
    return { ok: false, reason: `@tensorflow/tfjs-backend-wasm binaries not found: ${firstLine(err)}` };
  }
  if (!(await setBackendQuietly("wasm"))) {
    return { ok: false, reason: `wasm backend failed to initialise from ${wasmBinaryDir()}` };
  }
  registerWasmTrainingKernels();
  const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
  const threads = getThreadsCount();
  return { ok: true, detail: `${simd ? "simd" : "no simd"}, ${threads} thread${threads === 1 ? "" : "s"}` };
}

async function tryCpu(): Promise<Attempt> {
  if (!(await setBackendQuietly("cpu"))) return { ok: false, reason: "cpu backend failed to initialise" };
  // The cpu backend prints a multi-line "install tfjs-node" banner on first use; our line says it.
  const cpu = tf.findBackend("cpu") as unknown as { firstUse?: boolean } | null;
  if (cpu && typeof cpu.firstUse === "boolean") cpu.firstUse = false;
  return { ok: true, detail: "" };
}

/**
 * tfjs prints its own multi-line warning when a backend factory throws; we report one line
 * ourselves, so silence console.warn for the duration of the attempt.
 */
async function setBackendQuietly(name: BackendName): Promise<boolean> {
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  } finally {
    console.warn = warn;
  }
}

function attempt(name: BackendName, load: (p: string) => unknown): Promise<Attempt> {
  switch (name) {
    case "tensorflow":
      return tryTensorflow(load);
    case "wasm":
      return tryWasm();
    case "cpu":
      return tryCpu();
  }
}

/**
 * Picks and activates the tfjs backend at start-up and logs one line saying which and why.
 * `auto` tries tensorflow → wasm → cpu; a missing optional backend only shows in the reason.
 * An explicitly requested backend that cannot run here (the user asked for one this machine lacks)
 * throws a BadInputError with code `usage`.
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendSelection> {
  const requested = parseBackendChoice(options.backend ?? "auto");
  const log = options.log ?? ((line: string) => process.stderr.write(line + "\n"));
  const load = options.load ?? defaultLoad;

  const finish = (backend: BackendName, reason: string, skipped: BackendSelection["skipped"]): BackendSelection => {
    const logLine = `avfusion: backend ${backend} (${reason})`;
    log(logLine);
    return { backend, requested, reason, skipped, logLine };
  };

  if (requested !== "auto") {
    const result = await attempt(requested, load);
    if (!result.ok) {
      throw new BadInputError({ where: `backend ${requested} was requested but is unavailable`, what: result.reason, code: "usage" });
    }
    return finish(requested, ["requested", result.detail].filter((s) => s !== "").join("; "), []);
  }

  const skipped: BackendSelection["skipped"] = [];
  for (const name of BACKEND_ORDER) {
    const result = await attempt(name, load);
    if (result.ok) {
      const why = skipped.map((s) => `${s.backend}: ${s.reason}`);
      const reason = [...why, result.detail].filter((s) => s !== "").join("; ");
      return finish(name, reason === "" ? "first choice" : reason, skipped);
    }
    skipped.push({ backend: name, reason: result.reason });
  }
  // cpu is built into tfjs; reaching here means tfjs itself is broken.
  throw new Error(`no tfjs backend could start: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join("; ")}`);
}
