import { centerNetTrainer } from "../centerNetTrainer";
import { trainCamera } from "./trainCamera";

/** `avfusion train --modality camera`: adapts trainCamera to the shared Trainer contract. */
export const cameraTrainer = centerNetTrainer(
  trainCamera,
  { durationS: 2, everyS: 1 },
  (e) =>
    `camera: held-out car AP@2m within ${e.maxRangeM} m ${e.carAp2m.toFixed(3)} over ${e.carGt} cars in ${e.frames} frames (target ≥ 0.6)`,
);
