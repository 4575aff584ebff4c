import * as tf from "@tensorflow/tfjs";
import { selectBackend } from "./selectBackend";
import { groupBy, runBatched, stackBatch, tensorGrowth, unstackRows } from "./tensors";

beforeAll(async () => {
  await selectBackend({ backend: "wasm", log: () => undefined });
});

test("stackBatch packs items in order into [n, ...shape]", () => {
  const t = stackBatch([Float32Array.from([1, 2, 3, 4]), Float32Array.from([5, 6, 7, 8])], [2, 2]);
  expect(t.shape).toEqual([2, 2, 2]);
  expect(Array.from(t.dataSync())).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  t.dispose();
});

test("stackBatch names the item that has the wrong size", () => {
  expect(() => stackBatch([new Float32Array(4), new Float32Array(3)], [2, 2], "camera frame")).toThrow(
    "stackBatch: camera frame 1 has 3 values, expected 4 for shape [2,2]",
  );
  expect(() => stackBatch([], [2], "lidar sweep")).toThrow("stackBatch: no lidar sweeps to batch");
});

test("runBatched gives the same rows as one item at a time, and leaks nothing", async () => {
  const w = tf.tensor2d([1, 0, 2, 1, -1, 3], [3, 2]);
  const model = (x: tf.Tensor) => tf.matMul(x as tf.Tensor2D, w).relu();
  const items = [0, 1, 2, 3, 4].map((i) => Float32Array.from([i, 1 - i, 0.5 * i]));
  const batched = runBatched(items, [3], 2, model);
  const single = items.map((x) => runBatched([x], [3], 1, model)[0]);
  expect(batched.map((r) => Array.from(r))).toEqual(single.map((r) => Array.from(r)));
  // item 3 = [3, -2, 1.5]: [3·1 + (−2)·2 + 1.5·(−1), 3·0 + (−2)·1 + 1.5·3] = [−2.5, 2.5] → relu → [0, 2.5]
  expect(Array.from(batched[3])).toEqual([0, 2.5]);
  const growth = await tensorGrowth(() => runBatched(items, [3], 2, model), 20);
  expect(growth).toEqual({ tensors: 0, dataBuffers: 0, bytes: 0 });
  w.dispose();
});

test("tensorGrowth sees a leak", async () => {
  const kept: tf.Tensor[] = [];
  const growth = await tensorGrowth(() => kept.push(tf.ones([4])), 10);
  expect(growth).toEqual({ tensors: 10, dataBuffers: 10, bytes: 160 });
  tf.dispose(kept);
});

test("unstackRows splits the leading axis", () => {
  const t = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
  expect(unstackRows(t).map((r) => Array.from(r))).toEqual([
    [1, 2],
    [3, 4],
    [5, 6],
  ]);
  t.dispose();
});

test("groupBy keeps first-seen order", () => {
  const g = groupBy(["cam:640", "lidar:1", "cam:640", "cam:320"], (s) => s);
  expect([...g.keys()]).toEqual(["cam:640", "lidar:1", "cam:320"]);
  expect(g.get("cam:640")).toHaveLength(2);
});
