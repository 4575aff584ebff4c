import type { EvidenceBundle, SensorKind, SensorEvidence } from "../types";
import type { FusionDiagnostics, SensorFusionDiagnostics } from "../types/tracked";
import type { EgoStep } from "./kalman";
import { toMeasurement, type Measurement } from "./toMeasurement";
import { clampedQuality } from "./track";
import type { TrackerConfig } from "./trackerConfig";

/*
 * The first phase of a tracker tick: what of the bundle can be used. Nothing here is fatal: a bad
 * part is counted and named in the diagnostics, and the rest of the tick goes on without it.
 */

/** Ego motion beyond these is a broken input, not a vehicle (m/s, rad/s). */
const MAX_EGO_SPEED_MPS = 150;
const MAX_EGO_YAW_RATE_RADPS = 5;

/** Counts `count` rejected detections and keeps the first few reasons. */
export type Reject = (reason: string, count: number) => void;

export function rejecter(diag: FusionDiagnostics, maxMessages: number): Reject {
  return (reason, count) => {
    diag.rejectedDetections += count;
    if (diag.rejections.length < maxMessages) diag.rejections.push(reason);
  };
}

/** The tick's ego motion for the motion model; implausible motion is ignored (the tick is treated as standing still), not fatal. */
export function egoStepOf(bundle: EvidenceBundle, cfg: TrackerConfig, reject: Reject): EgoStep | undefined {
  if (bundle.ego === undefined) return undefined;
  const { speedMps, yawRateRadps } = bundle.ego;
  if (
    Number.isFinite(speedMps) &&
    Number.isFinite(yawRateRadps) &&
    Math.abs(speedMps) <= MAX_EGO_SPEED_MPS &&
    Math.abs(yawRateRadps) <= MAX_EGO_YAW_RATE_RADPS
  ) {
    return { speedMps, yawRateRadps, speedStdMps: cfg.egoSpeedStdMps, yawRateStdRadps: cfg.egoYawRateStdRadps };
  }
  reject(
    `fusion: tick ${bundle.tick} ego motion (speed ${speedMps} m/s, yaw rate ${yawRateRadps} rad/s) is implausible; expected |speed| ≤ ${MAX_EGO_SPEED_MPS} m/s and |yaw rate| ≤ ${MAX_EGO_YAW_RATE_RADPS} rad/s; ignored`,
    0,
  );
  return undefined;
}

/**
 * The evidence of the tracked kinds, in stamp order (ties by sensor id) so that replay is
 * deterministic. Evidence that is itself malformed is skipped whole, with its detections counted as rejected.
 */
export function trackedEvidence(bundle: EvidenceBundle, kinds: ReadonlySet<SensorKind>, reject: Reject): SensorEvidence[] {
  return bundle.evidence
    .filter((e) => kinds.has(e.kind))
    .filter((e) => {
      const problem = evidenceProblem(e);
      if (problem !== undefined) {
        reject(
          `fusion: tick ${bundle.tick} evidence of sensor ${String(e.sensorId)} (${e.kind}): ${problem}`,
          Array.isArray(e.detections) ? e.detections.length : 1,
        );
      }
      return problem === undefined;
    })
    .sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.sensorId < b.sensorId ? -1 : a.sensorId > b.sensorId ? 1 : 0));
}

function evidenceProblem(e: SensorEvidence): string | undefined {
  return typeof e.sensorId !== "string"
    ? `sensorId is ${typeof e.sensorId}; expected a string`
    : typeof e.stamp !== "bigint"
      ? `stamp is ${typeof e.stamp}; expected bigint nanoseconds`
      : !Array.isArray(e.detections)
        ? `detections is ${typeof e.detections}; expected an array`
        : undefined;
}

/** One sensor's valid detections as measurements; the invalid ones are counted on its diagnostics row (created on first use). */
export function measurementsOf(
  ev: SensorEvidence,
  perSensor: Map<string, SensorFusionDiagnostics>,
  reject: Reject,
  scale: { position: number; velocity: number } = { position: 1, velocity: 1 },
): Measurement[] {
  const quality = clampedQuality(ev);
  const d: SensorFusionDiagnostics = perSensor.get(ev.sensorId) ?? {
    sensorId: ev.sensorId,
    kind: ev.kind,
    detections: 0,
    associated: 0,
    births: 0,
    rejected: 0,
  };
  perSensor.set(ev.sensorId, d);
  const ms: Measurement[] = [];
  ev.detections.forEach((det, i) => {
    const r = toMeasurement(det, i, ev.sensorId, ev.kind, ev.stamp, quality);
    if (r.ok) {
      // The encoder's stated covariances, calibrated (trackerConfig: positionCovarianceScale, velocityCovarianceScale).
      // Both matrices are fresh per measurement (toMeasurement), so they are scaled in place.
      const m = r.measurement;
      if (scale.position !== 1) for (let k = 0; k < m.R.length; k++) m.R[k]! *= scale.position;
      if (scale.velocity !== 1 && m.velocity) for (let k = 0; k < m.velocity.R.length; k++) m.velocity.R[k]! *= scale.velocity;
      ms.push(r.measurement);
    } else {
      d.rejected++;
      reject(r.reason, 1);
    }
  });
  d.detections += ms.length;
  return ms;
}
