import * as tf from "@tensorflow/tfjs";
import type { SeededRandom } from "./seededRandom";

/** Seeded initialisers so that a model's initial weights follow from the training seed. */
type Initializer = ReturnType<typeof tf.initializers.zeros>;

export function seededInit(rng: SeededRandom): { kernelInitializer: Initializer; biasInitializer: Initializer } {
  return { kernelInitializer: tf.initializers.glorotUniform({ seed: rng.seed() }), biasInitializer: tf.initializers.zeros() };
}

/** Compiles a softmax classifier with Adam and cross-entropy (what `fitClassifier` expects). */
export function compileClassifier(model: tf.LayersModel, learningRate: number): void {
  model.compile({ optimizer: tf.train.adam(learningRate), loss: "categoricalCrossentropy" });
}
