import type * as tf from "@tensorflow/tfjs";
import type { Scenario } from "../../sim/scenario";
import { classifierFrames, DEFAULT_AUDIO_WINDOW, LOG_MEL_SCALE } from "../../encoders/audio/features";
import type { AudioModelMetadata } from "../../encoders/audio/metadata";
import { AUDIO_CLASSES, buildAudioModel } from "../../encoders/audio/model";
import { compileClassifier } from "../../encoders/common/layers";
import { datasetFrom, classCounts, predictAll } from "../fit";
import { argmaxRows, classificationMetrics, median, round4 } from "../metrics";
import { audioExamples, type AudioExample } from "./audioDataset";
import { foldFrontBack } from "./audioLabels";
import { audioSplit, audioTrainingScenario, type ModalitySplit } from "../scenarios";
import { classCountsOf, fitRecord, fitWithinBudget, runRecord, type ClassifierFit } from "../classifierTraining";
import type { TrainOptions, TrainResult, Trainer } from "../types";

export const AUDIO_MODEL_VERSION = "audio-cnn-1";
const SIREN = AUDIO_CLASSES.indexOf("siren");
const HORN = AUDIO_CLASSES.indexOf("horn");
/** False-alarm rate the siren threshold is chosen for on the validation drives. */
export const TARGET_VALIDATION_FALSE_ALARMS = 0.02;

export type SirenMetrics = {
  sirenWindows: number;
  otherWindows: number;
  recall: number;
  falseAlarmRate: number;
  /** |estimated − true| bearing (deg), front/back folded, over detected sirens with a bearing. */
  medianBearingErrorDeg: number | null;
  p90BearingErrorDeg: number | null;
  hornRecall: number | null;
  hornFalseAlarmRate: number;
};

function sirenMetrics(ex: readonly AudioExample[], probs: Float32Array, sirenT: number, hornT: number): SirenMetrics {
  let sirens = 0;
  let hits = 0;
  let others = 0;
  let fa = 0;
  let horns = 0;
  let hornHits = 0;
  let notHorn = 0;
  let hornFa = 0;
  const errs: number[] = [];
  const k = AUDIO_CLASSES.length;
  ex.forEach((e, i) => {
    const pS = probs[i * k + SIREN]!;
    const pH = probs[i * k + HORN]!;
    if (e.label === SIREN) {
      sirens++;
      if (pS >= sirenT) {
        hits++;
        if (e.sirenBearingRad !== null && e.estimatedBearingRad !== null) {
          errs.push((Math.abs(e.estimatedBearingRad - foldFrontBack(e.sirenBearingRad)) * 180) / Math.PI);
        }
      }
    } else {
      others++;
      if (pS >= sirenT) fa++;
    }
    if (e.label === HORN) {
      horns++;
      if (pH >= hornT) hornHits++;
    } else {
      notHorn++;
      if (pH >= hornT) hornFa++;
    }
  });
  errs.sort((a, b) => a - b);
  return {
    sirenWindows: sirens,
    otherWindows: others,
    recall: sirens > 0 ? round4(hits / sirens) : 0,
    falseAlarmRate: others > 0 ? round4(fa / others) : 0,
    medianBearingErrorDeg: errs.length > 0 ? round4(median(errs)!) : null,
    p90BearingErrorDeg: errs.length > 0 ? round4(errs[Math.min(errs.length - 1, Math.floor(errs.length * 0.9))]!) : null,
    hornRecall: horns > 0 ? round4(hornHits / horns) : null,
    hornFalseAlarmRate: notHorn > 0 ? round4(hornFa / notHorn) : 0,
  };
}

/** The lowest threshold whose false-alarm rate on `ex` is at most `target` (scan in 0.01 steps). */
function chooseThreshold(ex: readonly AudioExample[], probs: Float32Array, cls: number, target: number): number {
  const k = AUDIO_CLASSES.length;
  const neg = ex.map((e, i) => (e.label !== cls ? probs[i * k + cls]! : -1)).filter((p) => p >= 0);
  for (let t = 0.3; t <= 0.99; t += 0.01) {
    const fa = neg.filter((p) => p >= t).length / Math.max(1, neg.length);
    if (fa <= target) return round4(t);
  }
  return 0.99;
}

/** The drives' windows: training, validation (thresholds) and held out, and how they were made. */
type AudioData = {
  split: ModalitySplit;
  duration: number;
  fitSeeds: number[];
  valSeeds: number[];
  fit: { ex: AudioExample[]; ambiguous: number };
  val: { ex: AudioExample[]; ambiguous: number };
  held: { ex: AudioExample[]; ambiguous: number };
};

export const trainAudio: Trainer = async (opts: TrainOptions): Promise<TrainResult> => {
  const o = DEFAULT_AUDIO_WINDOW;
  const frames = classifierFrames(o);
  const mels = o.frontEnd.logMel.numMels;
  const t0 = performance.now();
  const data = audioData(opts, t0);
  const shape = [frames, mels, 1];
  const train = datasetFrom(
    data.fit.ex.map((e) => e.input),
    data.fit.ex.map((e) => e.label),
    shape,
  );
  const counts = classCountsOf("audio", AUDIO_CLASSES, classCounts(train.labels, AUDIO_CLASSES.length));
  opts.log(counts.line);

  const model = buildAudioModel(opts.seed, frames, mels);
  compileClassifier(model, 0.002);
  const epochs = opts.epochs ?? (opts.quick ? 1 : 30);
  const fit: ClassifierFit = {
    epochs,
    stepsPerEpoch: opts.stepsPerEpoch ?? (opts.quick ? 4 : 50),
    batchSize: 48,
    numClasses: AUDIO_CLASSES.length,
    naturalFraction: 0.3,
    onEpoch: (e, loss) =>
      opts.log(`audio: epoch ${e + 1}/${epochs} loss ${loss.toFixed(4)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`),
  };
  const fitted = await fitWithinBudget(model, train, opts, t0, fit);
  const evaluation = evaluateAudio(model, data, shape);
  const metadata: AudioModelMetadata & Record<string, unknown> = {
    kind: "audio",
    modelVersion: AUDIO_MODEL_VERSION,
    classes: [...AUDIO_CLASSES],
    date: new Date().toISOString(),
    command: opts.command,
    input: audioInputContract(o, frames, mels),
    sirenThreshold: evaluation.sirenThreshold,
    hornThreshold: evaluation.hornThreshold,
    output: "softmax over classes per window; a hazard is reported when p ≥ its threshold",
    training: {
      ...runRecord(opts),
      generator: `audioTrainingScenario(seed, ${data.duration} s) (src/encoders/train/scenarios.ts)`,
      generatedSeeds: data.fitSeeds,
      validationSeeds: data.valSeeds,
      examples: train.count,
      ambiguousLeftOut: data.fit.ambiguous,
      classCounts: counts.record,
      ...fitRecord(fit, fitted),
      optimizer: "adam 0.002, class-balanced batches (30 % natural mix)",
      thresholdRule: `lowest threshold ≥ 0.3 with ≤ ${TARGET_VALIDATION_FALSE_ALARMS * 100} % false alarms on the validation drives`,
      wallSeconds: Math.round((performance.now() - t0) / 1000),
    },
    heldOutSet: { scenarios: data.split.heldOut.named, generatedSeeds: data.split.heldOut.seeds },
    heldOut: evaluation.heldOut,
  };
  return { model, metadata, summary: audioSummary(evaluation.heldOut.clear, evaluation.sirenThreshold) };
};

/**
 * Simulated windows: the training seeds less the last 15 % (validation, for the thresholds), and
 * the held-out named scenarios (cut short in quick mode) and seeds.
 */
function audioData(opts: TrainOptions, t0: number): AudioData {
  const split = audioSplit(opts.quick);
  const duration = opts.quick ? 4 : 10;
  const nVal = Math.max(1, Math.round(split.train.seeds.length * 0.15));
  const fitSeeds = split.train.seeds.slice(0, split.train.seeds.length - nVal);
  const valSeeds = split.train.seeds.slice(split.train.seeds.length - nVal);
  const gen = (seeds: number[]): Scenario[] => seeds.map((s) => audioTrainingScenario(s, duration));
  const collect = (scenarios: Scenario[]): { ex: AudioExample[]; ambiguous: number } => {
    let ambiguous = 0;
    const ex: AudioExample[] = [];
    for (const s of scenarios) {
      const r = audioExamples(s, DEFAULT_AUDIO_WINDOW);
      ambiguous += r.ambiguous;
      for (const e of r.examples) ex.push(e);
    }
    return { ex, ambiguous };
  };
  const fit = collect(gen(fitSeeds));
  const val = collect(gen(valSeeds));
  const heldNamed = split.heldOut.named.map((n) => {
    const s = opts.loadNamed(n);
    return opts.quick ? { ...s, durationS: Math.min(s.durationS, duration) } : s;
  });
  const held = collect([...heldNamed, ...gen(split.heldOut.seeds)]);
  opts.log(
    `audio: ${fit.ex.length} training, ${val.ex.length} validation, ${held.ex.length} held-out windows (${held.ambiguous} ambiguous held-out windows left out; ${((performance.now() - t0) / 1000).toFixed(1)} s to simulate)`,
  );
  return { split, duration, fitSeeds, valSeeds, fit, val, held };
}

/** Siren and horn thresholds from the validation windows, then the held-out figures at those thresholds. */
function evaluateAudio(model: tf.LayersModel, data: AudioData, shape: number[]) {
  const { val, held, split } = data;
  const predict = (ex: readonly AudioExample[]): Float32Array =>
    predictAll(
      model,
      datasetFrom(
        ex.map((e) => e.input),
        ex.map((e) => e.label),
        shape,
      ),
      256,
    );
  const valProbs = predict(val.ex);
  const sirenThreshold = chooseThreshold(val.ex, valProbs, SIREN, TARGET_VALIDATION_FALSE_ALARMS);
  const hornThreshold = chooseThreshold(val.ex, valProbs, HORN, TARGET_VALIDATION_FALSE_ALARMS);
  const heldProbs = predict(held.ex);
  const subset = (pred: (e: AudioExample) => boolean) => {
    const idx = held.ex.map((e, i) => (pred(e) ? i : -1)).filter((i) => i >= 0);
    const k = AUDIO_CLASSES.length;
    const p = new Float32Array(idx.length * k);
    idx.forEach((i, r) => p.set(heldProbs.subarray(i * k, (i + 1) * k), r * k));
    return sirenMetrics(
      idx.map((i) => held.ex[i]!),
      p,
      sirenThreshold,
      hornThreshold,
    );
  };
  const all = sirenMetrics(held.ex, heldProbs, sirenThreshold, hornThreshold);
  const perScenario: Record<string, SirenMetrics> = {};
  for (const s of split.heldOut.named) perScenario[s] = subset((e) => e.scenario === s);
  const heldOut = {
    clear: all,
    byEgoSpeed: { "below 15 m/s": subset((e) => e.egoSpeedMps < 15), "15 m/s and above": subset((e) => e.egoSpeedMps >= 15) },
    namedScenarios: perScenario,
    classification: classificationMetrics(
      Int32Array.from(held.ex.map((e) => e.label)),
      argmaxRows(heldProbs, AUDIO_CLASSES.length),
      AUDIO_CLASSES,
    ),
    validation: sirenMetrics(val.ex, valProbs, sirenThreshold, hornThreshold),
    ambiguousWindowsLeftOut: held.ambiguous,
    definition:
      "per audio chunk (100 ms) with the encoder's history; siren = a siren sounding at emission time with level (1/R) ≥ road-noise RMS; windows with a siren or horn between 0.25× and 1× the noise RMS are ambiguous and left out; bearing error = |GCC-PHAT front solution − true bearing folded to the front| (a 2-microphone array cannot tell front from back); audio is unaffected by fog, so all held-out drives count as clear",
  };
  return { sirenThreshold, hornThreshold, heldOut };
}

/** The model card's input contract: the front end's parameters and the classifier's input shape. */
function audioInputContract(o: typeof DEFAULT_AUDIO_WINDOW, frames: number, mels: number): AudioModelMetadata["input"] {
  return {
    sampleRate: o.frontEnd.logMel.sampleRate,
    channels: 2,
    classifierMs: o.classifierMs,
    bearingMs: o.bearingMs,
    frames,
    mels,
    logMel: { ...o.frontEnd.logMel },
    micSpacingM: o.frontEnd.micSpacingM,
    speedOfSoundMps: o.frontEnd.speedOfSoundMps,
    normalization: `log-mel of (left+right)/2 over the last classifierMs, minus its mean, divided by ${LOG_MEL_SCALE}; shape [frames, mels, 1]`,
  };
}

function audioSummary(all: SirenMetrics, sirenThreshold: number): string[] {
  return [
    `audio held-out: siren recall ${all.recall} (target ≥ 0.95) at ${(all.falseAlarmRate * 100).toFixed(2)} % false alarms (target ≤ 5 %), threshold ${sirenThreshold}; median bearing error ${all.medianBearingErrorDeg ?? "-"}° (target ≤ 10°), p90 ${all.p90BearingErrorDeg ?? "-"}°`,
    `audio held-out: ${all.sirenWindows} siren and ${all.otherWindows} other windows; horn recall ${all.hornRecall ?? "-"} at ${(all.hornFalseAlarmRate * 100).toFixed(2)} % false alarms`,
  ];
}
