import type * as tf from "@tensorflow/tfjs";
import type { Scenario } from "../../sim/scenario";
import { compileClassifier } from "../../encoders/common/layers";
import { RADAR_FEATURE_COUNT, RADAR_FEATURE_NAMES, NEARBY_RADIUS_M, standardize } from "../../encoders/radar/features";
import type { RadarModelMetadata } from "../../encoders/radar/metadata";
import { buildRadarModel, RADAR_CLASSES } from "../../encoders/radar/model";
import { datasetFrom, featureStats, classCounts, predictAll, type Dataset } from "../fit";
import { argmaxRows, classificationMetrics, type ClassificationMetrics } from "../metrics";
import { radarExamples, radarClassOf, type RadarExample } from "./radarDataset";
import { radarSplit, radarTrainingScenario, type ScenarioSet } from "../scenarios";
import { classCountsOf, fitRecord, fitWithinBudget, runRecord, type ClassifierFit } from "../classifierTraining";
import type { TrainOptions, TrainResult, Trainer } from "../types";

export const RADAR_MODEL_VERSION = "radar-mlp-1";

function scenariosOf(set: ScenarioSet, opts: TrainOptions): Scenario[] {
  const duration = opts.quick ? 2 : 20;
  const named = set.named.map((n) => {
    const s = opts.loadNamed(n);
    return opts.quick ? { ...s, durationS: Math.min(s.durationS, duration) } : s;
  });
  return [...named, ...set.seeds.map((seed) => radarTrainingScenario(seed, duration))];
}

function toDataset(examples: readonly RadarExample[], mean?: number[], std?: number[]): Dataset {
  const rows = examples.map((e) => (mean && std ? standardize(Float32Array.from(e.features), mean, std) : e.features));
  return datasetFrom(
    rows,
    examples.map((e) => e.label),
    [RADAR_FEATURE_COUNT],
  );
}

/** The radar ECU's own classification mapped to our four classes: the baseline to beat. */
function ecuBaseline(examples: readonly RadarExample[]): number[] {
  // features carry the ECU's class probabilities as the last 7 columns, in TRACK_CLASS_FEATURES order.
  const ecuClasses = ["car", "truck", "motorcycle", "cyclist", "pedestrian", "unknown", "static_clutter"] as const;
  const off = RADAR_FEATURE_NAMES.length - ecuClasses.length;
  return examples.map((e) => {
    let best = 0;
    for (let i = 1; i < ecuClasses.length; i++) if (e.features[off + i]! > e.features[off + best]!) best = i;
    return RADAR_CLASSES.indexOf(radarClassOf(ecuClasses[best]!));
  });
}

export const trainRadar: Trainer = async (opts: TrainOptions): Promise<TrainResult> => {
  const split = radarSplit(opts.quick);
  const t0 = performance.now();
  const trainExamples = scenariosOf(split.train, opts).flatMap((s) => radarExamples(s));
  const heldScenarios = scenariosOf(split.heldOut, opts);
  const heldExamples = heldScenarios.flatMap((s) => radarExamples(s, 1));
  opts.log(
    `radar: ${trainExamples.length} training tracks, ${heldExamples.length} held-out tracks (${((performance.now() - t0) / 1000).toFixed(1)} s to simulate)`,
  );

  const raw = toDataset(trainExamples);
  const { mean, std } = featureStats(raw.x, RADAR_FEATURE_COUNT);
  const train = toDataset(trainExamples, mean, std);
  const counts = classCountsOf("radar", RADAR_CLASSES, classCounts(train.labels, RADAR_CLASSES.length));
  opts.log(counts.line);

  const model = buildRadarModel(opts.seed);
  compileClassifier(model, 0.003);
  const epochs = opts.epochs ?? (opts.quick ? 2 : 40);
  const fit: ClassifierFit = {
    epochs,
    stepsPerEpoch: opts.stepsPerEpoch ?? (opts.quick ? 10 : 150),
    batchSize: 128,
    numClasses: RADAR_CLASSES.length,
    naturalFraction: 0.3,
    onEpoch: (e, loss) => {
      if (e % 5 === 4 || e === epochs - 1) opts.log(`radar: epoch ${e + 1}/${epochs} loss ${loss.toFixed(4)}`);
    },
  };
  const fitted = await fitWithinBudget(model, train, opts, t0, fit);
  const heldOut = evaluateRadar(model, heldExamples, split.heldOut.named, mean, std);

  const metadata: RadarModelMetadata & Record<string, unknown> = {
    kind: "radar",
    modelVersion: RADAR_MODEL_VERSION,
    classes: [...RADAR_CLASSES],
    date: new Date().toISOString(),
    command: opts.command,
    input: {
      features: [...RADAR_FEATURE_NAMES],
      mean: mean.map((v) => Math.fround(v)),
      std: std.map((v) => Math.fround(v)),
      nearbyRadiusM: NEARBY_RADIUS_M,
      frame:
        "radar sensor frame (x forward, y left); one row per confirmed radar object (track) of a RadarFrame, standardised with mean/std",
    },
    output: "softmax over classes per track",
    training: {
      ...runRecord(opts),
      scenarios: split.train.named,
      generatedSeeds: split.train.seeds,
      generator: "radarTrainingScenario(seed) = randomScenario(seed) + extra pedestrians/cyclists (src/encoders/train/scenarios.ts)",
      examples: train.count,
      classCounts: counts.record,
      ...fitRecord(fit, fitted),
      optimizer: "adam 0.003, class-balanced batches (30 % natural mix)",
      wallSeconds: Math.round((performance.now() - t0) / 1000),
    },
    heldOutSet: { scenarios: split.heldOut.named, generatedSeeds: split.heldOut.seeds },
    heldOut,
  };
  return { model, metadata, summary: radarSummary(heldOut) };
};

type RadarScores = { model: ClassificationMetrics; radarEcuBaseline: ClassificationMetrics };

/** Held-out classification, the model against the radar ECU's own classes: clear, in fog, all, and per named scenario. */
function evaluateRadar(
  model: tf.LayersModel,
  heldExamples: readonly RadarExample[],
  named: readonly string[],
  mean: number[],
  std: number[],
) {
  const evaluate = (subset: readonly RadarExample[]): RadarScores => {
    const ds = toDataset(subset, mean, std);
    const pred = argmaxRows(predictAll(model, ds), RADAR_CLASSES.length);
    return {
      model: classificationMetrics(ds.labels, pred, RADAR_CLASSES),
      radarEcuBaseline: classificationMetrics(ds.labels, ecuBaseline(subset), RADAR_CLASSES),
    };
  };
  const clear = heldExamples.filter((e) => e.clear);
  const fog = heldExamples.filter((e) => !e.clear);
  const perScenario: Record<string, { examples: number; accuracy: number }> = {};
  for (const s of named) {
    const sub = heldExamples.filter((e) => e.scenario === s);
    if (sub.length > 0) perScenario[s] = { examples: sub.length, accuracy: evaluate(sub).model.accuracy };
  }
  return {
    clear: evaluate(clear),
    degraded: fog.length > 0 ? evaluate(fog) : null,
    all: evaluate(heldExamples),
    namedScenarios: perScenario,
    definition:
      "per confirmed track and radar cycle; label = class of the simulator body whose footprint lies within 2 m of the track reference point (vehicle = car/truck/motorcycle/emergency_vehicle), else clutter (ghosts, false tracks, poles, guard rails); clear = scenarios without fog",
  };
}

function radarSummary(heldOut: { clear: RadarScores; degraded: RadarScores | null }): string[] {
  const c = heldOut.clear.model;
  return [
    `radar held-out clear: accuracy ${c.accuracy} (target ≥ 0.85), balanced accuracy ${c.balancedAccuracy}, ${c.examples} tracks; radar ECU baseline accuracy ${heldOut.clear.radarEcuBaseline.accuracy}`,
    `radar held-out recall: ${Object.entries(c.perClassRecall)
      .map(([k, v]) => `${k} ${v ?? "-"}`)
      .join(", ")}`,
    `radar held-out fog: accuracy ${heldOut.degraded?.model.accuracy ?? "-"}`,
  ];
}
