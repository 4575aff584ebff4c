import * as tf from "@tensorflow/tfjs";
import { seededInit } from "../common/layers";
import { SeededRandom } from "../common/seededRandom";

/** What the audio classifier scores each window as; order = the model's output units. */
export const AUDIO_CLASSES = ["none", "siren", "horn"] as const;

/**
 * A small CNN over the log-mel window [frames, mels, 1]: three 3×3 conv + 2×2 max-pool stages
 * (no transposed convolutions: slow on wasm), then a dense layer and a 3-way softmax.
 */
export function buildAudioModel(seed: number, frames: number, mels: number): tf.LayersModel {
  const rng = new SeededRandom(seed);
  const model = tf.sequential({ name: "audio_event_classifier" });
  model.add(
    tf.layers.conv2d({
      inputShape: [frames, mels, 1],
      filters: 12,
      kernelSize: 3,
      padding: "same",
      activation: "relu",
      ...seededInit(rng),
    }),
  );
  model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  model.add(tf.layers.conv2d({ filters: 20, kernelSize: 3, padding: "same", activation: "relu", ...seededInit(rng) }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  model.add(tf.layers.conv2d({ filters: 28, kernelSize: 3, padding: "same", activation: "relu", ...seededInit(rng) }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 32, activation: "relu", ...seededInit(rng) }));
  model.add(tf.layers.dense({ units: AUDIO_CLASSES.length, activation: "softmax", ...seededInit(rng) }));
  return model;
}
