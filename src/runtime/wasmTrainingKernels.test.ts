import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "./selectBackend";
import { setIm2colChunkFloats } from "./wasmConv2DGradients";
import {
  registerWasmTrainingKernels,
  useWasmKernelReplacements,
  WASM_REPLACED_KERNELS,
  WASM_TRAINING_KERNELS,
} from "./wasmTrainingKernels";

/*
 * The wasm gradients are checked against tfjs's cpu backend (plain JS reference kernels).
 * Tolerance: max |wasm − cpu| ≤ 1e-4 · max |cpu| per gradient tensor; float32 sums in a different
 * order differ by a few ulps of the largest terms, so an element-wise relative test would flag
 * near-zero entries that are only rounding noise.
 */
const REL_TOL = 1e-4;

function seeded(n: number, seed: number): Float32Array {
  // xorshift32: deterministic inputs with no tfjs randomness involved.
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 0xffffffff) * 2 - 1;
  }
  return out;
}

const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  expect(scale).toBeGreaterThan(0);
  return diff / scale;
}

/** Runs `f` on a backend and returns every gradient as a plain array (no tensors survive). */
async function on(backend: "wasm" | "cpu", f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() =>
    f()
      .map((t) => t.dataSync() as Float32Array)
      .map((d) => Float32Array.from(d)),
  );
}

async function compare(f: () => tf.Tensor[]): Promise<number[]> {
  const w = await on("wasm", f);
  const c = await on("cpu", f);
  return w.map((g, i) => maxRelDiff(g, c[i]));
}

beforeAll(async () => {
  await selectBackend({ backend: "wasm", log: () => undefined });
  // IS_TEST makes the engine check every kernel for wasm buffers it allocated and did not return
  // (and silences the cpu backend's "install tfjs-node" banner).
  tf.env().set("IS_TEST", true);
});

test("the kernels are registered once: missing ones added, slow ones replaced", () => {
  expect(registerWasmTrainingKernels()).toEqual([]); // selectBackend already did it
  for (const k of [...WASM_TRAINING_KERNELS, ...WASM_REPLACED_KERNELS]) expect(tf.getKernel(k, "wasm")).toBeDefined();
  // What training needs and wasm already has well.
  for (const k of ["MaxPoolGrad", "AvgPoolGrad", "FusedConv2D", "BatchMatMul", "Relu", "Step"]) {
    expect(tf.getKernel(k, "wasm")).toBeDefined();
  }
});

type ConvCase = {
  x: [number, number, number, number];
  w: [number, number, number, number];
  stride: 1 | 2 | [number, number];
  pad: "same" | "valid" | tf.backend_util.ExplicitPadding;
};
const convCases: ConvCase[] = [
  { x: [2, 7, 7, 3], w: [3, 3, 3, 4], stride: 1, pad: "same" },
  { x: [2, 7, 7, 3], w: [3, 3, 3, 4], stride: 1, pad: "valid" },
  { x: [2, 8, 8, 3], w: [3, 3, 3, 5], stride: 2, pad: "same" },
  { x: [2, 9, 9, 3], w: [3, 3, 3, 5], stride: 2, pad: "valid" },
  { x: [1, 9, 11, 2], w: [5, 5, 2, 3], stride: 2, pad: "same" },
  { x: [3, 6, 10, 4], w: [1, 1, 4, 6], stride: 1, pad: "valid" },
  { x: [1, 10, 8, 2], w: [2, 4, 2, 3], stride: [2, 1], pad: "same" },
  {
    x: [2, 7, 8, 3],
    w: [3, 3, 3, 2],
    stride: 2,
    pad: [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ],
  },
];

test.each(convCases)("conv2d gradients on wasm match cpu: x $x w $w stride $stride pad $pad", async ({ x, w, stride, pad }) => {
  const xv = seeded(size(x), 1);
  const wv = seeded(size(w), 2);
  const diffs = await compare(() => {
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf
        .conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad)
        .square()
        .sum(),
    );
    return g([tf.tensor4d(xv, x), tf.tensor4d(wv, w)]);
  });
  for (const d of diffs) expect(d).toBeLessThanOrEqual(REL_TOL);
});

test("fused conv2d (bias + relu) gradients on wasm match cpu", async () => {
  const x: [number, number, number, number] = [2, 8, 8, 3];
  const w: [number, number, number, number] = [3, 3, 3, 4];
  const xv = seeded(size(x), 3);
  const wv = seeded(size(w), 4);
  const bv = seeded(4, 5);
  const diffs = await compare(() => {
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
      tf.fused
        .conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 2, pad: "same", bias: c, activation: "relu" })
        .square()
        .sum(),
    );
    return g([tf.tensor4d(xv, x), tf.tensor4d(wv, w), tf.tensor1d(bv)]);
  });
  expect(diffs).toHaveLength(3);
  for (const d of diffs) expect(d).toBeLessThanOrEqual(REL_TOL);
});

test("conv2d input and weight gradients are the same when im2col runs in several chunks", async () => {
  const x: [number, number, number, number] = [3, 10, 9, 4];
  const w: [number, number, number, number] = [3, 3, 4, 5];
  const xv = seeded(size(x), 6);
  const dyv = seeded(3 * 5 * 5 * 5, 7);
  const f = () => {
    const xt = tf.tensor4d(xv, x);
    const dy = tf.tensor4d(dyv, [3, 5, 5, 5]);
    const wt = tf.tensor4d(seeded(size(w), 8), w);
    return tf.grads((a: tf.Tensor, k: tf.Tensor) =>
      tf
        .conv2d(a as tf.Tensor4D, k as tf.Tensor4D, 2, "same")
        .mul(dy)
        .sum(),
    )([xt, wt]);
  };
  // 36 columns a row; 1000 floats → 27 rows a chunk: 75 rows in 3 chunks, the last one partial.
  const previous = setIm2colChunkFloats(1000);
  try {
    const diffs = await compare(f);
    expect(diffs).toHaveLength(2);
    for (const d of diffs) expect(d).toBeLessThanOrEqual(REL_TOL);
  } finally {
    setIm2colChunkFloats(previous);
  }
});

test("the replaced Conv2DBackpropInput agrees with tfjs-backend-wasm's own, and can be switched back", async () => {
  await tf.setBackend("wasm");
  const x: [number, number, number, number] = [2, 11, 9, 5];
  const w: [number, number, number, number] = [3, 3, 5, 7];
  const dyShape: [number, number, number, number] = [2, 6, 5, 7];
  const dyv = seeded(size(dyShape), 40);
  const wv = seeded(size(w), 41);
  const run = () =>
    tf.tidy(() =>
      Float32Array.from(
        (
          tf
            .engine()
            .runKernel(
              "Conv2DBackpropInput",
              { dy: tf.tensor4d(dyv, dyShape), filter: tf.tensor4d(wv, w) },
              { strides: 2, pad: "same", dataFormat: "NHWC", inputShape: x },
            ) as tf.Tensor
        ).dataSync() as Float32Array,
      ),
    );
  const ours = run();
  expect(useWasmKernelReplacements(false)).toEqual(["Conv2DBackpropInput"]);
  const builtin = run();
  expect(useWasmKernelReplacements(true)).toEqual(["Conv2DBackpropInput"]);
  expect(useWasmKernelReplacements(true)).toEqual([]);
  expect(maxRelDiff(ours, builtin)).toBeLessThanOrEqual(REL_TOL);
});

test("conv2dTranspose (which runs Conv2DBackpropInput) on wasm matches cpu", async () => {
  const xv = seeded(2 * 5 * 6 * 4, 50);
  const wv = seeded(3 * 3 * 3 * 4, 51);
  const diffs = await compare(() => [
    tf.conv2dTranspose(tf.tensor4d(xv, [2, 5, 6, 4]), tf.tensor4d(wv, [3, 3, 3, 4]), [2, 10, 12, 3], 2, "same"),
  ]);
  expect(diffs[0]).toBeLessThanOrEqual(REL_TOL);
});

type DwCase = { x: [number, number, number, number]; w: [number, number, number, number]; stride: 1 | 2; pad: "same" | "valid" };
const dwCases: DwCase[] = [
  { x: [2, 7, 7, 3], w: [3, 3, 3, 1], stride: 1, pad: "same" },
  { x: [2, 8, 8, 3], w: [3, 3, 3, 2], stride: 2, pad: "same" },
  { x: [1, 9, 9, 4], w: [5, 5, 4, 1], stride: 2, pad: "valid" },
];

test.each(dwCases)("depthwise conv2d gradients on wasm match cpu: x $x w $w stride $stride $pad", async ({ x, w, stride, pad }) => {
  const xv = seeded(size(x), 8);
  const wv = seeded(size(w), 9);
  const diffs = await compare(() => {
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf
        .depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad)
        .square()
        .sum(),
    );
    return g([tf.tensor4d(xv, x), tf.tensor4d(wv, w)]);
  });
  for (const d of diffs) expect(d).toBeLessThanOrEqual(REL_TOL);
});

test("the gradient of gather (UnsortedSegmentSum) matches cpu, repeated and unused indices included", async () => {
  const table = seeded(6 * 4, 10);
  const idx = [0, 3, 3, 5, 0, 3];
  const diffs = await compare(() => {
    const g = tf.grad((t: tf.Tensor) =>
      tf
        .gather(t, tf.tensor1d(idx, "int32"))
        .mul(tf.range(1, 25).reshape([6, 4]))
        .sum(),
    );
    return [g(tf.tensor2d(table, [6, 4]))];
  });
  expect(diffs[0]).toBe(0);
  await tf.setBackend("wasm");
  const direct = tf.tidy(() => tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3, 4]), tf.tensor1d([2, 0, 2, 7], "int32"), 3).arraySync());
  expect(direct).toEqual([2, 0, 4]); // id 7 is out of range and dropped
});

function smallCnn(): { params: tf.Variable[]; logits: (x: tf.Tensor4D) => tf.Tensor2D } {
  const fromInit = (init: tf.Tensor) => {
    const variable = tf.variable(init); // shares init's buffer, so init can go
    init.dispose();
    return variable;
  };
  const v = (shape: number[], seed: number, scale: number) =>
    fromInit(tf.tidy(() => tf.tensor(seeded(size(shape), seed), shape).mul(scale)));
  const w1 = v([3, 3, 1, 8], 11, 0.4);
  const b1 = fromInit(tf.zeros([8]));
  const w2 = v([3, 3, 8, 8], 12, 0.15);
  const w3 = v([4 * 4 * 8, 3], 13, 0.1);
  const b3 = fromInit(tf.zeros([3]));
  return {
    params: [w1, b1, w2, w3, b3],
    logits: (x) => {
      let h: tf.Tensor4D = tf.relu(tf.conv2d(x, w1 as tf.Tensor4D, 1, "same").add(b1));
      h = tf.maxPool(h, 2, 2, "same"); // 16 → 8
      h = tf.relu(tf.conv2d(h, w2 as tf.Tensor4D, 1, "same"));
      h = tf.avgPool(h, 2, 2, "valid"); // 8 → 4
      return tf.matMul(h.reshape([x.shape[0], 4 * 4 * 8]), w3).add(b3) as tf.Tensor2D;
    },
  };
}

/** Three classes of 16×16 images: a horizontal bar, a vertical bar, or a blob, at random places. */
function dataset(n: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const img = new Float32Array(n * 256);
  const labels: number[] = [];
  const r = seeded(n * 3, 21);
  for (let i = 0; i < n; i++) {
    const cls = i % 3;
    const p = 2 + Math.floor(((r[i * 3] + 1) / 2) * 11);
    const q = 2 + Math.floor(((r[i * 3 + 1] + 1) / 2) * 11);
    for (let k = 0; k < 12; k++) {
      if (cls === 0) img[i * 256 + p * 16 + Math.min(15, 2 + k)] = 1;
      if (cls === 1) img[i * 256 + Math.min(15, 2 + k) * 16 + q] = 1;
    }
    if (cls === 2) for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) img[i * 256 + (p + a) * 16 + q + b] = 1;
    labels.push(cls);
  }
  return tf.tidy(() => ({ x: tf.tensor4d(img, [n, 16, 16, 1]), y: tf.oneHot(tf.tensor1d(labels, "int32"), 3) as tf.Tensor2D }));
}

test("a small CNN trains on wasm with Adam: 20 steps lower the loss", async () => {
  await tf.setBackend("wasm");
  // tfjs's own softmaxCrossEntropy custom gradient trips the per-kernel leak check (a false
  // positive of customGrad ops); the end-of-test tensor count below still covers leaks.
  tf.env().set("IS_TEST", false);
  const tensorsBefore = tf.memory().numTensors;
  const net = smallCnn();
  const { x, y } = dataset(24);
  const opt = tf.train.adam(0.01);
  const loss = () => tf.losses.softmaxCrossEntropy(y, net.logits(x)) as tf.Scalar;
  const losses: number[] = [];
  for (let step = 0; step < 20; step++) {
    const l = opt.minimize(loss, true, net.params);
    losses.push(l!.dataSync()[0]);
    l!.dispose();
  }
  // Untrained: about ln 3 = 1.10; the classes are easy, so 20 steps must cut it clearly.
  expect(losses[0]).toBeGreaterThan(0.9);
  expect(losses[19]).toBeLessThan(losses[0] * 0.7);
  expect(losses.every(Number.isFinite)).toBe(true);
  tf.dispose([x, y, ...net.params]);
  opt.dispose();
  expect(tf.memory().numTensors).toBe(tensorsBefore);
  tf.env().set("IS_TEST", true);
});

test("a tf.layers model with separable convs, batch norm and dropout fits on wasm", async () => {
  await tf.setBackend("wasm");
  tf.env().set("IS_TEST", false); // tfjs's own customGrad ops trip the per-kernel leak check
  const tensorsBefore = tf.memory().numTensors;
  const { x, y } = dataset(24);
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [16, 16, 1],
        filters: 8,
        kernelSize: 3,
        padding: "same",
        activation: "relu",
        kernelInitializer: init(1),
      }),
      tf.layers.batchNormalization(),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.separableConv2d({
        filters: 8,
        kernelSize: 3,
        padding: "same",
        activation: "relu",
        depthwiseInitializer: init(2),
        pointwiseInitializer: init(3),
      }),
      tf.layers.averagePooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dropout({ rate: 0.1, seed: 4 }),
      tf.layers.dense({ units: 3, activation: "softmax", kernelInitializer: init(5) }),
    ],
  });
  const opt = tf.train.adam(0.01);
  model.compile({ optimizer: opt, loss: "categoricalCrossentropy" });
  const history = await model.fit(x, y, { epochs: 15, batchSize: 24, shuffle: false, verbose: 0 });
  const losses = history.history.loss as number[];
  expect(losses.every(Number.isFinite)).toBe(true);
  expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.7);
  model.dispose();
  opt.dispose(); // Adam's moments are not the model's
  tf.dispose([x, y]);
  expect(tf.memory().numTensors).toBe(tensorsBefore);
  tf.env().set("IS_TEST", true);
});

test("gradient steps on wasm leak no tensors and no wasm buffers", async () => {
  await tf.setBackend("wasm");
  const x = tf.tensor4d(seeded(2 * 12 * 12 * 3, 30), [2, 12, 12, 3]);
  const w = tf.tensor4d(seeded(3 * 3 * 3 * 4, 31), [3, 3, 3, 4]);
  const dw = tf.tensor4d(seeded(3 * 3 * 3 * 2, 32), [3, 3, 3, 2]);
  const step = () =>
    tf.tidy(() => {
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf
          .conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, "same")
          .sum()
          .add(tf.depthwiseConv2d(a as tf.Tensor4D, c as tf.Tensor4D, 1, "same").sum()),
      );
      return g([x, w, dw]).map((t) => t.sum().dataSync()[0]);
    });
  step(); // warm-up: the first call may allocate lazily
  const before = tf.memory();
  for (let i = 0; i < 10; i++) step();
  const after = tf.memory();
  expect(after.numTensors).toBe(before.numTensors);
  // numDataBuffers counts the wasm heap allocations: catches buffers a kernel forgot to free.
  expect(after.numDataBuffers).toBe(before.numDataBuffers);
  expect(after.numBytes).toBe(before.numBytes);
  tf.dispose([x, w, dw]);
});
