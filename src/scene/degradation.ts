import type { SensorKind } from "../types";
import { parseDegradationConfig, type DegradationConfig } from "./sceneConfig";
import type { DegradationLevel, SensorHealthReport } from "./types";

export type DegradationAssessment = {
  level: DegradationLevel;
  /** e.g. `none`, `reduce speed to 50 km/h`, `stop in lane (minimal risk manoeuvre)`. */
  fallback: string;
  /** Which rule fired and on what, one line. */
  reason: string;
};

/** The defaults; pass `parseDegradationConfig(...)` for others (parsed once, not per tick). */
export const DEFAULT_DEGRADATION_CONFIG: DegradationConfig = parseDegradationConfig({});

/** The modalities that perceive the road ahead; each counts once however many sensors it has. */
const FORWARD: readonly SensorKind[] = ["camera", "lidar", "radar"];

/**
 * Highest speed (km/h) at which the vehicle can stop within `sightM`: reaction distance plus
 * braking distance, v·t + v²/(2a) ≤ sight, rounded down to `speedStepKmh`, capped at `maxSpeedKmh`.
 */
export function sightSpeedKmh(sightM: number, config: DegradationConfig): number {
  const a = config.decelerationMps2;
  const t = config.reactionTimeS;
  const v = a * (-t + Math.sqrt(t * t + (2 * Math.max(0, sightM)) / a));
  const kmh = Math.floor((v * 3.6) / config.speedStepKmh) * config.speedStepKmh;
  return Math.min(config.maxSpeedKmh, kmh);
}

/**
 * Overall degradation level and recommended fallback, first matching rule of this table
 * (H = forward modalities with at least one OK sensor, U = with at least one OK or DEGRADED one;
 * V = estimated visibility, rules 4 and 6 skipped when unknown):
 *
 * | # | condition | level | fallback |
 * |---|---|---|---|
 * | 1 | U empty | MINIMAL_RISK | emergency stop in lane |
 * | 2 | U = {radar} | MINIMAL_RISK | stop in lane (minimal risk manoeuvre) |
 * | 3 | U = {camera} or {lidar} | MINIMAL_RISK | pull over to the shoulder (minimal risk manoeuvre) |
 * | 4 | V < minimalRiskVisibilityM, or the sight speed below one speed step | MINIMAL_RISK | stop in lane (minimal risk manoeuvre) |
 * | 5 | \|H\| < 2 | DEGRADED | reduce speed to min(degradedSpeedKmh, sight speed) km/h and increase following distance |
 * | 6 | V < nominalVisibilityM | DEGRADED | reduce speed to (sight speed) km/h |
 * | 7 | audio sensors configured, none OK or DEGRADED | DEGRADED | increase following distance (sirens and horns cannot be heard) |
 * | 8 | otherwise | NOMINAL | none |
 */
export function assessDegradation(
  sensors: readonly SensorHealthReport[],
  visibilityM: number | null,
  c: DegradationConfig = DEFAULT_DEGRADATION_CONFIG,
): DegradationAssessment {
  const healthy = FORWARD.filter((k) => sensors.some((s) => s.kind === k && s.status === "OK"));
  const usable = FORWARD.filter((k) => sensors.some((s) => s.kind === k && (s.status === "OK" || s.status === "DEGRADED")));
  const down = FORWARD.filter((k) => sensors.some((s) => s.kind === k) && !usable.includes(k));
  const reduced = usable.filter((k) => !healthy.includes(k));
  const list = (ks: readonly SensorKind[]): string => (ks.length > 0 ? ks.join(", ") : "none");
  const summary = `healthy: ${list(healthy)}; degraded: ${list(reduced)}; down: ${list(down)}`;
  const vis = visibilityM === null ? "" : `; visibility ${Math.round(visibilityM)} m`;

  if (usable.length === 0) {
    return { level: "MINIMAL_RISK", fallback: "emergency stop in lane", reason: `no usable forward perception (${summary})` };
  }
  if (usable.length === 1) {
    const only = usable[0]!;
    return {
      level: "MINIMAL_RISK",
      fallback: only === "radar" ? "stop in lane (minimal risk manoeuvre)" : "pull over to the shoulder (minimal risk manoeuvre)",
      reason: `only ${only} is usable for forward perception (${summary})`,
    };
  }
  const sight = visibilityM === null ? null : sightSpeedKmh(visibilityM, c);
  if (visibilityM !== null && sight !== null && (visibilityM < c.minimalRiskVisibilityM || sight < c.speedStepKmh)) {
    return {
      level: "MINIMAL_RISK",
      fallback: "stop in lane (minimal risk manoeuvre)",
      reason: `visibility ${Math.round(visibilityM)} m is below the minimal-risk limit ${c.minimalRiskVisibilityM} m (${summary})`,
    };
  }
  if (healthy.length < 2) {
    const speed = Math.min(c.degradedSpeedKmh, sight ?? c.maxSpeedKmh, c.maxSpeedKmh);
    return {
      level: "DEGRADED",
      fallback: `reduce speed to ${speed} km/h and increase following distance`,
      reason: `fewer than two healthy forward modalities (${summary}${vis})`,
    };
  }
  if (visibilityM !== null && sight !== null && visibilityM < c.nominalVisibilityM) {
    return {
      level: "DEGRADED",
      fallback: `reduce speed to ${sight} km/h`,
      reason: `visibility ${Math.round(visibilityM)} m is below the nominal limit ${c.nominalVisibilityM} m (${summary})`,
    };
  }
  const audio = sensors.filter((s) => s.kind === "audio");
  if (audio.length > 0 && !audio.some((s) => s.status === "OK" || s.status === "DEGRADED")) {
    return {
      level: "DEGRADED",
      fallback: "increase following distance (sirens and horns cannot be heard)",
      reason: `no usable audio sensor (${summary}${vis})`,
    };
  }
  return { level: "NOMINAL", fallback: "none", reason: `${summary}${vis}` };
}
