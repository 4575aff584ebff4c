/**
 * Types of the nuScenes-style detection evaluation (nuscenes-devkit `eval/detection`, commit
 * d9de17a): boxes as the devkit's `DetectionBox`, the evaluation config and the results.
 */

/** One box as the devkit sees it. GT and predictions share the type; GT ignores `score`. */
export type EvalBox = {
  /** Sample token: which frame the box belongs to (we use the ground-truth stamp in ns, as a decimal string). */
  sample: string;
  /** Centre [x, y, z] (m); only x, y are used for matching and the translation error. */
  translation: readonly [number, number, number];
  /**
   * [width, length, height] (m), all > 0. `null` = the detector gave no size (our extension; the
   * devkit has none): that match's scale error is NaN and is skipped by the cumulative mean.
   */
  size: readonly [number, number, number] | null;
  /** Rotation quaternion [w, x, y, z] (pyquaternion order); `null` = no heading (orientation error NaN). */
  rotation: readonly [number, number, number, number] | null;
  /** Velocity [vx, vy] (m/s). */
  velocity: readonly [number, number];
  /** Evaluation class, e.g. `car`. */
  detectionName: string;
  /** Attribute name; `""` = none (the attribute error is then NaN). */
  attribute: string;
  /** Detection confidence (predictions only; higher ranks first). */
  score: number;
};

export type TpMetric = "trans_err" | "scale_err" | "orient_err" | "vel_err" | "attr_err";
export const TP_METRICS: readonly TpMetric[] = ["trans_err", "scale_err", "orient_err", "vel_err", "attr_err"];

/** The devkit's `DetectionConfig` plus the per-class rules that evaluate.py hard-codes. */
export type DetectionConfig = {
  classNames: readonly string[];
  /** Boxes (GT and predictions) at or beyond this xy distance from the ego (m) are dropped, per class; absent = no limit. */
  classRange: Readonly<Record<string, number>>;
  /** Matching thresholds on xy centre distance (m). */
  distThs: readonly number[];
  /** The threshold whose matches give the TP errors (m). */
  distThTp: number;
  minRecall: number;
  minPrecision: number;
  /** Weight of mAP in NDS. */
  meanApWeight: number;
  /** TP metrics that enter the mean errors and NDS. */
  tpMetrics: readonly TpMetric[];
  /** Per class, TP metrics that are NaN by definition (evaluate.py: traffic_cone attr/vel/orient, barrier attr/vel). */
  nanTpMetrics: Readonly<Record<string, readonly TpMetric[]>>;
  /** Classes whose heading is only defined modulo π (evaluate.py: barrier). */
  halfPeriodClasses: readonly string[];
};

/** accumulate()'s output: 101-point curves over recall. */
export type DetectionMetricData = {
  recall: Float64Array;
  precision: Float64Array;
  confidence: Float64Array;
  errors: Record<TpMetric, Float64Array>;
  /** Matches (TPs) behind the curve; 0 for the "no predictions" data. */
  matches: number;
  /** GT boxes of the class (npos). */
  numGt: number;
  /** Predictions of the class. */
  numPred: number;
};

export type DetectionMetrics = {
  /** AP per class per distance threshold (keys are the thresholds as given, e.g. "0.5", "1", "2", "4"). */
  labelAps: Record<string, Record<string, number>>;
  /** TP error per class per metric (NaN where undefined). */
  labelTpErrors: Record<string, Record<TpMetric, number>>;
  /** Mean AP over thresholds per class. */
  meanDistAps: Record<string, number>;
  /** Mean over classes of meanDistAps. */
  meanAp: number;
  /** nanmean over classes per TP metric (NaN if no class has one). */
  tpErrors: Record<TpMetric, number>;
  /** max(0, 1 - error) per TP metric. */
  tpScores: Record<TpMetric, number>;
  /** (meanApWeight · mAP + Σ tpScores over config.tpMetrics) / (meanApWeight + |tpMetrics|). */
  ndScore: number;
};
