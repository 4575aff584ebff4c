import * as tf from "@tensorflow/tfjs";

/*
 * Inference for a plain chain of Conv2D layers (input → conv → conv → … → head) without
 * tf.LayersModel.predict: each layer becomes one fused conv2d (bias and relu inside the kernel,
 * as the layer itself calls it), with the same weight tensors, so the outputs are bit-identical.
 *
 * Optionally the first layer, a 3×3 stride-2 'same' convolution on an image with few channels,
 * is rewritten as the equivalent 2×2 stride-1 convolution on the space-to-depth (block 2) image.
 * On the wasm backend (XNNPACK) a 3-channel stride-2 stem runs at a fraction of the speed of the
 * later layers; the rewritten stem sees 4× the channels and no stride. The arithmetic is the
 * same products summed in another order (differences of the order of 1e-7 relative).
 */

type Activation = "relu" | "linear";
type Pad = "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]];

type ConvStep = {
  filter: tf.Tensor4D;
  bias: tf.Tensor1D | undefined;
  strides: [number, number];
  pad: Pad;
  activation: Activation;
};

export type ConvChain = {
  /** Input [height, width, channels] that `run` expects (space-to-depth when `spaceToDepth`). */
  readonly inputShape: [number, number, number];
  /** Whether the input is the space-to-depth (block 2) layout of the model's input; see `spaceToDepthIndex`. */
  readonly spaceToDepth: boolean;
  /** x [n, ...inputShape] → the model's output. Call inside tf.tidy. */
  run(x: tf.Tensor4D): tf.Tensor4D;
  /** Frees the tensors the chain made (the rewritten stem filter); the model's weights stay the model's. */
  dispose(): void;
};

type ConvConfig = {
  filters: number;
  kernelSize: number[];
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number[] | number;
  activation: string;
  useBias: boolean;
};

/** Why `model` is not a plain conv chain, or undefined when it is. */
function chainLayers(model: tf.LayersModel): { layers: tf.layers.Layer[] } | string {
  const layers = model.layers;
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return "not one input and one output";
  if (layers.length < 2 || layers[0]!.getClassName() !== "InputLayer") return "does not start with an input layer";
  const convs = layers.slice(1);
  for (let i = 0; i < convs.length; i++) {
    const l = convs[i]!;
    if (l.getClassName() !== "Conv2D") return `layer ${l.name} is ${l.getClassName()}, not Conv2D`;
    const inbound = l.inboundNodes;
    if (inbound.length !== 1 || inbound[0]!.inboundLayers.length !== 1 || inbound[0]!.inboundLayers[0] !== layers[i])
      return `layer ${l.name} does not take the previous layer's output`;
    const c = l.getConfig() as unknown as ConvConfig;
    const dil = Array.isArray(c.dilationRate) ? c.dilationRate : [c.dilationRate, c.dilationRate];
    if (c.dataFormat !== "channelsLast" || dil.some((d) => d !== 1)) return `layer ${l.name}: only channelsLast without dilation`;
    if (c.padding !== "same" && c.padding !== "valid") return `layer ${l.name}: padding ${c.padding}`;
    if (c.activation !== "relu" && c.activation !== "linear") return `layer ${l.name}: activation ${c.activation}`;
  }
  if (model.outputs[0]!.sourceLayer !== layers[layers.length - 1]) return "the output is not the last layer";
  return { layers: convs };
}

/**
 * Index of input element (row, col, channel) of an H×W×C image in its space-to-depth layout
 * [H/2, W/2, 4C]: channel (a·2 + b)·C + c of block (row/2, col/2) holds pixel (2i + a, 2j + b).
 */
export function spaceToDepthIndex(row: number, col: number, channel: number, width: number, channels: number): number {
  return (((row >> 1) * (width >> 1) + (col >> 1)) * 4 + (row & 1) * 2 + (col & 1)) * channels + channel;
}

/** The layer as one fused conv2d step, on the layer's own weight tensors. */
function stepOf(l: tf.layers.Layer): ConvStep {
  const c = l.getConfig() as unknown as ConvConfig;
  const w = l.getWeights();
  return {
    filter: w[0] as tf.Tensor4D,
    bias: c.useBias ? (w[1] as tf.Tensor1D) : undefined,
    strides: [c.strides[0]!, c.strides[1]!],
    pad: c.padding as "same" | "valid",
    activation: c.activation as Activation,
  };
}

/**
 * A 3×3 stride-2 'same' stem on C channels as the equivalent 2×2 stride-1 step on the
 * space-to-depth image (4C channels). The new filter tensor is the caller's to dispose.
 */
function spaceToDepthStep(stem: ConvStep, C: number): ConvStep {
  const co = stem.filter.shape[3];
  // TF 'same' with stride 2 on an even size pads 0 before and 1 after: out(i, j) = Σ W[di, dj]·x[2i + di, 2j + dj].
  // With di = 2p + a and dj = 2q + b: a 2×2 kernel over blocks (i + p, j + q), channel (a·2 + b)·C + c.
  const k = stem.filter.dataSync();
  const k2 = new Float32Array(2 * 2 * 4 * C * co);
  for (let p = 0; p < 2; p++) {
    for (let q = 0; q < 2; q++) {
      for (let a = 0; a < 2; a++) {
        for (let b = 0; b < 2; b++) {
          const di = 2 * p + a;
          const dj = 2 * q + b;
          if (di > 2 || dj > 2) continue;
          for (let c = 0; c < C; c++) {
            for (let o = 0; o < co; o++) k2[((p * 2 + q) * 4 * C + (a * 2 + b) * C + c) * co + o] = k[((di * 3 + dj) * C + c) * co + o]!;
          }
        }
      }
    }
  }
  const filter = tf.tensor4d(k2, [2, 2, 4 * C, co]);
  return {
    ...stem,
    filter,
    strides: [1, 1],
    pad: [
      [0, 0],
      [0, 1],
      [0, 1],
      [0, 0],
    ],
  };
}

/**
 * The model as a conv chain, or a reason string when it is not one (callers then use predict).
 * `spaceToDepthStem` rewrites the first layer when it is a 3×3, stride-2, 'same' convolution on an
 * input of even height and width.
 */
export function convChainOf(model: tf.LayersModel, options: { spaceToDepthStem?: boolean } = {}): ConvChain | string {
  const found = chainLayers(model);
  if (typeof found === "string") return `${model.name}: ${found}`;
  const inShape = model.inputs[0]!.shape;
  const [H, W, C] = [inShape[1], inShape[2], inShape[3]];
  if (typeof H !== "number" || typeof W !== "number" || typeof C !== "number")
    return `${model.name}: input shape ${JSON.stringify(inShape)} is not fixed`;
  const owned: tf.Tensor[] = [];
  const steps: ConvStep[] = found.layers.map(stepOf);
  let inputShape: [number, number, number] = [H, W, C];
  let spaceToDepth = false;
  const stem = steps[0]!;
  const [kh, kw] = stem.filter.shape;
  if (
    options.spaceToDepthStem &&
    kh === 3 &&
    kw === 3 &&
    stem.strides[0] === 2 &&
    stem.strides[1] === 2 &&
    stem.pad === "same" &&
    H % 2 === 0 &&
    W % 2 === 0
  ) {
    steps[0] = spaceToDepthStep(stem, C);
    owned.push(steps[0].filter);
    inputShape = [H / 2, W / 2, 4 * C];
    spaceToDepth = true;
  }
  return {
    inputShape,
    spaceToDepth,
    run(x) {
      let y = x;
      for (const s of steps) {
        y = tf.fused.conv2d({
          x: y,
          filter: s.filter,
          strides: s.strides,
          pad: s.pad,
          ...(s.bias ? { bias: s.bias } : {}),
          activation: s.activation,
        });
      }
      return y;
    },
    dispose() {
      for (const t of owned) t.dispose();
      owned.length = 0;
    },
  };
}
