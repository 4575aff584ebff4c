import type { EvidenceBundle, SensorFrame, SyncedBundle } from "../types";
import { frameDigest } from "./frameDigest";
import type { SensorObservation } from "./types";

/** Cumulative decode counters of one topic; `TopicDecodeStats` (src/decode/createDecoder.ts) fits. */
export type DecodeCounts = { sensorId: string; decoded: number; errors: number; lastReason?: string | undefined };

/**
 * Per-sensor observations for one tick from whatever the caller has: the sync stage's bundle
 * (status, age, skew, counters, frames for the frozen check), the encoders' evidence (quality,
 * visibility; and the sync status when no bundle is given) and the decoder's per-topic counters
 * (summed per sensor; topics without a sensor id are ignored).
 */
export function observeSensors(input: {
  synced?: SyncedBundle<SensorFrame> | undefined;
  evidence?: EvidenceBundle | undefined;
  decode?: Iterable<DecodeCounts> | undefined;
}): SensorObservation[] {
  const out = new Map<string, SensorObservation>();
  if (input.synced) {
    for (const s of input.synced.sensors) {
      const obs: SensorObservation = { sensorId: s.sensorId, status: s.status, counters: s.counters };
      if (s.age !== undefined) obs.age = s.age;
      if (s.skew !== undefined) obs.skew = s.skew;
      if (s.status === "included" && s.frame) {
        const d = frameDigest(s.frame);
        if (d !== undefined) obs.digest = d;
      }
      out.set(s.sensorId, obs);
    }
  } else if (input.evidence) {
    for (const s of input.evidence.sync) {
      const obs: SensorObservation = { sensorId: s.sensorId, status: s.status };
      if (s.status === "included") obs.skew = s.skew;
      out.set(s.sensorId, obs);
    }
  }
  for (const ev of input.evidence?.evidence ?? []) {
    let obs = out.get(ev.sensorId);
    if (!obs) {
      obs = { sensorId: ev.sensorId, status: "included" };
      out.set(ev.sensorId, obs);
    }
    obs.quality = ev.quality;
    if (typeof ev.visibilityM === "number") obs.visibilityM = ev.visibilityM;
  }
  if (input.decode) {
    for (const t of input.decode) {
      if (!t.sensorId) continue;
      let obs = out.get(t.sensorId);
      if (!obs) {
        obs = { sensorId: t.sensorId, status: "missing" };
        out.set(t.sensorId, obs);
      }
      const prev = obs.decode ?? { decoded: 0, errors: 0 };
      obs.decode = {
        decoded: prev.decoded + t.decoded,
        errors: prev.errors + t.errors,
        lastReason: t.errors > 0 ? (t.lastReason ?? prev.lastReason) : prev.lastReason,
      };
    }
  }
  return [...out.values()];
}
