import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/*
 * What avfusion's wasm kernels share: argument checks that name the kernel, heap views, and the
 * wasm kernels they call directly on TensorInfos (so the engine tracks nothing but the output).
 */

export type KernelArgs<I extends string, A> = {
  inputs: Record<I, tf.TensorInfo>;
  backend: BackendWasm;
  attrs: A;
};

export type Shape4 = [number, number, number, number];

export function f32(backend: BackendWasm, info: tf.TensorInfo, kernel: string, name: string): Float32Array {
  if (info.dtype !== "float32") {
    throw new Error(`${kernel} (wasm, avfusion): input ${name} must be float32, got ${info.dtype}`);
  }
  // Heap views go stale when wasm memory grows (any malloc): fetch them after the last allocation.
  return backend.typedArrayFromHeap(info) as Float32Array;
}

export function shape4(info: tf.TensorInfo, kernel: string, name: string): Shape4 {
  if (info.shape.length !== 4) {
    throw new Error(`${kernel} (wasm, avfusion): input ${name} must be rank 4 (NHWC), got shape [${info.shape.join(",")}]`);
  }
  return info.shape as Shape4;
}

type WasmKernel = (args: { inputs: Record<string, tf.TensorInfo>; backend: BackendWasm; attrs: Record<string, unknown> }) => tf.TensorInfo;

/** A kernel wasm ships, called directly on TensorInfos (so the engine tracks nothing). */
function kernel(name: string): WasmKernel {
  const config = tf.getKernel(name, "wasm");
  if (config == null) throw new Error(`${name} (wasm): kernel not registered; is the wasm backend loaded?`);
  return config.kernelFunc as unknown as WasmKernel;
}

export function batchMatMul(backend: BackendWasm, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  return kernel("BatchMatMul")({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } });
}

/** The float32 data of `x` read as a [rows, cols] matrix, transposed (a new tensor). */
export function transpose2D(backend: BackendWasm, x: tf.TensorInfo, rows: number, cols: number): tf.TensorInfo {
  return kernel("Transpose")({
    inputs: { x: { dataId: x.dataId, shape: [rows, cols], dtype: "float32" } },
    backend,
    attrs: { perm: [1, 0] },
  });
}
