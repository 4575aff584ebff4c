/** Small builders of ground-truth frames and scene states for the evaluation tests. */
import type { GroundTruthFrame, GroundTruthObject, Nanos, ObjectClass } from "../../types";
import type { SceneHazard, SceneObject, SceneState } from "../../types/scene";

export const MS = 1_000_000n;

export function gtObject(classification: ObjectClass, x: number, y: number, extra: Partial<GroundTruthObject> = {}): GroundTruthObject {
  return {
    id: 1,
    classification,
    position: { x, y, z: 0.8 },
    size: { x: 4.5, y: 1.8, z: 1.5 },
    yawRad: 0,
    velocity: { x: 0, y: 0, z: 0 },
    sirenOn: false,
    visibility: {},
    ...extra,
  };
}

export function gtFrame(stamp: Nanos, objects: GroundTruthObject[], extra: Partial<GroundTruthFrame> = {}): GroundTruthFrame {
  return {
    kind: "groundTruth",
    topic: "/ground_truth",
    stamp,
    frameId: "base_link",
    objects,
    visibilityM: Infinity,
    sirenActive: false,
    sirenBearingRad: 0,
    egoSpeedMps: 0,
    ...extra,
  };
}

/** A scene object that copies a GT object (a perfect detection) unless overridden. */
export function sceneObject(from: GroundTruthObject, existence: number, extra: Partial<SceneObject> = {}): SceneObject {
  return {
    id: from.id,
    classification: from.classification,
    classProbabilities: { [from.classification]: 1 },
    position: { ...from.position },
    velocity: { ...from.velocity },
    size: { ...from.size },
    yawRad: from.yawRad,
    positionCovariance: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    existence,
    sensors: [],
    firstSeen: 0n,
    ...extra,
  };
}

export function sirenHazard(
  probability: number,
  bearingRad: number | null,
  mirroredBearingRad: number | null = bearingRad === null ? null : Math.PI - bearingRad,
): SceneHazard {
  return { kind: "siren", probability, bearingRad, mirroredBearingRad, bearingConfidence: 1, firstHeard: 0n, lastHeard: 0n };
}

export function sceneState(stamp: Nanos, objects: SceneObject[], hazards: SceneHazard[] = []): SceneState {
  return {
    stamp,
    tick: Number(stamp / (100n * MS)),
    frameId: "base_link",
    objects,
    hazards,
    health: {
      sensors: [],
      degradation: "NOMINAL",
      recommendedFallback: "none",
      degradationReason: "test",
      visibilityM: null,
      syncSkewMs: 0,
    },
    latencyMs: {},
  };
}
