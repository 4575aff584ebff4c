import { NS_PER_SEC, OBJECT_CLASSES, SENSOR_KINDS, type Nanos, type ObjectClass, type SensorKind, type Vec3 } from "../types";
import {
  DEGRADATION_LEVELS,
  SENSOR_HEALTH_STATUSES,
  type DegradationLevel,
  type SceneHazard,
  type HazardKind,
  type SceneState,
  type SensorHealthStatus,
} from "../types";

/**
 * `SceneState` ↔ the plain object `encodeProto("avfusion.SceneState", …)` takes and
 * `decodeProto` returns (snake_case keys, proto/avfusion/scene.proto). Unknown values (null in
 * TypeScript) travel as NaN in doubles/floats, as an absent message for `size`, and as 0 with
 * `visibility_estimated: false` for the visibility.
 */

type TimestampProto = { seconds: string | number; nanos: number };
type Vec3Proto = { x: number; y: number; z: number };

export type SceneStateProto = {
  timestamp: TimestampProto;
  frame_id: string;
  objects: {
    id: number;
    classification: string | number;
    class_probabilities: { classification: string | number; probability: number }[];
    position: Vec3Proto;
    velocity: Vec3Proto;
    size: Vec3Proto | null;
    yaw_rad: number;
    position_covariance: number[];
    existence_probability: number;
    sensors: { sensor_id: string; kind: string; last_measured: TimestampProto; measured_position: Vec3Proto; score: number }[];
    first_seen: TimestampProto;
  }[];
  hazards: {
    kind: string | number;
    probability: number;
    bearing_rad: number;
    first_heard: TimestampProto;
    mirrored_bearing_rad: number;
    bearing_confidence: number;
    last_heard: TimestampProto;
  }[];
  health: {
    sensors: {
      sensor_id: string;
      kind: string;
      status: string | number;
      reason: string;
      age_ms: number;
      rate_hz: number;
      quality: number;
      included: boolean;
      skew_ms: number;
      dropped: number;
      malformed: number;
      status_since: TimestampProto;
    }[];
    degradation: string | number;
    recommended_fallback: string;
    visibility_m: number;
    sync_skew_ms: number;
    degradation_reason: string;
    visibility_estimated: boolean;
  };
  latency: { stage: string; ms: number }[];
  tick: number;
};

/** google.protobuf.Timestamp: nanos always in [0, 1e9), also before 1970. */
function toTimestamp(ns: Nanos): TimestampProto {
  let sec = ns / NS_PER_SEC;
  let nanos = ns - sec * NS_PER_SEC;
  if (nanos < 0n) {
    sec -= 1n;
    nanos += NS_PER_SEC;
  }
  return { seconds: sec.toString(), nanos: Number(nanos) };
}

function fromTimestamp(t: TimestampProto | null | undefined): Nanos {
  if (!t) return 0n;
  return BigInt(t.seconds) * NS_PER_SEC + BigInt(t.nanos);
}

const vec = (v: Vec3): Vec3Proto => ({ x: v.x, y: v.y, z: v.z });
const nanIfNull = (v: number | null): number => (v === null ? Number.NaN : v);
const nullIfNaN = (v: number): number | null => (Number.isNaN(v) ? null : v);

const classEnum = (c: ObjectClass): string => `OBJECT_CLASS_${c.toUpperCase()}`;
const HAZARD_KINDS: readonly HazardKind[] = ["siren", "horn"];

/** Enum value (name or number, as encode takes and decode gives) → our string. */
function enumValue<T extends string>(v: string | number, names: readonly T[], prefix: string, offset: number): T {
  if (typeof v === "number") return names[v - offset] ?? names[0]!;
  const bare = v.startsWith(prefix) ? v.slice(prefix.length).toLowerCase() : v.toLowerCase();
  return names.find((n) => n.toLowerCase() === bare) ?? names[0]!;
}

export function toSceneProto(state: SceneState): SceneStateProto {
  const h = state.health;
  return {
    timestamp: toTimestamp(state.stamp),
    frame_id: state.frameId,
    objects: state.objects.map((o) => ({
      id: o.id,
      classification: classEnum(o.classification),
      class_probabilities: OBJECT_CLASSES.filter((c) => (o.classProbabilities[c] ?? 0) > 0).map((c) => ({
        classification: classEnum(c),
        probability: o.classProbabilities[c]!,
      })),
      position: vec(o.position),
      velocity: vec(o.velocity),
      size: o.size ? vec(o.size) : null,
      yaw_rad: nanIfNull(o.yawRad),
      position_covariance: [...o.positionCovariance],
      existence_probability: o.existence,
      sensors: o.sensors.map((s) => ({
        sensor_id: s.sensorId,
        kind: s.kind,
        last_measured: toTimestamp(s.lastMeasured),
        measured_position: vec(s.measuredPosition),
        score: s.score,
      })),
      first_seen: toTimestamp(o.firstSeen),
    })),
    hazards: state.hazards.map((z) => ({
      kind: `HAZARD_KIND_${z.kind.toUpperCase()}`,
      probability: z.probability,
      bearing_rad: nanIfNull(z.bearingRad),
      first_heard: toTimestamp(z.firstHeard),
      mirrored_bearing_rad: nanIfNull(z.mirroredBearingRad),
      bearing_confidence: z.bearingConfidence,
      last_heard: toTimestamp(z.lastHeard),
    })),
    health: {
      sensors: h.sensors.map((s) => ({
        sensor_id: s.sensorId,
        kind: s.kind,
        status: `SENSOR_STATUS_${s.status}`,
        reason: s.reason,
        age_ms: nanIfNull(s.ageMs),
        rate_hz: nanIfNull(s.rateHz),
        quality: nanIfNull(s.quality),
        included: s.included,
        skew_ms: nanIfNull(s.skewMs),
        dropped: s.dropped,
        malformed: s.malformed,
        status_since: toTimestamp(s.since),
      })),
      degradation: `DEGRADATION_LEVEL_${h.degradation}`,
      recommended_fallback: h.recommendedFallback,
      visibility_m: h.visibilityM ?? 0,
      sync_skew_ms: h.syncSkewMs,
      degradation_reason: h.degradationReason,
      visibility_estimated: h.visibilityM !== null,
    },
    latency: Object.entries(state.latencyMs).map(([stage, ms]) => ({ stage, ms })),
    tick: state.tick,
  };
}

/** The inverse of `toSceneProto`, for a `decodeProto("avfusion.SceneState", bytes)` result. */
export function fromSceneProto(p: SceneStateProto): SceneState {
  const h = p.health;
  return {
    stamp: fromTimestamp(p.timestamp),
    tick: Number(p.tick),
    frameId: p.frame_id,
    objects: p.objects.map((o) => {
      const classProbabilities: Partial<Record<ObjectClass, number>> = {};
      for (const cp of o.class_probabilities)
        classProbabilities[enumValue(cp.classification, OBJECT_CLASSES, "OBJECT_CLASS_", 0)] = cp.probability;
      return {
        id: o.id,
        classification: enumValue(o.classification, OBJECT_CLASSES, "OBJECT_CLASS_", 0),
        classProbabilities,
        position: vec(o.position),
        velocity: vec(o.velocity),
        size: o.size ? vec(o.size) : null,
        yawRad: nullIfNaN(o.yaw_rad),
        positionCovariance: [...o.position_covariance],
        existence: o.existence_probability,
        sensors: o.sensors.map((s) => ({
          sensorId: s.sensor_id,
          kind: (SENSOR_KINDS as readonly string[]).includes(s.kind) ? (s.kind as SensorKind) : "camera",
          lastMeasured: fromTimestamp(s.last_measured),
          measuredPosition: vec(s.measured_position),
          score: s.score,
        })),
        firstSeen: fromTimestamp(o.first_seen),
      };
    }),
    hazards: p.hazards.map((z): SceneHazard => ({
      kind: enumValue(z.kind, HAZARD_KINDS, "HAZARD_KIND_", 1),
      probability: z.probability,
      bearingRad: nullIfNaN(z.bearing_rad),
      mirroredBearingRad: nullIfNaN(z.mirrored_bearing_rad),
      bearingConfidence: z.bearing_confidence,
      firstHeard: fromTimestamp(z.first_heard),
      lastHeard: fromTimestamp(z.last_heard),
    })),
    health: {
      sensors: h.sensors.map((s) => ({
        sensorId: s.sensor_id,
        kind: (SENSOR_KINDS as readonly string[]).includes(s.kind) ? (s.kind as SensorKind) : "camera",
        status: enumValue<SensorHealthStatus>(s.status, SENSOR_HEALTH_STATUSES, "SENSOR_STATUS_", 1),
        reason: s.reason,
        since: fromTimestamp(s.status_since),
        ageMs: nullIfNaN(s.age_ms),
        rateHz: nullIfNaN(s.rate_hz),
        quality: nullIfNaN(s.quality),
        included: s.included,
        skewMs: nullIfNaN(s.skew_ms),
        dropped: Number(s.dropped),
        malformed: Number(s.malformed),
      })),
      degradation: enumValue<DegradationLevel>(h.degradation, DEGRADATION_LEVELS, "DEGRADATION_LEVEL_", 1),
      recommendedFallback: h.recommended_fallback,
      degradationReason: h.degradation_reason,
      visibilityM: h.visibility_estimated ? h.visibility_m : null,
      syncSkewMs: h.sync_skew_ms,
    },
    latencyMs: Object.fromEntries(p.latency.map((l) => [l.stage, l.ms])),
  };
}
