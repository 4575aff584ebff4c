import * as tf from "@tensorflow/tfjs";
import { conv2DBackpropFilter, conv2DBackpropInput } from "./wasmConv2DGradients";
import { depthwiseBackpropFilter, depthwiseBackpropInput } from "./wasmDepthwiseGradients";
import { unsortedSegmentSum } from "./wasmUnsortedSegmentSum";

/*
 * Kernels that @tensorflow/tfjs-backend-wasm 4.22 lacks but training a small CNN needs
 * (found by diffing `tf.getKernelsForBackend("wasm")` against "cpu"):
 *
 * - Conv2DBackpropFilter: the weight gradient of conv2d (and of fused conv2d). MaxPoolGrad,
 *   AvgPoolGrad and FusedConv2D exist in wasm already.
 * - DepthwiseConv2dNativeBackpropFilter / -Input: gradients of depthwise (separable) convolutions.
 * - UnsortedSegmentSum: the gradient of gather (embedding lookups, indexing a loss).
 *
 * And one that wasm has but that is slow: Conv2DBackpropInput (the input gradient, a transposed
 * convolution), about 5× slower than the replacement here on the larger layers of bench/runtime.ts.
 *
 * Both conv2d gradients are an im2col / col2im in JS (wasmConv2DGradients.ts); the depthwise and
 * segment kernels are tight loops over the heap views (wasmDepthwiseGradients.ts,
 * wasmUnsortedSegmentSum.ts).
 *
 * Every kernel works on TensorInfos (not Tensors), so nothing is tracked by the engine except
 * the output; intermediates are freed with backend.disposeData.
 */

/** The kernels this module adds, by name (for docs and tests). */
export const WASM_TRAINING_KERNELS: readonly string[] = [
  "Conv2DBackpropFilter",
  "DepthwiseConv2dNativeBackpropFilter",
  "DepthwiseConv2dNativeBackpropInput",
  "UnsortedSegmentSum",
];

/** Kernels wasm has but that are slow; registering replaces tfjs-backend-wasm's version. */
export const WASM_REPLACED_KERNELS: readonly string[] = ["Conv2DBackpropInput"];

const kernelFuncs: Record<string, (args: never) => tf.TensorInfo> = {
  Conv2DBackpropFilter: conv2DBackpropFilter,
  Conv2DBackpropInput: conv2DBackpropInput,
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilter,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInput,
  UnsortedSegmentSum: unsortedSegmentSum,
};

/**
 * Registers the missing training kernels for the wasm backend, and (unless `replace` is false)
 * the faster replacements. Idempotent; a missing kernel that a future tfjs-backend-wasm provides
 * itself is left alone. Returns the names it registered now.
 */
export function registerWasmTrainingKernels(options: { replace?: boolean } = {}): string[] {
  const added: string[] = [];
  for (const name of WASM_TRAINING_KERNELS) {
    if (tf.getKernel(name, "wasm") != null) continue;
    tf.registerKernel({ kernelName: name, backendName: "wasm", kernelFunc: kernelFuncs[name] as unknown as tf.KernelFunc });
    added.push(name);
  }
  if (options.replace ?? true) added.push(...useWasmKernelReplacements(true));
  return added;
}

const builtinKernels = new Map<string, tf.KernelConfig>();

/**
 * Switches the replaced kernels between avfusion's (`true`) and tfjs-backend-wasm's own
 * (`false`), for A/B benchmarks and as an escape hatch. Returns the names it switched.
 */
export function useWasmKernelReplacements(ours: boolean): string[] {
  const switched: string[] = [];
  for (const name of WASM_REPLACED_KERNELS) {
    const ourFunc = kernelFuncs[name] as unknown as tf.KernelFunc;
    const current = tf.getKernel(name, "wasm");
    const isOurs = current?.kernelFunc === ourFunc;
    if (isOurs === ours) continue;
    if (ours && current != null) builtinKernels.set(name, current);
    const builtin = builtinKernels.get(name);
    if (!ours && builtin == null) continue;
    if (current != null) tf.unregisterKernel(name, "wasm");
    tf.registerKernel(ours ? { kernelName: name, backendName: "wasm", kernelFunc: ourFunc } : (builtin as tf.KernelConfig));
    switched.push(name);
  }
  return switched;
}
