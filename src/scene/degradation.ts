import { msToNs, nsToMs, type Nanos, type SensorKind } from "../types";
import { parseDegradationConfig, type DegradationConfig } from "./sceneConfig";
import { DEGRADATION_LEVELS, type DegradationLevel, type SensorHealthReport } from "./types";

export type DegradationAssessment = {
  level: DegradationLevel;
  /** e.g. `none`, `reduce speed to 50 km/h`, `stop in lane (minimal risk manoeuvre)`. */
  fallback: string;
  /** Which rule fired and on what, one line. */
  reason: string;
  /** The speed the fallback allows (km/h): 0 for a stop or pull-over, null when it sets none. */
  speedKmh: number | null;
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
    return { level: "MINIMAL_RISK", fallback: "emergency stop in lane", reason: `no usable forward perception (${summary})`, speedKmh: 0 };
  }
  if (usable.length === 1) {
    const only = usable[0]!;
    return {
      level: "MINIMAL_RISK",
      fallback: only === "radar" ? "stop in lane (minimal risk manoeuvre)" : "pull over to the shoulder (minimal risk manoeuvre)",
      reason: `only ${only} is usable for forward perception (${summary})`,
      speedKmh: 0,
    };
  }
  const sight = visibilityM === null ? null : sightSpeedKmh(visibilityM, c);
  if (visibilityM !== null && sight !== null && (visibilityM < c.minimalRiskVisibilityM || sight < c.speedStepKmh)) {
    return {
      level: "MINIMAL_RISK",
      fallback: "stop in lane (minimal risk manoeuvre)",
      reason: `visibility ${Math.round(visibilityM)} m is below the minimal-risk limit ${c.minimalRiskVisibilityM} m (${summary})`,
      speedKmh: 0,
    };
  }
  if (healthy.length < 2) {
    const speed = Math.min(c.degradedSpeedKmh, sight ?? c.maxSpeedKmh, c.maxSpeedKmh);
    return {
      level: "DEGRADED",
      fallback: `reduce speed to ${speed} km/h and increase following distance`,
      reason: `fewer than two healthy forward modalities (${summary}${vis})`,
      speedKmh: speed,
    };
  }
  if (visibilityM !== null && sight !== null && visibilityM < c.nominalVisibilityM) {
    return {
      level: "DEGRADED",
      fallback: `reduce speed to ${sight} km/h`,
      reason: `visibility ${Math.round(visibilityM)} m is below the nominal limit ${c.nominalVisibilityM} m (${summary})`,
      speedKmh: sight,
    };
  }
  const audio = sensors.filter((s) => s.kind === "audio");
  if (audio.length > 0 && !audio.some((s) => s.status === "OK" || s.status === "DEGRADED")) {
    return {
      level: "DEGRADED",
      fallback: "increase following distance (sirens and horns cannot be heard)",
      reason: `no usable audio sensor (${summary}${vis})`,
      speedKmh: null,
    };
  }
  return { level: "NOMINAL", fallback: "none", reason: `${summary}${vis}`, speedKmh: null };
}

/** < 0 when `a` is worse than `b`: a worse level, or at the same level a lower allowed speed. */
function compareAssessments(a: DegradationAssessment, b: DegradationAssessment): number {
  const byLevel = DEGRADATION_LEVELS.indexOf(b.level) - DEGRADATION_LEVELS.indexOf(a.level);
  if (byLevel !== 0) return byLevel;
  return (a.speedKmh ?? Infinity) - (b.speedKmh ?? Infinity);
}

/**
 * Hysteresis on the degradation level, one `step` per tick (time is the tick stamp): a worse
 * assessment — a worse level, or at the same level a lower allowed speed — is adopted at once; a
 * better one only after every tick for `recoverMs` was better than the current one, and then the
 * worst assessment of that streak is adopted. A visibility estimate hovering around a limit (or a
 * speed step) thus cannot make the recommendation flap from tick to tick. While waiting, the
 * reason says so: `...; recovering (NOMINAL for 300/1000 ms)`.
 */
export class DegradationHold {
  private readonly recover: Nanos;
  private current: DegradationAssessment | undefined;
  private candidate: { assessment: DegradationAssessment; start: Nanos } | undefined;

  constructor(readonly recoverMs: number) {
    this.recover = msToNs(recoverMs);
  }

  step(tick: Nanos, raw: DegradationAssessment): DegradationAssessment {
    if (this.candidate && tick < this.candidate.start) this.candidate = undefined; // the clock went back
    if (!this.current || compareAssessments(raw, this.current) <= 0) {
      this.current = raw;
      this.candidate = undefined;
      return raw;
    }
    if (!this.candidate) this.candidate = { assessment: raw, start: tick };
    else if (compareAssessments(raw, this.candidate.assessment) <= 0) this.candidate.assessment = raw;
    const cand = this.candidate;
    if (tick - cand.start >= this.recover) {
      this.current = cand.assessment;
      this.candidate = undefined;
      return this.current;
    }
    const what = `${cand.assessment.level}${cand.assessment.level === this.current.level && cand.assessment.speedKmh !== null ? ` at ${cand.assessment.speedKmh} km/h` : ""}`;
    return {
      ...this.current,
      reason: `${this.current.reason}; recovering (${what} for ${Math.round(nsToMs(tick - cand.start))}/${this.recoverMs} ms)`,
    };
  }
}
