import * as tf from "@tensorflow/tfjs";
import { createCameraModel } from "../encoders/camera/model";
import { createLidarModel } from "../encoders/lidar/model";
import { convChainOf, spaceToDepthIndex } from "./convChain";
import { selectBackend } from "./selectBackend";

beforeAll(async () => {
  await selectBackend({ backend: "wasm", log: () => undefined });
});

/** A seeded image in [0, 1), HWC. */
function image(h: number, w: number, c: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: h * w * c }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  });
}

function toSpaceToDepth(x: Float32Array, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < h; r++)
    for (let q = 0; q < w; q++) for (let k = 0; k < c; k++) out[spaceToDepthIndex(r, q, k, w, c)] = x[(r * w + q) * c + k]!;
  return out;
}

describe("convChainOf", () => {
  test("runs the camera and LiDAR networks bit-identically to predict", () => {
    for (const [model, [h, w, c]] of [
      [createCameraModel(4), [192, 320, 3]],
      [createLidarModel(4), [128, 128, 5]],
    ] as const) {
      const chain = convChainOf(model);
      if (typeof chain === "string") throw new Error(chain);
      expect(chain.spaceToDepth).toBe(false);
      expect(chain.inputShape).toEqual([h, w, c]);
      const x = image(h, w, c, 7);
      const [a, b] = tf.tidy(() => {
        const t = tf.tensor4d(x, [1, h, w, c]);
        return [chain.run(t).dataSync(), (model.predict(t) as tf.Tensor).dataSync()];
      });
      expect(a.length).toBe(b.length);
      let diff = 0;
      for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
      expect(diff).toBe(0);
      chain.dispose();
      model.dispose();
    }
  });

  test("the space-to-depth stem gives the model's output up to float rounding, batch of 2", () => {
    const model = createCameraModel(5);
    const chain = convChainOf(model, { spaceToDepthStem: true });
    if (typeof chain === "string") throw new Error(chain);
    expect(chain.spaceToDepth).toBe(true);
    expect(chain.inputShape).toEqual([96, 160, 12]);
    const imgs = [image(192, 320, 3, 1), image(192, 320, 3, 2)];
    const hwc = new Float32Array(2 * imgs[0]!.length);
    const s2d = new Float32Array(2 * imgs[0]!.length);
    imgs.forEach((im, i) => {
      hwc.set(im, i * im.length);
      s2d.set(toSpaceToDepth(im, 192, 320, 3), i * im.length);
    });
    const before = tf.memory().numTensors;
    const [a, b] = tf.tidy(() => [
      chain.run(tf.tensor4d(s2d, [2, 96, 160, 12])).dataSync(),
      (model.predict(tf.tensor4d(hwc, [2, 192, 320, 3])) as tf.Tensor).dataSync(),
    ]);
    expect(tf.memory().numTensors).toBe(before);
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < a.length; i++) {
      diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
      scale = Math.max(scale, Math.abs(b[i]!));
    }
    expect(scale).toBeGreaterThan(0.1);
    expect(diff).toBeLessThan(1e-5 * scale);
    chain.dispose();
    expect(tf.memory().numTensors).toBe(before - 1);
    model.dispose();
  });

  test("refuses a model that is not a plain conv chain, with the reason", () => {
    const input = tf.input({ shape: [8, 8, 3] });
    const c = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: "same" }).apply(input) as tf.SymbolicTensor;
    const p = tf.layers.maxPooling2d({ poolSize: 2 }).apply(c) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: p, name: "pooled" });
    expect(convChainOf(model)).toBe("pooled: layer max_pooling2d_MaxPooling2D1 is MaxPooling2D, not Conv2D");
    model.dispose();
  });

  test("spaceToDepthIndex puts pixel (2i + a, 2j + b) at block (i, j), channel (2a + b)·C + c", () => {
    expect(spaceToDepthIndex(0, 0, 0, 320, 3)).toBe(0);
    expect(spaceToDepthIndex(0, 1, 2, 320, 3)).toBe(5);
    expect(spaceToDepthIndex(1, 0, 0, 320, 3)).toBe(6);
    expect(spaceToDepthIndex(1, 1, 1, 320, 3)).toBe(10);
    expect(spaceToDepthIndex(2, 2, 0, 320, 3)).toBe((160 + 1) * 12);
  });
});
