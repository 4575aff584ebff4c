import type * as tf from "@tensorflow/tfjs";
import type { FusionHead } from "../../fusion/fusionHead";
import { createLearnedFusionHead, type FusionHeadMetadata } from "../../fusion/head/model";
import { createNaiveFusionHead } from "../../fusion/head/naiveHead";
import type { Augmentation } from "./dataset";
import type { FusionDrive } from "./drives";
import { r3, roundAll } from "./evaluateModel";
import { closedLoop, type ClosedLoopMetrics } from "./metrics";

/**
 * Scene-level validation of a trained head: the tracker with each head in the loop on the
 * validation drives, under each condition; it picks the existence recursion's weights and whether
 * the head refines positions.
 */
export type SceneValidation = {
  /** Per condition, per head: the closed-loop figures (rounded). */
  scene: Record<string, Record<string, ClosedLoopMetrics>>;
  trackerWeight: number;
  headWeight: number;
  gridScores: Record<string, number>;
  refinePosition: boolean;
};

const CONDITIONS: [string, Augmentation, ("camera" | "lidar" | "radar")[]][] = [
  ["all sensors", { kind: "none" }, ["camera", "lidar", "radar"]],
  ["camera and LiDAR removed", { kind: "radarOnly" }, ["radar"]],
  ["fog 50 m (augmented)", { kind: "fog", seed: 1, visibilityM: 50 }, ["camera", "lidar", "radar"]],
];

export function sceneValidation(
  model: tf.LayersModel,
  baseMeta: FusionHeadMetadata,
  valDrives: readonly FusionDrive[],
  quick: boolean,
): SceneValidation {
  const scene: Record<string, Record<string, ClosedLoopMetrics>> = {};
  const runHead = (label: string, head: FusionHead | undefined): void => {
    for (const [name, aug, vis] of CONDITIONS) {
      scene[name] ??= {};
      scene[name]![label] = roundAll(closedLoop(valDrives, aug, head, vis));
    }
  };
  runHead("tracker", undefined);
  runHead("naive", createNaiveFusionHead());
  // The existence recursion's weights: the grid point whose worst condition gains most over the
  // tracker alone (confirmed-track AP, the scene's view).
  const grid: [number, number][] = quick
    ? [
        [0, 1],
        [1, 1],
      ]
    : [
        [0, 1],
        [0.5, 1],
        [1, 1],
        [1, 0.5],
      ];
  let best: { trackerWeight: number; headWeight: number; score: number } | undefined;
  const gridScores: Record<string, number> = {};
  for (const [trackerWeight, headWeight] of grid) {
    const label = `learned α=${trackerWeight} β=${headWeight}`;
    runHead(label, createLearnedFusionHead(model, baseMeta, { refinePosition: false, trackerWeight, headWeight }));
    const score = Math.min(
      ...CONDITIONS.map(([name]) => scene[name]![label]!.apConfirmed / Math.max(1e-6, scene[name]!.tracker!.apConfirmed)),
    );
    gridScores[label] = r3(score);
    if (best === undefined || score > best.score) best = { trackerWeight, headWeight, score };
  }
  const { trackerWeight, headWeight } = best!;
  for (const [name] of CONDITIONS) scene[name]!.learned = scene[name]![`learned α=${trackerWeight} β=${headWeight}`]!;
  runHead("learnedWithPosition", createLearnedFusionHead(model, baseMeta, { refinePosition: true, trackerWeight, headWeight }));
  const all = scene["all sensors"]!;
  const refinePosition =
    all.learnedWithPosition!.positionRms < all.learned!.positionRms &&
    all.learnedWithPosition!.apConfirmed >= all.learned!.apConfirmed - 0.005;
  return { scene, trackerWeight, headWeight, gridScores, refinePosition };
}
