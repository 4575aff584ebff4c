import { nsToSec, type FieldOfView, type Nanos, type SensorEvidence } from "../types";
import type { CandidateSensor } from "./fusionHead";
import { candidateSensor } from "./headRefinement";
import type { Measurement } from "./toMeasurement";
import { clampedQuality, clampExistence, detectionWeight, type Track } from "./track";
import type { TrackerConfig } from "./trackerConfig";

/**
 * Bayesian existence update of one track over one tick: from `prior`, one likelihood ratio per
 * sensor of the tick: detected (by a measurement assigned to it), missed (the sensor covered it
 * but did not detect it) or out of view (no information). `seen`, when given, collects the
 * per-sensor view a fusion head gets.
 */
export function updateExistence(
  track: Track,
  prior: number,
  evidence: readonly SensorEvidence[],
  hits: ReadonlyMap<string, Measurement> | undefined,
  tickStamp: Nanos,
  cfg: TrackerConfig,
  seen: CandidateSensor[] | undefined,
): void {
  let p = prior;
  for (const ev of evidence) {
    const model = cfg.sensors[ev.kind];
    const quality = clampedQuality(ev);
    const pd = model.detectionProbability * quality;
    const m = hits?.get(ev.sensorId);
    let lr: number;
    let outcome: CandidateSensor["outcome"];
    if (m !== undefined) {
      // A degraded frame's misses say little (pd × quality); what its detections say is set
      // apart by detectionQualityExponent, since fog thins true and false detections alike.
      const pdHit = model.detectionProbability * detectionWeight(quality, cfg);
      lr = 1 + m.score * pdHit * (1 / model.falseAlarmProbability - 1);
      outcome = "detected";
    } else if (covers(ev, track.state.x[0]!, track.state.x[1]!, cfg.maxRangeM)) {
      lr = 1 - pd;
      outcome = "missed";
    } else {
      lr = 1;
      outcome = "outOfView";
    }
    const odds = (p / (1 - p)) * lr;
    p = odds / (1 + odds);
    if (seen !== undefined) {
      const cs = candidateSensor(ev.sensorId, ev.kind, quality, outcome, m);
      const last = m !== undefined ? m.stamp : track.lastBySensor.get(ev.sensorId)?.stamp;
      if (last !== undefined) cs.sinceDetectedSec = Math.max(0, nsToSec(tickStamp - last));
      seen.push(cs);
    }
  }
  track.existence = clampExistence(p, cfg);
}

/** Whether a sensor could have detected an object at (x, y) in the ego frame. */
function covers(ev: SensorEvidence, x: number, y: number, defaultRange: number): boolean {
  const fov: FieldOfView | undefined = ev.fieldOfView;
  if (fov === undefined || fov === null || typeof fov !== "object") return Math.hypot(x, y) <= defaultRange;
  const dx = x - fov.originX;
  const dy = y - fov.originY;
  if (Math.hypot(dx, dy) > fov.maxRangeM) return false;
  const a = Math.atan2(dy, dx);
  const { azimuthMinRad: lo, azimuthMaxRad: hi } = fov;
  const inside = lo <= hi ? a >= lo && a <= hi : a >= lo || a <= hi;
  return inside;
}
