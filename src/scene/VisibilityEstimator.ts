import { msToNs, nsToMs, type Nanos } from "../types";
import { parseVisibilityConfig, type QualityCurve, type VisibilityConfig, type VisibilityConfigInput } from "./sceneConfig";
import type { SensorHealthReport, SensorObservation } from "./types";

/**
 * Visibility (m) read off an encoder's quality-versus-visibility curve by inverting it: linear in
 * log visibility between the two points whose qualities bracket `quality`; `"clear"` counts as
 * `maxVisibilityM`. A quality at or above the curve's top reads as its top visibility; at or below
 * its bottom, as its lowest visibility (the encoder cannot tell anything thicker apart); inside a
 * flat stretch, as the geometric middle of that stretch. `curve` must be valid (see
 * `qualityCurveSchema`); NaN gives undefined.
 */
export function visibilityFromQuality(curve: QualityCurve, quality: number, maxVisibilityM: number): number | undefined {
  if (!Number.isFinite(quality)) return undefined;
  const pts = curve
    .map((p) => ({ v: Math.min(maxVisibilityM, p.visibilityM === "clear" ? maxVisibilityM : p.visibilityM), q: p.quality }))
    .sort((a, b) => a.v - b.v);
  const first = pts[0]!;
  const last = pts[pts.length - 1]!;
  if (quality >= last.q) return last.v;
  if (quality <= first.q) return first.v;
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1]!;
    const b = pts[i]!;
    if (quality > b.q) continue;
    if (b.q === a.q) return Math.sqrt(a.v * b.v);
    const t = (quality - a.q) / (b.q - a.q);
    return Math.exp(Math.log(a.v) + t * (Math.log(b.v) - Math.log(a.v)));
  }
  return last.v;
}

/**
 * Estimated meteorological visibility from the encoders' per-frame estimates.
 *
 * Model: each camera or LiDAR sensor that is included this tick, whose status is OK or DEGRADED
 * (a frozen or failing sensor's estimate means nothing) and whose encoder gave a finite positive
 * `visibilityM` contributes it, clamped to [minVisibilityM, maxVisibilityM]. An encoder that gives
 * no `visibilityM` contributes its quality read off the `fromQuality` curve of its kind, where
 * one is configured. A frame whose content digest equals the sensor's previous included frame
 * (a frozen sensor repeating itself) contributes nothing: its quality says nothing about the
 * air. The tick's measurement
 * is their geometric mean (visibility spans orders of magnitude, and fog attenuates
 * exponentially, so averaging in log space is the natural choice). It is smoothed in log space by
 * a first-order filter whose time constant is `worseningTauMs` when the measurement is lower than
 * the estimate (fog is reported fast) and `improvingTauMs` when higher (a gap is not trusted at
 * once). Without a measurement the estimate is held for `holdMs`, then becomes null (unknown).
 */
export class VisibilityEstimator {
  readonly config: VisibilityConfig;
  private logEstimate: number | undefined;
  private lastTick: Nanos | undefined;
  private lastMeasured: Nanos | undefined;
  private readonly lastDigest = new Map<string, number>();

  constructor(config: VisibilityConfigInput | VisibilityConfig = {}) {
    this.config = parseVisibilityConfig(config);
  }

  update(tick: Nanos, observations: readonly SensorObservation[], reports: readonly SensorHealthReport[]): number | null {
    const c = this.config;
    const reportById = new Map(reports.map((r) => [r.sensorId, r]));
    let sum = 0;
    let n = 0;
    for (const o of observations) {
      const r = reportById.get(o.sensorId);
      if (!r || (r.kind !== "camera" && r.kind !== "lidar")) continue;
      if (o.status !== "included") continue;
      const repeated = o.digest !== undefined && this.lastDigest.get(o.sensorId) === o.digest;
      if (o.digest !== undefined) this.lastDigest.set(o.sensorId, o.digest);
      if (repeated || (r.status !== "OK" && r.status !== "DEGRADED")) continue;
      const curve = c.fromQuality[r.kind];
      const v =
        o.visibilityM !== undefined && o.visibilityM > 0
          ? o.visibilityM
          : curve && o.quality !== undefined
            ? visibilityFromQuality(curve, o.quality, c.maxVisibilityM)
            : undefined;
      if (v === undefined || !(v > 0)) continue; // NaN, ≤ 0: no estimate
      sum += Math.log(Math.min(c.maxVisibilityM, Math.max(c.minVisibilityM, v)));
      n++;
    }
    const dt = this.lastTick !== undefined && tick > this.lastTick ? nsToMs(tick - this.lastTick) : 0;
    this.lastTick = tick;
    if (n > 0) {
      const measured = sum / n;
      if (this.logEstimate === undefined) {
        this.logEstimate = measured;
      } else {
        const tau = measured < this.logEstimate ? c.worseningTauMs : c.improvingTauMs;
        const alpha = tau <= 0 ? 1 : 1 - Math.exp(-dt / tau);
        this.logEstimate += alpha * (measured - this.logEstimate);
      }
      this.lastMeasured = tick;
    } else if (this.lastMeasured !== undefined && tick - this.lastMeasured > msToNs(c.holdMs)) {
      this.logEstimate = undefined;
      this.lastMeasured = undefined;
    }
    return this.logEstimate === undefined ? null : Math.exp(this.logEstimate);
  }
}
