import type { ObjectClass, SensorKind, Vec3 } from "../types";
import type { DegradationLevel, HazardKind, SceneState, SensorHealthStatus } from "../types";

/**
 * The JSON-lines shape of a scene state (`avfusion replay --jsonl`). Plain JSON: the stamp is a
 * decimal string of nanoseconds (a bigint does not fit a JSON number), angles of hazards in
 * degrees, everything else in the units of `SceneState`. Unknown values are null.
 */
export type SceneJson = {
  stamp: string;
  tick: number;
  frameId: string;
  objects: {
    id: number;
    class: ObjectClass;
    existence: number;
    position: Vec3;
    velocity: Vec3;
    /** Length, width, height as x, y, z (m); null when unknown. */
    size: Vec3 | null;
    /** rad; null when unknown. */
    yaw: number | null;
    /** Sensor kinds that contributed, sorted, each once. */
    sensors: SensorKind[];
  }[];
  /** Bearings in degrees, positive to the left; null when unknown. `mirroredBearingDeg`: the front/back mirror solution. */
  hazards: { kind: HazardKind; probability: number; bearingDeg: number | null; mirroredBearingDeg: number | null }[];
  health: {
    degradation: DegradationLevel;
    fallback: string;
    reason: string;
    visibilityM: number | null;
    syncSkewMs: number;
    sensors: {
      sensorId: string;
      kind: SensorKind;
      status: SensorHealthStatus;
      reason: string;
      ageMs: number | null;
      rateHz: number | null;
      quality: number | null;
      included: boolean;
      /** Only where the scene has one (`live`): the clock offset subtracted from the sensor's stamps (ms). */
      clockOffsetMs?: number;
    }[];
  };
  latencyMs: Record<string, number>;
};

/** Non-finite numbers have no JSON form; they become null rather than a silent string. */
const finite = (v: number | null): number | null => (v !== null && Number.isFinite(v) ? v : null);
const vec = (v: Vec3): Vec3 => ({ x: v.x, y: v.y, z: v.z });

/** A scene state in its JSON-lines shape (`SceneJson`): one line of `--jsonl` output, before `JSON.stringify`. */
export function toSceneJson(state: SceneState): SceneJson {
  const h = state.health;
  return {
    stamp: state.stamp.toString(),
    tick: state.tick,
    frameId: state.frameId,
    objects: state.objects.map((o) => ({
      id: o.id,
      class: o.classification,
      existence: o.existence,
      position: vec(o.position),
      velocity: vec(o.velocity),
      size: o.size ? vec(o.size) : null,
      yaw: finite(o.yawRad),
      sensors: [...new Set(o.sensors.map((s) => s.kind))].sort(),
    })),
    hazards: state.hazards.map((z) => ({
      kind: z.kind,
      probability: z.probability,
      bearingDeg: finite(z.bearingRad === null ? null : (z.bearingRad * 180) / Math.PI),
      mirroredBearingDeg: finite(z.mirroredBearingRad === null ? null : (z.mirroredBearingRad * 180) / Math.PI),
    })),
    health: {
      degradation: h.degradation,
      fallback: h.recommendedFallback,
      reason: h.degradationReason,
      visibilityM: finite(h.visibilityM),
      syncSkewMs: h.syncSkewMs,
      sensors: h.sensors.map((s) => ({
        sensorId: s.sensorId,
        kind: s.kind,
        status: s.status,
        reason: s.reason,
        ageMs: finite(s.ageMs),
        rateHz: finite(s.rateHz),
        quality: finite(s.quality),
        included: s.included,
        ...(s.clockOffsetMs !== undefined ? { clockOffsetMs: s.clockOffsetMs } : {}),
      })),
    },
    latencyMs: { ...state.latencyMs },
  };
}
