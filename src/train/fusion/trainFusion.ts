import * as tf from "@tensorflow/tfjs";
import { SeededRandom } from "../../encoders/common/seededRandom";
import type { FusionHead } from "../../fusion/fusionHead";
import { HEAD_MODALITIES, SLOT_FEATURES, SLOT_SIZE, TRACK_FEATURES, TRACK_SIZE } from "../../fusion/head/features";
import {
  buildFusionModel,
  createLearnedFusionHead,
  decodeRow,
  FUSION_MODEL_VERSION,
  OUT_CLASSES,
  OUTPUT_SIZE,
  runModel,
  type FusionHeadMetadata,
} from "../../fusion/head/model";
import { createNaiveFusionHead } from "../../fusion/head/naiveHead";
import { concatExamples, examplesFrom, LABEL_RADIUS_M, replayDrive, type Augmentation, type Examples } from "./dataset";
import { fusionSplit, type DriveSpec, type FusionDrive } from "./drives";
import { classAccuracy, closedLoop, existenceMetrics, positionRms, type ClosedLoopMetrics, type ExistenceMetrics } from "./metrics";

export type FusionTrainOptions = {
  seed: number;
  quick: boolean;
  /** The drive for a spec: from the cache, or generated (simulator + encoders) and cached. */
  loadDrive: (spec: DriveSpec) => Promise<FusionDrive>;
  log: (line: string) => void;
  /** The command line, for the metadata. */
  command: string;
  backend: string;
  epochs?: number;
  /** Training drives (seeds 20000 + i); default DEFAULT_TRAIN_DRIVES. */
  trainDrives?: number;
  /** Wall-clock budget for fitting (s); fitting stops early to keep it. */
  budgetSeconds?: number;
};

export type FusionTrainResult = { model: tf.LayersModel; metadata: FusionHeadMetadata; summary: string[] };

/** Augmented replays of each training drive (evidence-level: whole sensors removed, fog). */
function trainingAugmentations(spec: DriveSpec, quick: boolean): Augmentation[] {
  const r = new SeededRandom(spec.seed * 7 + 1);
  const fog = (): Augmentation => ({
    kind: "fog",
    seed: r.seed(),
    visibilityM: Math.round(Math.exp(Math.log(30) + r.next() * (Math.log(200) - Math.log(30)))),
  });
  if (quick) return [{ kind: "none" }, { kind: "dropout", seed: r.seed() }];
  return [{ kind: "none" }, { kind: "dropout", seed: r.seed() }, { kind: "dropout", seed: r.seed() }, fog(), { kind: "radarOnly" }];
}

type Batch = {
  slots: tf.Tensor3D;
  track: tf.Tensor2D;
  exist: tf.Tensor2D;
  cls: tf.Tensor2D;
  clsMask: tf.Tensor1D;
  offset: tf.Tensor2D;
  posMask: tf.Tensor1D;
};

function batchOf(ex: Examples, idx: Int32Array): Batch {
  const n = idx.length;
  const S = HEAD_MODALITIES.length * SLOT_SIZE;
  const slots = new Float32Array(n * S);
  const track = new Float32Array(n * TRACK_SIZE);
  const exist = new Float32Array(n);
  const cls = new Float32Array(n * OUT_CLASSES.length);
  const clsMask = new Float32Array(n);
  const offset = new Float32Array(2 * n);
  const posMask = new Float32Array(n);
  idx.forEach((j, i) => {
    slots.set(ex.slots.subarray(j * S, (j + 1) * S), i * S);
    track.set(ex.track.subarray(j * TRACK_SIZE, (j + 1) * TRACK_SIZE), i * TRACK_SIZE);
    exist[i] = ex.exist[j]!;
    if (ex.cls[j]! >= 0) {
      cls[i * OUT_CLASSES.length + ex.cls[j]!] = 1;
      clsMask[i] = 1;
    }
    if (ex.exist[j]) {
      posMask[i] = 1;
      offset[2 * i] = Math.max(-LABEL_RADIUS_M, Math.min(LABEL_RADIUS_M, ex.offset[2 * j]!));
      offset[2 * i + 1] = Math.max(-LABEL_RADIUS_M, Math.min(LABEL_RADIUS_M, ex.offset[2 * j + 1]!));
    }
  });
  return {
    slots: tf.tensor3d(slots, [n, HEAD_MODALITIES.length, SLOT_SIZE]),
    track: tf.tensor2d(track, [n, TRACK_SIZE]),
    exist: tf.tensor2d(exist, [n, 1]),
    cls: tf.tensor2d(cls, [n, OUT_CLASSES.length]),
    clsMask: tf.tensor1d(clsMask),
    offset: tf.tensor2d(offset, [n, 2]),
    posMask: tf.tensor1d(posMask),
  };
}

/** Loss weights of the class and position terms relative to existence. */
const CLASS_WEIGHT = 0.5;
const POSITION_WEIGHT = 0.5;

function lossOf(model: tf.LayersModel, b: Batch): tf.Scalar {
  return tf.tidy(() => {
    const out = model.apply([b.slots, b.track], { training: true }) as tf.Tensor2D;
    const existLogit = out.slice([0, 0], [-1, 1]);
    const clsLogits = out.slice([0, 1], [-1, OUT_CLASSES.length]);
    const off = out.slice([0, 1 + OUT_CLASSES.length], [-1, 2]);
    const lExist = tf.losses.sigmoidCrossEntropy(b.exist, existLogit);
    const nCls = tf.maximum(b.clsMask.sum(), 1);
    const ce = tf.neg(tf.sum(tf.mul(b.cls, tf.logSoftmax(clsLogits)), 1));
    const lCls = tf.div(tf.sum(tf.mul(ce, b.clsMask)), nCls);
    const nPos = tf.maximum(b.posMask.sum(), 1);
    const err = tf.abs(tf.sub(off, b.offset));
    const q = tf.minimum(err, 1);
    const huber = tf.add(tf.mul(0.5, tf.square(q)), tf.sub(err, q)).sum(1);
    const lPos = tf.div(tf.sum(tf.mul(huber, b.posMask)), nPos);
    return tf.addN([lExist, tf.mul(CLASS_WEIGHT, lCls), tf.mul(POSITION_WEIGHT, lPos)]) as tf.Scalar;
  });
}

export type HeadEvaluation = {
  existence: ExistenceMetrics;
  trackerExistence: ExistenceMetrics;
  classAccuracy: number;
  trackerClassAccuracy: number;
  positionRmsM: number;
  trackerPositionRmsM: number;
};

/** Candidate-level comparison of the model's outputs with the tracker's own on labelled examples. */
export function evaluateModel(
  model: tf.LayersModel,
  ex: Examples,
  mask?: ArrayLike<number>,
): HeadEvaluation & { offsets: Float32Array; scores: Float32Array } {
  const out = new Float32Array(ex.count * OUTPUT_SIZE);
  const chunk = 4096;
  for (let o = 0; o < ex.count; o += chunk) {
    const n = Math.min(chunk, ex.count - o);
    const S = HEAD_MODALITIES.length * SLOT_SIZE;
    out.set(
      runModel(model, ex.slots.subarray(o * S, (o + n) * S), ex.track.subarray(o * TRACK_SIZE, (o + n) * TRACK_SIZE), n),
      o * OUTPUT_SIZE,
    );
  }
  const scores = new Float32Array(ex.count);
  const cls = new Int32Array(ex.count);
  const offsets = new Float32Array(2 * ex.count);
  for (let i = 0; i < ex.count; i++) {
    const p = decodeRow(out, i);
    scores[i] = p.existence;
    cls[i] = p.classes.indexOf(Math.max(...p.classes));
    offsets[2 * i] = p.offset.x;
    offsets[2 * i + 1] = p.offset.y;
  }
  return {
    existence: existenceMetrics(scores, ex.exist, mask),
    trackerExistence: existenceMetrics(ex.modelExistence, ex.exist, mask),
    classAccuracy: classAccuracy(cls, ex, mask),
    trackerClassAccuracy: classAccuracy(ex.trackerCls, ex, mask),
    positionRmsM: positionRms(offsets, ex, mask),
    trackerPositionRmsM: positionRms(null, ex, mask),
    offsets,
    scores,
  };
}

const r3 = (v: number): number => Math.round(v * 1000) / 1000;
const roundAll = <T extends object>(o: T): T => JSON.parse(JSON.stringify(o, (_k, v: unknown) => (typeof v === "number" ? r3(v) : v))) as T;

/** Trains the fusion head on the training drives; evaluates on the validation drives. */
export async function trainFusionHead(opts: FusionTrainOptions): Promise<FusionTrainResult> {
  const { log, quick } = opts;
  const split = fusionSplit(quick, opts.trainDrives);
  const started = performance.now();
  const trainDrives: FusionDrive[] = [];
  for (const spec of split.train) trainDrives.push(await opts.loadDrive(spec));
  const valDrives: FusionDrive[] = [];
  for (const spec of split.validation) valDrives.push(await opts.loadDrive(spec));
  log(
    `fusion: ${trainDrives.length} training drives, ${valDrives.length} validation drives loaded (${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );

  const parts: Examples[] = [];
  for (const d of trainDrives) for (const aug of trainingAugmentations(d.spec, quick)) parts.push(examplesFrom(replayDrive(d, aug)));
  const train = concatExamples(parts);
  const val = concatExamples(valDrives.map((d) => examplesFrom(replayDrive(d, { kind: "none" }))));
  const valRadar = concatExamples(valDrives.map((d) => examplesFrom(replayDrive(d, { kind: "radarOnly" }))));
  const valFog = concatExamples(valDrives.map((d) => examplesFrom(replayDrive(d, { kind: "fog", seed: 1, visibilityM: 50 }))));
  const positives = train.exist.reduce((a, b) => a + b, 0);
  log(`fusion: ${train.count} training candidates (${positives} real), ${val.count} validation candidates`);
  if (train.count === 0) throw new Error("fusion training: no labelled candidates in the training drives");

  const rng = new SeededRandom(opts.seed);
  const model = buildFusionModel(rng.seed());
  const optimizer = tf.train.adam(quick ? 0.01 : 0.003);
  const batchSize = quick ? 64 : 256;
  const epochs = opts.epochs ?? (quick ? 2 : 6);
  const deadline = started + (opts.budgetSeconds ?? Infinity) * 1000;
  const losses: number[] = [];
  let steps = 0;
  let stopped = false;
  const fit = (data: Examples, nEpochs: number, round: string): void => {
    const stepsPerEpoch = Math.max(1, Math.ceil(data.count / batchSize));
    for (let e = 0; e < nEpochs && !stopped; e++) {
      const order = Int32Array.from(rng.shuffle(Array.from({ length: data.count }, (_, i) => i)));
      let sum = 0;
      let n = 0;
      for (let s = 0; s < stepsPerEpoch; s++) {
        if (performance.now() > deadline) {
          stopped = true;
          break;
        }
        const idx = order.subarray(s * batchSize, Math.min(data.count, (s + 1) * batchSize));
        if (idx.length === 0) break;
        const b = batchOf(data, idx);
        const loss = optimizer.minimize(() => lossOf(model, b), true)!;
        sum += loss.dataSync()[0]!;
        n++;
        loss.dispose();
        for (const t of Object.values(b)) (t as tf.Tensor).dispose();
        steps++;
      }
      if (n > 0) losses.push(sum / n);
      const v = evaluateModel(model, val);
      log(
        `fusion: ${round} epoch ${e + 1}/${nEpochs} loss ${(sum / Math.max(1, n)).toFixed(4)}; validation P(real) BCE ${v.existence.bce.toFixed(4)} AP ${v.existence.ap.toFixed(3)} (tracker ${v.trackerExistence.ap.toFixed(3)})`,
      );
    }
  };
  fit(train, epochs, "round 1");
  // Round 2 (DAgger): with the head in the loop, tracks live and die differently (the head keeps
  // or drops them), so the candidates it will see differ from the tracker-only ones. Replay the
  // training drives with the round-1 head in the loop, label those candidates too, and go on
  // training on both sets.
  let data = train;
  const rounds = quick ? 1 : 2;
  for (let round = 2; round <= rounds && !stopped; round++) {
    const loopMeta = {
      kind: "fusion" as const,
      modelVersion: FUSION_MODEL_VERSION,
      input: { modalities: [...HEAD_MODALITIES], slotFeatures: [...SLOT_FEATURES], trackFeatures: [...TRACK_FEATURES] },
      output: { classes: [...OUT_CLASSES], refineClass: false, refinePosition: false, positionVarianceM2: 1, baseRate: baseRateOf(data) },
    };
    const loopHead = createLearnedFusionHead(model, loopMeta);
    const inLoop: Examples[] = [];
    for (const d of trainDrives)
      for (const aug of trainingAugmentations(d.spec, quick)) inLoop.push(examplesFrom(replayDrive(d, aug, loopHead)));
    data = concatExamples([data, ...inLoop]);
    log(`fusion: round ${round}: ${data.count} candidates with the head in the loop added (${(baseRateOf(data) * 100).toFixed(1)} % real)`);
    fit(data, Math.max(1, Math.ceil(epochs / 2)), `round ${round}`);
  }
  optimizer.dispose();

  // Validation: candidate level (all sensors; camera + LiDAR removed; fog at 50 m).
  const evAll = evaluateModel(model, val);
  const evRadar = evaluateModel(model, valRadar, valRadar.radarOnly);
  const evFog = evaluateModel(model, valFog);
  const refineClass = evAll.classAccuracy > evAll.trackerClassAccuracy && evFog.classAccuracy > evFog.trackerClassAccuracy;
  // Position: the offset's remaining error variance on validation positives.
  let varSum = 0;
  let varN = 0;
  for (let i = 0; i < val.count; i++) {
    if (!val.exist[i]) continue;
    varSum += (val.offset[2 * i]! - evAll.offsets[2 * i]!) ** 2 + (val.offset[2 * i + 1]! - evAll.offsets[2 * i + 1]!) ** 2;
    varN += 2;
  }
  const positionVarianceM2 = Math.max(0.01, varN ? varSum / varN : 1);

  const baseMeta = {
    kind: "fusion" as const,
    modelVersion: FUSION_MODEL_VERSION,
    input: { modalities: [...HEAD_MODALITIES], slotFeatures: [...SLOT_FEATURES], trackFeatures: [...TRACK_FEATURES] },
    output: {
      classes: [...OUT_CLASSES],
      refineClass,
      refinePosition: false,
      positionVarianceM2: r3(positionVarianceM2),
      baseRate: r3(baseRateOf(data)),
    },
  };
  // Scene level: the tracker with each head in the loop on the validation drives.
  const scene: Record<string, Record<string, ClosedLoopMetrics>> = {};
  const conditions: [string, Augmentation, ("camera" | "lidar" | "radar")[]][] = [
    ["all sensors", { kind: "none" }, ["camera", "lidar", "radar"]],
    ["camera and LiDAR removed", { kind: "radarOnly" }, ["radar"]],
    ["fog 50 m (augmented)", { kind: "fog", seed: 1, visibilityM: 50 }, ["camera", "lidar", "radar"]],
  ];
  const runHead = (label: string, head: FusionHead | undefined): void => {
    for (const [name, aug, vis] of conditions) {
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
      ...conditions.map(([name]) => scene[name]![label]!.apConfirmed / Math.max(1e-6, scene[name]!.tracker!.apConfirmed)),
    );
    gridScores[label] = r3(score);
    if (best === undefined || score > best.score) best = { trackerWeight, headWeight, score };
  }
  const { trackerWeight, headWeight } = best!;
  for (const [name] of conditions) scene[name]!.learned = scene[name]![`learned α=${trackerWeight} β=${headWeight}`]!;
  runHead("learnedWithPosition", createLearnedFusionHead(model, baseMeta, { refinePosition: true, trackerWeight, headWeight }));
  const all = scene["all sensors"]!;
  const refinePosition =
    all.learnedWithPosition!.positionRms < all.learned!.positionRms &&
    all.learnedWithPosition!.apConfirmed >= all.learned!.apConfirmed - 0.005;
  const metadata: FusionHeadMetadata = {
    ...baseMeta,
    output: { ...baseMeta.output, refinePosition, trackerWeight, headWeight },
    date: new Date().toISOString(),
    command: opts.command,
    backend: opts.backend,
    seed: opts.seed,
    training: {
      seeds: split.train.map((s) => s.seed),
      variants: split.train.map((s) => s.variant),
      durationS: split.train[0]?.durationS,
      augmentations:
        "per drive: as recorded, 2× modality dropout (each of camera/LiDAR/radar: 45 % kept, 25 % removed for the drive, 30 % removed in 1–3 windows of 1–5 s), fog (V 30–200 m: camera/LiDAR quality lowered, detections kept with p = exp(−3.912 r / V), LiDAR at half that rate), camera+LiDAR removed",
      candidates: data.count,
      positives: data.exist.reduce((a, b) => a + b, 0),
      rounds,
      epochs: losses.length,
      steps,
      batchSize,
      stoppedByBudget: stopped,
      losses: losses.map(r3),
      labels: `a candidate is real when a ground-truth object of class ${OUT_CLASSES.join("/")} is within ${LABEL_RADIUS_M} m of its position at the tick`,
    },
    validation: {
      seeds: split.validation.map((s) => s.seed),
      candidates: val.count,
      candidateLevel: {
        "all sensors": roundAll(strip(evAll)),
        "camera and LiDAR removed (radar-detected candidates)": roundAll(strip(evRadar)),
        "fog 50 m (augmented)": roundAll(strip(evFog)),
      },
      sceneLevel: scene,
      decisions: {
        refineClass,
        refinePosition,
        recursion: {
          trackerWeight,
          headWeight,
          rule: "max over the grid of min over conditions of learned/tracker confirmed-track AP",
          scores: gridScores,
        },
      },
    },
  };
  const summary = [
    `fusion head: ${data.count} training candidates from ${trainDrives.length} drives, ${losses.length} epochs`,
    `validation (${valDrives.length} drives, ${val.count} candidates): per-tick P(real) BCE ${evAll.existence.bce.toFixed(3)} (tracker ${evAll.trackerExistence.bce.toFixed(3)}), AP ${evAll.existence.ap.toFixed(3)} (tracker ${evAll.trackerExistence.ap.toFixed(3)}), ECE ${evAll.existence.ece.toFixed(3)} (tracker ${evAll.trackerExistence.ece.toFixed(3)})`,
    `class accuracy ${evAll.classAccuracy.toFixed(3)} (tracker ${evAll.trackerClassAccuracy.toFixed(3)}); position RMS ${evAll.positionRmsM.toFixed(3)} m (tracker ${evAll.trackerPositionRmsM.toFixed(3)} m)`,
    ...Object.entries(scene).map(
      ([c, m]) =>
        `${c}: AP@2m ${Object.entries(m)
          .map(([h, x]) => `${h} ${x.ap.toFixed(3)}`)
          .join(", ")}; confirmed tracks only: ${Object.entries(m)
          .map(([h, x]) => `${h} ${x.apConfirmed.toFixed(3)}`)
          .join(", ")}`,
    ),
    `existence recursion: tracker weight ${trackerWeight}, head weight ${headWeight}; refine class: ${refineClass}; refine position: ${refinePosition}`,
  ];
  return { model, metadata, summary };
}

function baseRateOf(ex: Examples): number {
  let p = 0;
  for (let i = 0; i < ex.count; i++) p += ex.exist[i]!;
  return Math.min(0.99, Math.max(0.01, p / Math.max(1, ex.count)));
}

function strip(e: HeadEvaluation & { offsets: Float32Array; scores: Float32Array }): HeadEvaluation {
  const { offsets: _o, scores: _s, ...rest } = e;
  return rest;
}
