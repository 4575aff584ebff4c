import type { ObjectClass, RadarDetection, RadarFrame, RadarObject } from "../../types";

/*
 * Per-track input of the radar encoder (pure, no tfjs). One row per radar object (track): what the
 * radar's own tracker says about it, plus statistics of the raw detections that fall near it in
 * the same scan (count, RCS, SNR, and the reported range-rate spread: walking and pedalling give
 * micro-Doppler that rigid vehicles do not). All in the radar frame; no ego speed is needed since
 * track velocities are over ground.
 */

/** Radius (m) around a track within which detections count as its own. */
export const NEARBY_RADIUS_M = 2.5;

const TRACK_CLASS_FEATURES: readonly ObjectClass[] = ["car", "truck", "motorcycle", "cyclist", "pedestrian", "unknown", "static_clutter"];

export const RADAR_FEATURE_NAMES: readonly string[] = [
  "track_rcs_dbsm/10",
  "log1p_speed_over_ground",
  "lateral_speed_fraction",
  "log1p_length",
  "log1p_width",
  "existence_probability",
  "range/100",
  "azimuth_rad",
  "log1p_age_s",
  "log1p_nearby_detections",
  "nearby_mean_rcs/10",
  "nearby_max_rcs/10",
  "nearby_mean_snr/10",
  "nearby_mean_existence",
  "nearby_mean_range_rate_std",
  "nearby_range_rate_spread",
  ...TRACK_CLASS_FEATURES.map((c) => `radar_p_${c}`),
];

export const RADAR_FEATURE_COUNT = RADAR_FEATURE_NAMES.length;

/** Why an object or a detection is unusable, or undefined when it is fine. */
export function objectProblem(o: RadarObject): string | undefined {
  const nums: Array<[string, number]> = [
    ["position.x", o.position.x],
    ["position.y", o.position.y],
    ["position.z", o.position.z],
    ["velocity.x", o.velocity.x],
    ["velocity.y", o.velocity.y],
    ["rcsDbsm", o.rcsDbsm],
    ["length", o.length],
    ["width", o.width],
    ["existenceProbability", o.existenceProbability],
    ["ageMs", o.ageMs],
  ];
  for (const [k, v] of nums) if (!Number.isFinite(v)) return `object ${o.id}: ${k} is ${v}, expected a finite number`;
  for (const [k, v] of [
    ["positionStd.x", o.positionStd.x],
    ["positionStd.y", o.positionStd.y],
  ] as const) {
    if (!(Number.isFinite(v) && v >= 0)) return `object ${o.id}: ${k} is ${v}, expected a finite number ≥ 0`;
  }
  return undefined;
}

export function detectionUsable(d: RadarDetection): boolean {
  return (
    Number.isFinite(d.rangeM) &&
    Number.isFinite(d.azimuthRad) &&
    Number.isFinite(d.rangeRateMps) &&
    Number.isFinite(d.rcsDbsm) &&
    Number.isFinite(d.snrDb)
  );
}

export type NearbyStats = { count: number; meanRangeRate: number; meanRangeRateVar: number; meanRange: number };

/** Detections near each object: index lists, computed once per scan (O(objects × detections)). */
export function nearbyDetections(frame: RadarFrame, objects: readonly RadarObject[]): number[][] {
  const dets = frame.detections;
  const xs = dets.map((d) => d.rangeM * Math.cos(d.azimuthRad) * Math.cos(d.elevationRad || 0));
  const ys = dets.map((d) => d.rangeM * Math.sin(d.azimuthRad) * Math.cos(d.elevationRad || 0));
  return objects.map((o) => {
    const out: number[] = [];
    const r2 = (NEARBY_RADIUS_M + Math.max(o.length, o.width) / 2) ** 2;
    dets.forEach((d, i) => {
      if (!detectionUsable(d)) return;
      const dx = xs[i]! - o.position.x;
      const dy = ys[i]! - o.position.y;
      if (dx * dx + dy * dy <= r2) out.push(i);
    });
    return out;
  });
}

/** The feature row of one object (see RADAR_FEATURE_NAMES); `near` are indices into frame.detections. */
export function trackFeatures(frame: RadarFrame, o: RadarObject, near: readonly number[]): Float32Array {
  const f = new Float32Array(RADAR_FEATURE_COUNT);
  const speed = Math.hypot(o.velocity.x, o.velocity.y);
  let rcsSum = 0;
  let rcsMax = -40;
  let snr = 0;
  let ex = 0;
  let rrStd = 0;
  let rrMean = 0;
  for (const i of near) {
    const d = frame.detections[i]!;
    rcsSum += d.rcsDbsm;
    rcsMax = Math.max(rcsMax, d.rcsDbsm);
    snr += d.snrDb;
    ex += Number.isFinite(d.existenceProbability) ? d.existenceProbability : 0;
    rrStd += Number.isFinite(d.rangeRateStdMps) ? d.rangeRateStdMps : 0;
    rrMean += d.rangeRateMps;
  }
  const n = near.length;
  rrMean = n > 0 ? rrMean / n : 0;
  let rrSpread = 0;
  for (const i of near) rrSpread += (frame.detections[i]!.rangeRateMps - rrMean) ** 2;
  rrSpread = n > 1 ? Math.sqrt(rrSpread / (n - 1)) : 0;
  let k = 0;
  f[k++] = o.rcsDbsm / 10;
  f[k++] = Math.log1p(speed);
  f[k++] = speed > 0.5 ? Math.abs(o.velocity.y) / speed : 0;
  f[k++] = Math.log1p(Math.max(0, o.length));
  f[k++] = Math.log1p(Math.max(0, o.width));
  f[k++] = o.existenceProbability;
  f[k++] = Math.hypot(o.position.x, o.position.y) / 100;
  f[k++] = Math.atan2(o.position.y, o.position.x);
  f[k++] = Math.log1p(Math.max(0, o.ageMs) / 1000);
  f[k++] = Math.log1p(n);
  f[k++] = n > 0 ? rcsSum / n / 10 : -4;
  f[k++] = n > 0 ? rcsMax / 10 : -4;
  f[k++] = n > 0 ? snr / n / 10 : 0;
  f[k++] = n > 0 ? ex / n : 0;
  f[k++] = n > 0 ? rrStd / n : 0;
  f[k++] = Math.min(5, rrSpread);
  for (const c of TRACK_CLASS_FEATURES) {
    const p = o.classProbabilities[c];
    f[k++] = typeof p === "number" && Number.isFinite(p) ? p : 0;
  }
  return f;
}

/** Standardises a row in place with the training set's statistics (from the model metadata). */
export function standardize(row: Float32Array, mean: readonly number[], std: readonly number[]): Float32Array {
  for (let i = 0; i < row.length; i++) row[i] = (row[i]! - mean[i]!) / std[i]!;
  return row;
}
