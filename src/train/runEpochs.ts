/*
 * The training loop every trainer runs (fit.ts for the radar and audio classifiers,
 * lidar/fitCenterNet.ts for the camera and LiDAR CenterNets, fusion/trainFusion.ts for the fusion
 * head): epochs of optimisation steps, stopped early at a wall-clock deadline, with the mean loss
 * of each epoch. What a step does, how batches are drawn and what happens after an epoch is the
 * trainer's; the loop owns the bookkeeping, so budget cuts behave the same in every trainer.
 */

export type EpochLoop<B> = {
  epochs: number;
  /**
   * The epoch's batches, asked for at the start of the epoch (so a seeded generator draws them in
   * the same order whatever the deadline does later). May be lazy.
   */
  batches: (epoch: number) => Iterable<B>;
  /** One optimisation step on a batch; returns its loss. */
  step: (batch: B) => number | Promise<number>;
  /**
   * After each epoch, also the one the deadline cut short (`stopped`); `meanLoss` is the mean over
   * the steps run (0 when none ran).
   */
  endEpoch?: (epoch: number, meanLoss: number, stopped: boolean) => void;
  /** `performance.now()` (ms) after which no further step starts; undefined = no deadline. */
  deadlineMs?: number;
};

export type EpochLoopResult = {
  /** Mean loss of each epoch run to the end, and of the cut epoch when it ran a step. */
  losses: number[];
  /** Steps actually run. */
  steps: number;
  stoppedByDeadline: boolean;
};

export async function runEpochs<B>(loop: EpochLoop<B>): Promise<EpochLoopResult> {
  const losses: number[] = [];
  let steps = 0;
  for (let e = 0; e < loop.epochs; e++) {
    let sum = 0;
    let n = 0;
    let stopped = false;
    for (const batch of loop.batches(e)) {
      if (loop.deadlineMs !== undefined && performance.now() > loop.deadlineMs) {
        stopped = true;
        break;
      }
      sum += await loop.step(batch);
      n++;
      steps++;
    }
    const mean = sum / Math.max(1, n);
    if (!stopped || n > 0) losses.push(mean);
    loop.endEpoch?.(e, mean, stopped);
    if (stopped) return { losses, steps, stoppedByDeadline: true };
  }
  return { losses, steps, stoppedByDeadline: false };
}
