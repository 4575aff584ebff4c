import * as tf from "@tensorflow/tfjs";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { BadInputError } from "../types/errors";
import { parseBackendChoice, selectBackend, wasmBinaryDir } from "./selectBackend";
import { WASM_TRAINING_KERNELS } from "./wasmTrainingKernels";

/** A loader where no optional package is installed, as `require` reports it. */
function notInstalled(name: string): never {
  const err = new Error(`Cannot find module '${name}'\nRequire stack:\n- somewhere`) as Error & { code: string };
  err.code = "MODULE_NOT_FOUND";
  throw err;
}

describe("selectBackend", () => {
  afterEach(() => {
    if (tf.findBackendFactory("tensorflow") != null) tf.removeBackend("tensorflow");
  });

  test("auto falls back to wasm when no tfjs-node package is installed, and logs exactly one line", async () => {
    const lines: string[] = [];
    const sel = await selectBackend({ log: (l) => lines.push(l), load: notInstalled });
    expect(sel.backend).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^avfusion: backend wasm \(tensorflow: @tensorflow\/tfjs-node-gpu not installed, @tensorflow\/tfjs-node not installed; (simd|no simd), \d+ threads?\)$/,
    );
    expect(sel.skipped.map((s) => s.backend)).toEqual(["tensorflow"]);
    // Selecting wasm also installs the training kernels it lacks.
    for (const k of WASM_TRAINING_KERNELS) expect(tf.getKernel(k, "wasm")).toBeDefined();
  });

  test("the wasm binaries are found next to the package, with a trailing slash", () => {
    expect(wasmBinaryDir()).toMatch(/tfjs-backend-wasm\/dist\/$/);
  });

  test("an explicit cpu request runs cpu and says it was requested", async () => {
    const lines: string[] = [];
    const sel = await selectBackend({ backend: "cpu", log: (l) => lines.push(l), load: notInstalled });
    expect(sel.backend).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
    expect(lines).toEqual(["avfusion: backend cpu (requested)"]);
  });

  test("an explicit tensorflow request that cannot load is a one-line error", async () => {
    const run = selectBackend({ backend: "tensorflow", log: () => undefined, load: notInstalled });
    await expect(run).rejects.toThrow(BadInputError);
    await expect(selectBackend({ backend: "tensorflow", log: () => undefined, load: notInstalled })).rejects.toThrow(
      "backend tensorflow was requested but is unavailable: @tensorflow/tfjs-node-gpu not installed, @tensorflow/tfjs-node not installed",
    );
  });

  test("a package that is installed but broken is reported with its first error line", async () => {
    const lines: string[] = [];
    const load = (name: string): unknown => {
      if (name === "@tensorflow/tfjs-node-gpu") throw new Error("libcudnn.so.8: cannot open shared object file\n    at dlopen");
      return notInstalled(name);
    };
    const sel = await selectBackend({ log: (l) => lines.push(l), load });
    expect(sel.backend).toBe("wasm");
    expect(lines[0]).toContain(
      "tensorflow: @tensorflow/tfjs-node-gpu failed to load: libcudnn.so.8: cannot open shared object file, @tensorflow/tfjs-node not installed",
    );
  });

  test("auto takes the tensorflow backend when a tfjs-node package registers it", async () => {
    const lines: string[] = [];
    const load = (name: string): unknown => {
      if (name === "@tensorflow/tfjs-node-gpu") return notInstalled(name);
      // Stand-in for tfjs-node: it registers a backend named "tensorflow" on import.
      tf.registerBackend("tensorflow", () => new MathBackendCPU(), 3);
      return {};
    };
    const sel = await selectBackend({ log: (l) => lines.push(l), load });
    expect(sel.backend).toBe("tensorflow");
    expect(tf.getBackend()).toBe("tensorflow");
    expect(lines).toEqual(["avfusion: backend tensorflow (@tensorflow/tfjs-node; @tensorflow/tfjs-node-gpu not installed)"]);
  });

  test("a package that loads but registers no backend is passed over", async () => {
    const sel = await selectBackend({ log: () => undefined, load: () => ({}) });
    expect(sel.backend).toBe("wasm");
    expect(sel.skipped[0]?.reason).toBe(
      "@tensorflow/tfjs-node-gpu loaded but registered no 'tensorflow' backend with this @tensorflow/tfjs-core, " +
        "@tensorflow/tfjs-node loaded but registered no 'tensorflow' backend with this @tensorflow/tfjs-core",
    );
  });
});

describe("parseBackendChoice", () => {
  test("accepts the four choices", () => {
    for (const c of ["auto", "tensorflow", "wasm", "cpu"]) expect(parseBackendChoice(c)).toBe(c);
  });

  test("rejects anything else, naming where the value came from", () => {
    expect(() => parseBackendChoice("gpu")).toThrow('--backend: expected one of auto|tensorflow|wasm|cpu, got "gpu"');
    expect(() => parseBackendChoice(3, "runtime.backend")).toThrow("runtime.backend: expected one of auto|tensorflow|wasm|cpu, got 3");
  });
});
