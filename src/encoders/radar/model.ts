import * as tf from "@tensorflow/tfjs";
import { seededInit } from "../common/layers";
import { SeededRandom } from "../common/seededRandom";
import { RADAR_FEATURE_COUNT } from "./features";

/** What the radar encoder scores each track as; order = the model's output units. */
export const RADAR_CLASSES = ["vehicle", "pedestrian", "cyclist", "clutter"] as const;
export type RadarClass = (typeof RADAR_CLASSES)[number];

/** A small MLP over the per-track features: [n, RADAR_FEATURE_COUNT] → [n, 4] softmax. */
export function buildRadarModel(seed: number, hidden = 48): tf.LayersModel {
  const rng = new SeededRandom(seed);
  const model = tf.sequential({ name: "radar_track_classifier" });
  model.add(tf.layers.dense({ inputShape: [RADAR_FEATURE_COUNT], units: hidden, activation: "relu", ...seededInit(rng) }));
  model.add(tf.layers.dense({ units: hidden, activation: "relu", ...seededInit(rng) }));
  model.add(tf.layers.dense({ units: RADAR_CLASSES.length, activation: "softmax", ...seededInit(rng) }));
  return model;
}
