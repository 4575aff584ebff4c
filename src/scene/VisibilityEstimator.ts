import { msToNs, nsToMs, type Nanos } from "../types";
import { parseVisibilityConfig, type VisibilityConfig, type VisibilityConfigInput } from "./sceneConfig";
import type { SensorHealthReport, SensorObservation } from "./types";

/**
 * Estimated meteorological visibility from the encoders' per-frame estimates.
 *
 * Model: each camera or LiDAR sensor that is included this tick, whose status is OK or DEGRADED
 * (a frozen or failing sensor's estimate means nothing) and whose encoder gave a finite positive
 * `visibilityM` contributes it, clamped to [minVisibilityM, maxVisibilityM]. The tick's measurement
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
      if (o.status !== "included" || (r.status !== "OK" && r.status !== "DEGRADED")) continue;
      const v = o.visibilityM;
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
