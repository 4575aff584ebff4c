import * as tf from "@tensorflow/tfjs";
import { Prng } from "../../sim/Prng";
import { centerNetLoss, targetTensors, type HeadLayout, type HeadTargets } from "../../encoders/lidar/centerNet";

/*
 * The training loop both vision encoders share: Adam on the CenterNet loss over random
 * mini-batches, cosine learning-rate decay, a wall-clock budget (training stops at whichever of
 * `steps` and `maxMinutes` comes first) and seeded batch order.
 */

export type Batch = { x: Float32Array; shape: [number, number, number, number]; targets: HeadTargets[] };

export type FitOptions = {
  layout: HeadLayout;
  regWeights: readonly number[];
  samples: number;
  makeBatch: (indices: readonly number[], rng: Prng) => Batch;
  steps: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Stop early after this much wall time (minutes); default no limit. */
  maxMinutes?: number;
  log?: (line: string) => void;
  logEvery?: number;
};

export type FitResult = { steps: number; finalLoss: number; wallS: number; lossCurve: Array<[number, number]> };

export function fitCenterNet(model: tf.LayersModel, o: FitOptions): FitResult {
  const rng = new Prng(o.seed).fork("batches");
  const optimizer = tf.train.adam(o.learningRate);
  const t0 = performance.now();
  const curve: Array<[number, number]> = [];
  let ema = NaN;
  let step = 0;
  const deadline = o.maxMinutes !== undefined ? t0 + o.maxMinutes * 60_000 : Infinity;
  for (; step < o.steps && performance.now() < deadline; step++) {
    // Progress by steps or by the time budget, whichever is further, so a budget-cut run still anneals.
    const progress = Math.min(
      1,
      Math.max(step / o.steps, o.maxMinutes !== undefined ? (performance.now() - t0) / (o.maxMinutes * 60_000) : 0),
    );
    const lr = o.learningRate * (0.05 + 0.95 * 0.5 * (1 + Math.cos(Math.PI * progress)));
    (optimizer as unknown as { learningRate: number }).learningRate = lr;
    const idx: number[] = [];
    for (let i = 0; i < o.batchSize; i++) idx.push(rng.int(0, o.samples - 1));
    const batch = o.makeBatch(idx, rng);
    const lossT = tf.tidy(() => {
      const x = tf.tensor4d(batch.x, batch.shape);
      const t = targetTensors(o.layout, batch.targets);
      return optimizer.minimize(
        () => centerNetLoss(o.layout, model.apply(x, { training: true }) as tf.Tensor4D, t, o.regWeights),
        true,
      ) as tf.Scalar;
    });
    const loss = lossT.dataSync()[0]!;
    lossT.dispose();
    if (!Number.isFinite(loss)) throw new Error(`fitCenterNet: loss became ${loss} at step ${step}`);
    ema = Number.isNaN(ema) ? loss : 0.95 * ema + 0.05 * loss;
    if ((step + 1) % (o.logEvery ?? 50) === 0) {
      curve.push([step + 1, ema]);
      o.log?.(
        `step ${step + 1}/${o.steps} loss ${ema.toFixed(4)} lr ${lr.toExponential(2)} ${((performance.now() - t0) / 1000).toFixed(0)} s`,
      );
    }
  }
  optimizer.dispose();
  return { steps: step, finalLoss: ema, wallS: (performance.now() - t0) / 1000, lossCurve: curve };
}
