import * as tf from "@tensorflow/tfjs";
import { Prng } from "../../sim/Prng";
import {
  buildHeadTargets,
  centerNetLoss,
  targetTensors,
  type HeadLayout,
  type HeadObject,
  type HeadTargets,
} from "../../encoders/lidar/centerNet";
import { runEpochs } from "../runEpochs";

/*
 * The training both vision encoders share: Adam on the CenterNet loss over random mini-batches
 * (left/right mirrored), cosine learning-rate decay, a wall-clock budget (training stops at
 * whichever of `steps` and `maxMinutes` comes first) and seeded batch order, run by the shared
 * epoch loop (../runEpochs.ts).
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

/** Trains `model` (CenterNet head of `o.layout`) for `o.steps` steps, or until `o.maxMinutes` have passed. */
export async function fitCenterNet(model: tf.LayersModel, o: FitOptions): Promise<FitResult> {
  const rng = new Prng(o.seed).fork("batches");
  const optimizer = tf.train.adam(o.learningRate);
  const t0 = performance.now();
  const curve: Array<[number, number]> = [];
  let ema = NaN;
  // One epoch of `steps` random mini-batches: the batches are drawn inside the step, after the deadline check.
  const { steps } = await runEpochs<number>({
    epochs: 1,
    ...(o.maxMinutes !== undefined ? { deadlineMs: t0 + o.maxMinutes * 60_000 } : {}),
    batches: () => stepIndices(o.steps),
    step: (step) => {
      const { loss, lr } = centerNetStep(model, optimizer, o, step, t0, rng);
      ema = Number.isNaN(ema) ? loss : 0.95 * ema + 0.05 * loss;
      if ((step + 1) % (o.logEvery ?? 50) === 0) {
        curve.push([step + 1, ema]);
        o.log?.(
          `step ${step + 1}/${o.steps} loss ${ema.toFixed(4)} lr ${lr.toExponential(2)} ${((performance.now() - t0) / 1000).toFixed(0)} s`,
        );
      }
      return loss;
    },
  });
  optimizer.dispose();
  return { steps, finalLoss: ema, wallS: (performance.now() - t0) / 1000, lossCurve: curve };
}

function* stepIndices(steps: number): Generator<number> {
  for (let step = 0; step < steps; step++) yield step;
}

/** One Adam step at the cosine-decayed learning rate on a freshly drawn batch; throws when the loss is not finite. */
function centerNetStep(
  model: tf.LayersModel,
  optimizer: tf.AdamOptimizer,
  o: FitOptions,
  step: number,
  t0: number,
  rng: Prng,
): { loss: number; lr: number } {
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
  return { loss, lr };
}

/**
 * `makeBatch` for samples that are mirrored left/right at random (a coin per sample): `write`
 * puts the (mirrored) input at `offset` of the batch, `objects` gives the (mirrored) labels.
 */
export function mirroredBatches<S>(
  samples: readonly S[],
  layout: HeadLayout,
  itemShape: readonly [number, number, number],
  write: (sample: S, flip: boolean, x: Float32Array, offset: number) => void,
  objects: (sample: S, flip: boolean) => HeadObject[],
): FitOptions["makeBatch"] {
  const per = itemShape[0] * itemShape[1] * itemShape[2];
  return (idx, rng) => {
    const x = new Float32Array(idx.length * per);
    const targets = idx.map((k, b) => {
      const flip = rng.chance(0.5);
      write(samples[k]!, flip, x, b * per);
      return buildHeadTargets(layout, objects(samples[k]!, flip));
    });
    return { x, shape: [idx.length, ...itemShape], targets };
  };
}
