import { centerNetTrainer } from "../centerNetTrainer";
import { trainLidar } from "./trainLidar";

/** `avfusion train --modality lidar`: adapts trainLidar to the shared Trainer contract. */
export const lidarTrainer = centerNetTrainer(
  trainLidar,
  { durationS: 4 },
  (e) => `lidar: held-out car AP@2m ${e.carAp2m.toFixed(3)} over ${e.carGt} cars in ${e.frames} sweeps (target ≥ 0.8)`,
);
