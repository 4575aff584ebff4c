/**
 * The devkit's DetectionEval.evaluate + DetectionMetrics: AP per class and threshold, TP errors
 * per class, mAP, mean TP errors, TP scores and NDS.
 */
import { BadInputError } from "../types/errors";
import { accumulate, calcAp, calcTp, groupBySample } from "./accumulate";
import { npMean, npNanMean } from "./numpyMath";
import type { DetectionConfig, DetectionMetricData, DetectionMetrics, EvalBox, TpMetric } from "./types";
import { TP_METRICS } from "./types";

/** detection_cvpr_2019.json: the nuScenes detection challenge config. */
export const NUSCENES_DETECTION_CONFIG: DetectionConfig = {
  classNames: ["car", "truck", "bus", "trailer", "construction_vehicle", "pedestrian", "motorcycle", "bicycle", "traffic_cone", "barrier"],
  classRange: {
    car: 50,
    truck: 50,
    bus: 50,
    trailer: 50,
    construction_vehicle: 50,
    pedestrian: 40,
    motorcycle: 40,
    bicycle: 40,
    traffic_cone: 30,
    barrier: 30,
  },
  distThs: [0.5, 1, 2, 4],
  distThTp: 2,
  minRecall: 0.1,
  minPrecision: 0.1,
  meanApWeight: 5,
  tpMetrics: TP_METRICS,
  nanTpMetrics: { traffic_cone: ["attr_err", "vel_err", "orient_err"], barrier: ["attr_err", "vel_err"] },
  halfPeriodClasses: ["barrier"],
};

/** A box the evaluation cannot use: BadInputError naming the box and what was expected. */
function checkBox(b: EvalBox, what: string, index: number, isPred: boolean): void {
  const where = `${what}[${index}] (sample ${b.sample}, class ${b.detectionName})`;
  const bad = (found: string, expected?: string): BadInputError => new BadInputError({ where, what: found, expected });
  if (!b.translation.every(Number.isFinite)) throw bad(`translation [${b.translation.join(", ")}] is not finite`, "metres");
  if (!b.velocity.every(Number.isFinite)) throw bad(`velocity [${b.velocity.join(", ")}] is not finite`, "m/s");
  if (b.size && !b.size.every((s) => s > 0 && Number.isFinite(s)))
    throw bad(`size [${b.size.join(", ")}] must be finite and > 0 (or null when unknown)`);
  if (isPred && !Number.isFinite(b.score)) throw bad(`score ${b.score} is not finite`, "a confidence");
}

/** Drops boxes whose xy distance from the ego (box translation in the ego frame) is not below the class range. */
export function filterByRange(boxes: readonly EvalBox[], classRange: Readonly<Record<string, number>>): EvalBox[] {
  return boxes.filter((b) => {
    const max = classRange[b.detectionName];
    return max === undefined || Math.sqrt(b.translation[0] ** 2 + b.translation[1] ** 2) < max;
  });
}

export type DetectionEvaluation = {
  metrics: DetectionMetrics;
  /** The 101-point curves per class per threshold (keys as in labelAps). */
  curves: Record<string, Record<string, DetectionMetricData>>;
  /** GT / prediction boxes per class after filtering. */
  counts: Record<string, { gt: number; pred: number; matchedAtTpThreshold: number }>;
};

/**
 * Evaluates predictions against ground truth like the devkit. Boxes must already carry the
 * evaluation class; translations are in the ego frame (range filtering uses them as the ego
 * offset). `applyRange: false` skips the class-range filter (the devkit's unit tests do).
 */
export function evaluateDetections(
  gt: readonly EvalBox[],
  pred: readonly EvalBox[],
  config: DetectionConfig = NUSCENES_DETECTION_CONFIG,
  options: { applyRange?: boolean } = {},
): DetectionEvaluation {
  gt.forEach((b, i) => checkBox(b, "ground truth", i, false));
  pred.forEach((b, i) => checkBox(b, "prediction", i, true));
  const gtF = options.applyRange === false ? gt : filterByRange(gt, config.classRange);
  const predF = options.applyRange === false ? pred : filterByRange(pred, config.classRange);
  const gtBySample = groupBySample(gtF);
  const predBySample = groupBySample(predF);

  const labelAps: Record<string, Record<string, number>> = {};
  const labelTpErrors: Record<string, Record<TpMetric, number>> = {};
  const curves: Record<string, Record<string, DetectionMetricData>> = {};
  const counts: DetectionEvaluation["counts"] = {};
  for (const cls of config.classNames) {
    const orientPeriod = config.halfPeriodClasses.includes(cls) ? Math.PI : 2 * Math.PI;
    labelAps[cls] = {};
    curves[cls] = {};
    for (const th of config.distThs) {
      const md = accumulate(gtBySample, predBySample, cls, th, { orientPeriod });
      curves[cls][String(th)] = md;
      labelAps[cls][String(th)] = calcAp(md, config.minRecall, config.minPrecision);
    }
    const tpData = curves[cls][String(config.distThTp)] ?? accumulate(gtBySample, predBySample, cls, config.distThTp, { orientPeriod });
    const nan = config.nanTpMetrics[cls] ?? [];
    const errs = {} as Record<TpMetric, number>;
    for (const m of TP_METRICS) errs[m] = nan.includes(m) ? NaN : calcTp(tpData, config.minRecall, m);
    labelTpErrors[cls] = errs;
    counts[cls] = { gt: tpData.numGt, pred: tpData.numPred, matchedAtTpThreshold: tpData.matches };
  }
  return { metrics: combineMetrics(labelAps, labelTpErrors, config), curves, counts };
}

/**
 * DetectionMetrics from per-class APs and TP errors: mAP = mean over classes of the mean over
 * thresholds; mean TP error = nanmean over classes; TP score = max(0, 1 − error) (0 for NaN, as
 * Python's max(0.0, nan)); NDS over `config.tpMetrics`.
 */
export function combineMetrics(
  labelAps: Record<string, Record<string, number>>,
  labelTpErrors: Record<string, Record<TpMetric, number>>,
  config: Pick<DetectionConfig, "classNames" | "meanApWeight" | "tpMetrics">,
): DetectionMetrics {
  const meanDistAps: Record<string, number> = {};
  for (const cls of config.classNames) meanDistAps[cls] = npMean(Object.values(labelAps[cls] ?? {}));
  const meanAp = npMean(config.classNames.map((c) => meanDistAps[c]!));
  const tpErrors = {} as Record<TpMetric, number>;
  const tpScores = {} as Record<TpMetric, number>;
  for (const m of TP_METRICS) {
    tpErrors[m] = npNanMean(config.classNames.map((c) => labelTpErrors[c]?.[m] ?? NaN));
    const score = 1 - tpErrors[m];
    tpScores[m] = score > 0 ? score : 0;
  }
  let total = config.meanApWeight * meanAp;
  let sum = 0;
  for (const m of config.tpMetrics) sum += tpScores[m];
  total = total + sum;
  const ndScore = total / (config.meanApWeight + config.tpMetrics.length);
  return { labelAps, labelTpErrors, meanDistAps, meanAp, tpErrors, tpScores, ndScore };
}
