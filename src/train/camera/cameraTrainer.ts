import type { Trainer } from "../types";
import { HELD_OUT_SEED_BASE } from "../scenarios";
import { trainCamera } from "./trainCamera";

/** `avfusion train --modality camera`: adapts trainCamera to the shared Trainer contract. */
export const cameraTrainer: Trainer = async (o) => {
  const quick = o.quick
    ? {
        trainSeeds: [1, 2],
        heldOutSeeds: [HELD_OUT_SEED_BASE],
        durationS: 2,
        everyS: 1,
        steps: (o.epochs ?? 1) * (o.stepsPerEpoch ?? 5),
        batchSize: 2,
      }
    : {};
  const r = await trainCamera({
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
    summary: [
      `camera: held-out car AP@2m within ${e.maxRangeM} m ${e.carAp2m.toFixed(3)} over ${e.carGt} cars in ${e.frames} frames (target ≥ 0.6)`,
    ],
  };
};
