import type * as tf from "@tensorflow/tfjs";
import { convChainOf, type ConvChain } from "../../runtime/convChain";

/**
 * The CNN an encoder owns: run as one fused conv2d per layer when it is a plain conv chain
 * (convChain.ts; bit-identical to predict, and faster on wasm), else through predict. Freed once.
 */
export class ConvModel {
  /** The chain, or why the model is not one (then `run` uses predict). */
  readonly chain: ConvChain | string;
  #disposed = false;

  constructor(
    readonly model: tf.LayersModel,
    options: { spaceToDepthStem?: boolean } = {},
  ) {
    this.chain = convChainOf(model, options);
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** x → the model's output. Call inside tf.tidy. */
  run(x: tf.Tensor4D): tf.Tensor {
    return typeof this.chain !== "string" ? this.chain.run(x) : (this.model.predict(x) as tf.Tensor);
  }

  dispose(): void {
    if (!this.#disposed) {
      if (typeof this.chain !== "string") this.chain.dispose();
      this.model.dispose();
    }
    this.#disposed = true;
  }
}
