/*
 * Inference of the shipped camera and LiDAR networks on wasm: tf.LayersModel.predict against
 * the conv chain (src/runtime/convChain.ts: one fused conv2d a layer) and, for the camera, the
 * chain with the space-to-depth stem. Variants run interleaved, one call each in turn, so that
 * the shared machine's load hits them alike; prints wall-clock median / p90 / min and the
 * process CPU time (process.cpuUsage: user + system, all threads), which the load hardly changes.
 *
 *   node --require ./bench/register.js bench/runtimeConvChain.ts [--reps 200]
 */
import * as os from "node:os";
import * as tf from "@tensorflow/tfjs";
import { loadModel } from "../src/runtime/modelFiles";
import { convChainOf } from "../src/runtime/convChain";
import { nodeModelFiles } from "../src/runtime/nodeModelFiles";
import { selectBackend } from "../src/runtime/selectBackend";

const args = process.argv.slice(2);
const REPS = Number(args.indexOf("--reps") >= 0 ? args[args.indexOf("--reps") + 1] : 200);
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function main(): Promise<void> {
  const sel = await selectBackend({ backend: "wasm", log: () => undefined });
  console.log(
    `# ${os.cpus()[0]?.model} ×${os.cpus().length}, node ${process.version}, tfjs ${tf.version.tfjs}; ${sel.logLine}; load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  for (const kind of ["camera", "lidar"] as const) {
    const { model } = await loadModel(nodeModelFiles(), `models/${kind}`);
    const shape = model.inputs[0]!.shape.slice(1) as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    const data = Float32Array.from({ length: n }, (_, i) => ((i * 2654435761) % 1000) / 1000);
    const variants: Array<[string, () => Float32Array]> = [
      [
        "predict",
        () =>
          tf.tidy(
            () =>
              (model.predict(tf.tensor4d(data, [1, ...shape] as [number, number, number, number])) as tf.Tensor).dataSync() as Float32Array,
          ),
      ],
    ];
    for (const s2d of kind === "camera" ? [false, true] : [false]) {
      const chain = convChainOf(model, { spaceToDepthStem: s2d });
      if (typeof chain === "string") throw new Error(chain);
      // The input layout does not change the cost; the same values serve for timing.
      variants.push([
        s2d ? "chain, space-to-depth stem" : "chain",
        () => tf.tidy(() => chain.run(tf.tensor4d(data, [1, ...chain.inputShape])).dataSync() as Float32Array),
      ]);
    }
    const times = variants.map(() => [] as number[]);
    const cpu = variants.map(() => [] as number[]);
    for (const [, f] of variants) for (let i = 0; i < 5; i++) f();
    for (let r = 0; r < REPS; r++) {
      variants.forEach(([, f], k) => {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        f();
        times[k]!.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpu[k]!.push((c.user + c.system) / 1000);
      });
    }
    for (let k = 0; k < variants.length; k++) {
      console.log(
        `${kind} ${variants[k]![0].padEnd(28)} wall median ${pct(times[k]!, 50).toFixed(2)} ms, p90 ${pct(times[k]!, 90).toFixed(2)} ms, min ${Math.min(...times[k]!).toFixed(2)} ms; ` +
          `process CPU median ${pct(cpu[k]!, 50).toFixed(2)} ms, min ${Math.min(...cpu[k]!).toFixed(2)} ms`,
      );
    }
    // Per layer: process CPU time of each fused conv2d alone, on its real input.
    const chain = convChainOf(model);
    if (typeof chain === "string") throw new Error(chain);
    const layerLines: string[] = [];
    tf.tidy(() => {
      let x: tf.Tensor4D = tf.tensor4d(data, [1, ...shape] as [number, number, number, number]);
      for (const layer of model.layers.slice(1)) {
        const input = x;
        const cpuMs: number[] = [];
        const y = layer.apply(input) as tf.Tensor4D;
        for (let r = 0; r < Math.max(20, REPS / 4); r++) {
          const c0 = process.cpuUsage();
          const z = layer.apply(input) as tf.Tensor4D;
          z.dataSync();
          const c = process.cpuUsage(c0);
          cpuMs.push((c.user + c.system) / 1000);
          z.dispose();
        }
        const [kh, kw] = (layer.getWeights()[0] as tf.Tensor).shape;
        const macs = y.shape[1]! * y.shape[2]! * y.shape[3]! * input.shape[3]! * kh! * kw!;
        const med = pct(cpuMs, 50);
        layerLines.push(
          `  ${layer.name.padEnd(16)} ${JSON.stringify(input.shape.slice(1))} → ${JSON.stringify(y.shape.slice(1))}: CPU median ${med.toFixed(2)} ms, ${(macs / 1e6).toFixed(1)} M multiply-adds, ${((2 * macs) / med / 1e6).toFixed(1)} GFLOP/s`,
        );
        x = y;
      }
    });
    console.log(`${kind} per layer (layer.apply + dataSync):\n${layerLines.join("\n")}`);
    chain.dispose();
    model.dispose();
  }
  console.log(
    `# load after ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(1);
});
