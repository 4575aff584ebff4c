/*
 * Conv2d forward / backward kernels on the wasm and cpu backends in one run, and a small CNN
 * training step (conv → relu → maxPool → conv → relu → avgPool → dense, Adam) on each.
 * On wasm, Conv2DBackpropFilter (missing in tfjs-backend-wasm) and Conv2DBackpropInput (replaced,
 * tfjs-backend-wasm's own is timed too) are avfusion's (src/runtime/wasmTrainingKernels.ts);
 * the other kernels are tfjs-backend-wasm's.
 *
 *   node --require ./bench/register.js bench/runtime.ts [--reps N]
 *
 * Figures: fastest of N reps after one warm-up, in ms (a kernel whose first run takes over 2 s is
 * timed once, marked *), GFLOP/s counting 2 flops per multiply-add, and the cpu/wasm ratio.
 */
import * as os from "node:os";
import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "../src/runtime/selectBackend";
import { useWasmKernelReplacements } from "../src/runtime/wasmTrainingKernels";

type Layer = { name: string; x: [number, number, number, number]; w: [number, number, number, number]; stride: number };

// Shapes of the kind the encoders use: a camera stem, a mid-level block, a BEV grid layer.
const LAYERS: Layer[] = [
  { name: "stem 8×96×96×3→16 s2", x: [8, 96, 96, 3], w: [3, 3, 3, 16], stride: 2 },
  { name: "mid 8×48×48×16→32", x: [8, 48, 48, 16], w: [3, 3, 16, 32], stride: 1 },
  { name: "bev 2×64×64×32→32", x: [2, 64, 64, 32], w: [3, 3, 32, 32], stride: 1 },
];

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/**
 * Fastest of `reps` runs of `f` (outputs downloaded and disposed), after one warm-up; `once` when
 * a single run is slow. The minimum, not the median: this machine is shared, and the minimum is
 * the figure other processes disturb least.
 */
function time(reps: number, f: () => tf.Tensor | tf.Tensor[] | void): { ms: number; once: boolean } {
  const run = () => {
    const t0 = process.hrtime.bigint();
    tf.tidy(() => {
      const out = f();
      if (out) for (const t of Array.isArray(out) ? out : [out]) t.dataSync();
    });
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const first = run();
  if (first > 2000) return { ms: first, once: true };
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) ms.push(run());
  return { ms: Math.min(...ms), once: false };
}

const fmt = (t: { ms: number; once: boolean }) => `${t.ms.toFixed(1)}${t.once ? "*" : ""}`;

async function kernels(reps: number): Promise<void> {
  console.log("\n| layer | kernel | wasm ms | wasm GFLOP/s | cpu ms | cpu GFLOP/s | cpu/wasm |");
  console.log("|---|---|---:|---:|---:|---:|---:|");
  for (const layer of LAYERS) {
    const [n, h, w] = layer.x;
    const [kh, kw, ci, co] = layer.w;
    const oh = Math.ceil(h / layer.stride);
    const ow = Math.ceil(w / layer.stride);
    const gflop = (2 * n * oh * ow * kh * kw * ci * co) / 1e9;
    const x = tf.randomNormal(layer.x, 0, 1, "float32", 1);
    const k = tf.randomNormal(layer.w, 0, 0.1, "float32", 2);
    const dy = tf.randomNormal([n, oh, ow, co], 0, 1, "float32", 3);
    const common = { strides: layer.stride, pad: "same", dataFormat: "NHWC" };
    const passes: [string, () => tf.Tensor][] = [
      ["Conv2D (forward)", () => tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, layer.stride, "same")],
      [
        "Conv2DBackpropFilter",
        () => tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, { ...common, filterShape: layer.w }) as tf.Tensor,
      ],
      [
        "Conv2DBackpropInput",
        () => tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: k }, { ...common, inputShape: layer.x }) as tf.Tensor,
      ],
    ];
    await tf.setBackend("wasm");
    useWasmKernelReplacements(false);
    const builtin = time(reps, passes[2][1]);
    useWasmKernelReplacements(true);
    console.log(
      `| ${layer.name} | Conv2DBackpropInput, tfjs-backend-wasm's own | ${fmt(builtin)} | ${(gflop / (builtin.ms / 1e3)).toFixed(2)} | | | |`,
    );
    for (const [name, f] of passes) {
      await tf.setBackend("wasm");
      const wt = time(reps, f);
      await tf.setBackend("cpu");
      const ct = time(Math.min(reps, 3), f);
      console.log(
        `| ${layer.name} | ${name} | ${fmt(wt)} | ${(gflop / (wt.ms / 1e3)).toFixed(2)} | ${fmt(ct)} | ${(gflop / (ct.ms / 1e3)).toFixed(2)} | ${(ct.ms / wt.ms).toFixed(1)}× |`,
      );
    }
    tf.dispose([x, k, dy]);
  }
}

async function depthwise(reps: number): Promise<void> {
  console.log("\n| depthwise 3×3, 8×48×48×32, stride 1 | wasm ms | cpu ms | cpu/wasm |");
  console.log("|---|---:|---:|---:|");
  const x = tf.randomNormal([8, 48, 48, 32], 0, 1, "float32", 8);
  const k = tf.randomNormal([3, 3, 32, 1], 0, 0.1, "float32", 9);
  const dy = tf.randomNormal([8, 48, 48, 32], 0, 1, "float32", 10);
  const attrs = { strides: 1, dilations: 1, pad: "same" };
  const passes: [string, () => tf.Tensor][] = [
    ["DepthwiseConv2dNative (forward, wasm's own)", () => tf.depthwiseConv2d(x as tf.Tensor4D, k as tf.Tensor4D, 1, "same")],
    [
      "DepthwiseConv2dNativeBackpropFilter",
      () => tf.engine().runKernel("DepthwiseConv2dNativeBackpropFilter", { x, dy }, { ...attrs, filterShape: [3, 3, 32, 1] }) as tf.Tensor,
    ],
    [
      "DepthwiseConv2dNativeBackpropInput",
      () =>
        tf
          .engine()
          .runKernel("DepthwiseConv2dNativeBackpropInput", { dy, filter: k }, { ...attrs, inputShape: [8, 48, 48, 32] }) as tf.Tensor,
    ],
  ];
  for (const [name, f] of passes) {
    await tf.setBackend("wasm");
    const wt = time(reps, f);
    await tf.setBackend("cpu");
    const ct = time(Math.min(reps, 3), f);
    console.log(`| ${name} | ${fmt(wt)} | ${fmt(ct)} | ${(ct.ms / wt.ms).toFixed(1)}× |`);
  }
  tf.dispose([x, k, dy]);
}

async function trainingStep(reps: number): Promise<void> {
  console.log("\n| small CNN, batch 16 × 32×32×3, one Adam step | ms |");
  console.log("|---|---:|");
  for (const backend of ["wasm", "wasm (builtin Conv2DBackpropInput)", "cpu"] as const) {
    await tf.setBackend(backend === "cpu" ? "cpu" : "wasm");
    useWasmKernelReplacements(backend === "wasm");
    const w1 = tf.variable(tf.randomNormal([3, 3, 3, 16], 0, 0.2, "float32", 4));
    const w2 = tf.variable(tf.randomNormal([3, 3, 16, 32], 0, 0.1, "float32", 5));
    const w3 = tf.variable(tf.randomNormal([8 * 8 * 32, 4], 0, 0.05, "float32", 6));
    const x = tf.randomNormal([16, 32, 32, 3], 0, 1, "float32", 7) as tf.Tensor4D;
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3], "int32"), 4);
    const opt = tf.train.adam(1e-3);
    const loss = () => {
      let hdn = tf.maxPool(tf.relu(tf.conv2d(x, w1 as tf.Tensor4D, 1, "same")), 2, 2, "same");
      hdn = tf.avgPool(tf.relu(tf.conv2d(hdn, w2 as tf.Tensor4D, 1, "same")), 2, 2, "same");
      return tf.losses.softmaxCrossEntropy(y, tf.matMul(hdn.reshape([16, -1]), w3)) as tf.Scalar;
    };
    const t = time(reps, () => {
      opt.minimize(loss, false, [w1, w2, w3]);
    });
    console.log(`| ${backend} | ${fmt(t)} |`);
    tf.dispose([w1, w2, w3, x, y]);
    opt.dispose();
  }
  useWasmKernelReplacements(true);
}

async function main(): Promise<void> {
  const reps = arg("--reps", 7);
  tf.env().set("PROD", true); // no per-op NaN checks or console banners while timing
  const sel = await selectBackend({ backend: "wasm", log: () => undefined });
  console.log(
    `# bench/runtime — ${os.cpus()[0]?.model ?? "?"} (${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}), ` +
      `node ${process.version}, tfjs ${tf.version.tfjs}, wasm: ${sel.reason}; fastest of ${reps}`,
  );
  await kernels(reps);
  await depthwise(reps);
  await trainingStep(reps);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
