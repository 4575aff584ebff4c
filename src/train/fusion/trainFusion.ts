import * as tf from "@tensorflow/tfjs";
import { SeededRandom } from "../../encoders/common/seededRandom";
import { HEAD_MODALITIES, SLOT_FEATURES, TRACK_FEATURES } from "../../fusion/head/features";
import {
  buildFusionModel,
  createLearnedFusionHead,
  FUSION_MODEL_VERSION,
  OUT_CLASSES,
  type FusionHeadMetadata,
} from "../../fusion/head/model";
import { runEpochs } from "../runEpochs";
import { concatExamples, examplesFrom, LABEL_RADIUS_M, replayDrive, type Augmentation, type Examples } from "./dataset";
import { fusionSplit, type DriveSpec, type FusionDrive } from "./drives";
import { evaluateModel, r3, roundAll, withoutArrays, type HeadEvaluation } from "./evaluateModel";
import { batchOf, lossOf } from "./headBatches";
import { sceneValidation, type SceneValidation } from "./sceneValidation";

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

/** The labelled candidates: training (augmented replays), and validation as recorded, radar only and in fog at 50 m. */
type CandidateSets = { train: Examples; val: Examples; valRadar: Examples; valFog: Examples };

/** What the fit left: the data of the last round, the losses per epoch, steps, whether the budget stopped it. */
type FitRounds = { data: Examples; losses: number[]; steps: number; stopped: boolean; rounds: number; batchSize: number };

/** Candidate-level validation and the decisions it makes (refine class; the position variance the head reports). */
type CandidateValidation = { evAll: EvalArrays; evRadar: EvalArrays; evFog: EvalArrays; refineClass: boolean; positionVarianceM2: number };
type EvalArrays = ReturnType<typeof evaluateModel>;

/** Trains the fusion head on the training drives; evaluates on the validation drives. */
export async function trainFusionHead(opts: FusionTrainOptions): Promise<FusionTrainResult> {
  const split = fusionSplit(opts.quick, opts.trainDrives);
  const started = performance.now();
  const trainDrives: FusionDrive[] = [];
  for (const spec of split.train) trainDrives.push(await opts.loadDrive(spec));
  const valDrives: FusionDrive[] = [];
  for (const spec of split.validation) valDrives.push(await opts.loadDrive(spec));
  opts.log(
    `fusion: ${trainDrives.length} training drives, ${valDrives.length} validation drives loaded (${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
  const sets = candidateSets(trainDrives, valDrives, opts);
  const rng = new SeededRandom(opts.seed);
  const model = buildFusionModel(rng.seed());
  const fit = await fitRounds(model, rng, trainDrives, sets, opts, started);
  const candidates = candidateValidation(model, sets);
  const baseMeta = headMetadata({
    classes: [...OUT_CLASSES],
    refineClass: candidates.refineClass,
    refinePosition: false,
    positionVarianceM2: r3(candidates.positionVarianceM2),
    baseRate: r3(baseRateOf(fit.data)),
  });
  const scene = sceneValidation(model, baseMeta, valDrives, opts.quick);
  const metadata = fusionMetadata(baseMeta, opts, split, sets.val, fit, candidates, scene);
  return { model, metadata, summary: fusionSummary(trainDrives.length, valDrives.length, sets.val, fit, candidates, scene) };
}

function candidateSets(trainDrives: readonly FusionDrive[], valDrives: readonly FusionDrive[], opts: FusionTrainOptions): CandidateSets {
  const parts: Examples[] = [];
  for (const d of trainDrives) for (const aug of trainingAugmentations(d.spec, opts.quick)) parts.push(examplesFrom(replayDrive(d, aug)));
  const train = concatExamples(parts);
  const val = concatExamples(valDrives.map((d) => examplesFrom(replayDrive(d, { kind: "none" }))));
  const valRadar = concatExamples(valDrives.map((d) => examplesFrom(replayDrive(d, { kind: "radarOnly" }))));
  const valFog = concatExamples(valDrives.map((d) => examplesFrom(replayDrive(d, { kind: "fog", seed: 1, visibilityM: 50 }))));
  const positives = train.exist.reduce((a, b) => a + b, 0);
  opts.log(`fusion: ${train.count} training candidates (${positives} real), ${val.count} validation candidates`);
  if (train.count === 0) throw new Error("fusion training: no labelled candidates in the training drives");
  return { train, val, valRadar, valFog };
}

/**
 * Round 1 on the tracker-only candidates; then (full runs) round 2, DAgger: with the head in the
 * loop, tracks live and die differently (the head keeps or drops them), so the candidates it will
 * see differ from the tracker-only ones. Replay the training drives with the round-1 head in the
 * loop, label those candidates too, and go on training on both sets. The budget stops both rounds.
 */
async function fitRounds(
  model: tf.LayersModel,
  rng: SeededRandom,
  trainDrives: readonly FusionDrive[],
  sets: CandidateSets,
  opts: FusionTrainOptions,
  started: number,
): Promise<FitRounds> {
  const { quick, log } = opts;
  const optimizer = tf.train.adam(quick ? 0.01 : 0.003);
  const batchSize = quick ? 64 : 256;
  const epochs = opts.epochs ?? (quick ? 2 : 6);
  const deadlineMs = started + (opts.budgetSeconds ?? Infinity) * 1000;
  const out: FitRounds = { data: sets.train, losses: [], steps: 0, stopped: false, rounds: quick ? 1 : 2, batchSize };
  const fit = async (data: Examples, nEpochs: number, round: string): Promise<void> => {
    const r = await runEpochs<Int32Array>({
      epochs: nEpochs,
      deadlineMs,
      batches: () => batchIndices(Int32Array.from(rng.shuffle(Array.from({ length: data.count }, (_, i) => i))), batchSize),
      step: (idx) => {
        const b = batchOf(data, idx);
        const loss = optimizer.minimize(() => lossOf(model, b), true)!;
        const l = loss.dataSync()[0]!;
        loss.dispose();
        for (const t of Object.values(b)) (t as tf.Tensor).dispose();
        return l;
      },
      endEpoch: (e, meanLoss) => {
        const v = evaluateModel(model, sets.val);
        log(
          `fusion: ${round} epoch ${e + 1}/${nEpochs} loss ${meanLoss.toFixed(4)}; validation P(real) BCE ${v.existence.bce.toFixed(4)} AP ${v.existence.ap.toFixed(3)} (tracker ${v.trackerExistence.ap.toFixed(3)})`,
        );
      },
    });
    out.losses.push(...r.losses);
    out.steps += r.steps;
    out.stopped = r.stoppedByDeadline;
  };
  await fit(sets.train, epochs, "round 1");
  for (let round = 2; round <= out.rounds && !out.stopped; round++) {
    const loopHead = createLearnedFusionHead(
      model,
      headMetadata({
        classes: [...OUT_CLASSES],
        refineClass: false,
        refinePosition: false,
        positionVarianceM2: 1,
        baseRate: baseRateOf(out.data),
      }),
    );
    const inLoop: Examples[] = [];
    for (const d of trainDrives)
      for (const aug of trainingAugmentations(d.spec, quick)) inLoop.push(examplesFrom(replayDrive(d, aug, loopHead)));
    out.data = concatExamples([out.data, ...inLoop]);
    log(
      `fusion: round ${round}: ${out.data.count} candidates with the head in the loop added (${(baseRateOf(out.data) * 100).toFixed(1)} % real)`,
    );
    await fit(out.data, Math.max(1, Math.ceil(epochs / 2)), `round ${round}`);
  }
  optimizer.dispose();
  return out;
}

/** One epoch's batches: consecutive slices of the shuffled order. */
function* batchIndices(order: Int32Array, batchSize: number): Generator<Int32Array> {
  const count = order.length;
  const stepsPerEpoch = Math.max(1, Math.ceil(count / batchSize));
  for (let s = 0; s < stepsPerEpoch; s++) {
    const idx = order.subarray(s * batchSize, Math.min(count, (s + 1) * batchSize));
    if (idx.length === 0) return;
    yield idx;
  }
}

/** Candidate level (all sensors; camera + LiDAR removed; fog at 50 m), and the offset's remaining error variance on validation positives. */
function candidateValidation(model: tf.LayersModel, sets: CandidateSets): CandidateValidation {
  const { val } = sets;
  const evAll = evaluateModel(model, val);
  const evRadar = evaluateModel(model, sets.valRadar, sets.valRadar.radarOnly);
  const evFog = evaluateModel(model, sets.valFog);
  const refineClass = evAll.classAccuracy > evAll.trackerClassAccuracy && evFog.classAccuracy > evFog.trackerClassAccuracy;
  let varSum = 0;
  let varN = 0;
  for (let i = 0; i < val.count; i++) {
    if (!val.exist[i]) continue;
    varSum += (val.offset[2 * i]! - evAll.offsets[2 * i]!) ** 2 + (val.offset[2 * i + 1]! - evAll.offsets[2 * i + 1]!) ** 2;
    varN += 2;
  }
  const positionVarianceM2 = Math.max(0.01, varN ? varSum / varN : 1);
  return { evAll, evRadar, evFog, refineClass, positionVarianceM2 };
}

/** The head's metadata as far as running it needs: its input contract (this build's features) and output decoding. */
function headMetadata(output: FusionHeadMetadata["output"]) {
  return {
    kind: "fusion" as const,
    modelVersion: FUSION_MODEL_VERSION,
    input: { modalities: [...HEAD_MODALITIES], slotFeatures: [...SLOT_FEATURES], trackFeatures: [...TRACK_FEATURES] },
    output,
  };
}

function fusionMetadata(
  baseMeta: ReturnType<typeof headMetadata>,
  opts: FusionTrainOptions,
  split: { train: DriveSpec[]; validation: DriveSpec[] },
  val: Examples,
  fit: FitRounds,
  c: CandidateValidation,
  scene: SceneValidation,
): FusionHeadMetadata {
  const { trackerWeight, headWeight, refinePosition } = scene;
  return {
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
      candidates: fit.data.count,
      positives: fit.data.exist.reduce((a, b) => a + b, 0),
      rounds: fit.rounds,
      epochs: fit.losses.length,
      steps: fit.steps,
      batchSize: fit.batchSize,
      stoppedByBudget: fit.stopped,
      losses: fit.losses.map(r3),
      labels: `a candidate is real when a ground-truth object of class ${OUT_CLASSES.join("/")} is within ${LABEL_RADIUS_M} m of its position at the tick`,
    },
    validation: {
      seeds: split.validation.map((s) => s.seed),
      candidates: val.count,
      candidateLevel: {
        "all sensors": roundAll(withoutArrays(c.evAll)),
        "camera and LiDAR removed (radar-detected candidates)": roundAll(withoutArrays(c.evRadar)),
        "fog 50 m (augmented)": roundAll(withoutArrays(c.evFog)),
      },
      sceneLevel: scene.scene,
      decisions: {
        refineClass: c.refineClass,
        refinePosition,
        recursion: {
          trackerWeight,
          headWeight,
          rule: "max over the grid of min over conditions of learned/tracker confirmed-track AP",
          scores: scene.gridScores,
        },
      },
    },
  };
}

function fusionSummary(
  trainDrives: number,
  valDrives: number,
  val: Examples,
  fit: FitRounds,
  c: CandidateValidation,
  s: SceneValidation,
): string[] {
  const evAll: HeadEvaluation = c.evAll;
  return [
    `fusion head: ${fit.data.count} training candidates from ${trainDrives} drives, ${fit.losses.length} epochs`,
    `validation (${valDrives} drives, ${val.count} candidates): per-tick P(real) BCE ${evAll.existence.bce.toFixed(3)} (tracker ${evAll.trackerExistence.bce.toFixed(3)}), AP ${evAll.existence.ap.toFixed(3)} (tracker ${evAll.trackerExistence.ap.toFixed(3)}), ECE ${evAll.existence.ece.toFixed(3)} (tracker ${evAll.trackerExistence.ece.toFixed(3)})`,
    `class accuracy ${evAll.classAccuracy.toFixed(3)} (tracker ${evAll.trackerClassAccuracy.toFixed(3)}); position RMS ${evAll.positionRmsM.toFixed(3)} m (tracker ${evAll.trackerPositionRmsM.toFixed(3)} m)`,
    ...Object.entries(s.scene).map(
      ([cond, m]) =>
        `${cond}: AP@2m ${Object.entries(m)
          .map(([h, x]) => `${h} ${x.ap.toFixed(3)}`)
          .join(", ")}; confirmed tracks only: ${Object.entries(m)
          .map(([h, x]) => `${h} ${x.apConfirmed.toFixed(3)}`)
          .join(", ")}`,
    ),
    `existence recursion: tracker weight ${s.trackerWeight}, head weight ${s.headWeight}; refine class: ${c.refineClass}; refine position: ${s.refinePosition}`,
  ];
}

/** Share of real candidates, kept inside 0.01..0.99 (the head's prior). */
export function baseRateOf(ex: Examples): number {
  let p = 0;
  for (let i = 0; i < ex.count; i++) p += ex.exist[i]!;
  return Math.min(0.99, Math.max(0.01, p / Math.max(1, ex.count)));
}
