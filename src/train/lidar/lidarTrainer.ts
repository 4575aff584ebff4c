import type { Trainer } from "../types";
import { HELD_OUT_SEED_BASE } from "../scenarios";
import { trainLidar } from "./trainLidar";

/** `avfusion train --modality lidar`: adapts trainLidar to the shared Trainer contract. */
export const lidarTrainer: Trainer = async (o) => {
  const quick = o.quick
    ? {
        trainSeeds: [1, 2],
        heldOutSeeds: [HELD_OUT_SEED_BASE],
        durationS: 4,
        steps: (o.epochs ?? 1) * (o.stepsPerEpoch ?? 5),
        batchSize: 2,
      }
    : {};
  const r = await trainLidar({
    seed: o.seed,
    command: o.command,
    log: o.log,
    heldOutScenarios: o.quick ? [] : ["highway-clear", "urban-crossing"].map((n) => o.loadNamed(n)),
    ...quick,
  });
  const e = r.evaluation;
  return {
    model: r.model,
    metadata: r.metadata as unknown as Record<string, unknown>,
    summary: [`lidar: held-out car AP@2m ${e.carAp2m.toFixed(3)} over ${e.carGt} cars in ${e.frames} sweeps (target ≥ 0.8)`],
  };
};
