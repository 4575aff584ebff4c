import type { SceneState } from "../types";

/**
 * A scene state with every field set, for round-trip and shape tests. Probabilities and
 * qualities are exact in float32 (proto `float` fields), so round trips compare with toEqual.
 */
export function fullSceneState(): SceneState {
  return {
    stamp: 1_700_000_000_123_456_789n,
    tick: 42,
    frameId: "base_link",
    objects: [
      {
        id: 7,
        classification: "car",
        classProbabilities: { car: 0.75, truck: 0.125, unknown: 0.125 },
        position: { x: 23.5, y: -1.75, z: 0.8 },
        velocity: { x: -3.25, y: 0.5, z: 0 },
        size: { x: 4.5, y: 1.875, z: 1.5 },
        yawRad: 0.1,
        positionCovariance: [0.25, 0.01, 0, 0.01, 0.3, 0, 0, 0, 0.04],
        existence: 0.9375,
        sensors: [
          { sensorId: "cam_front", kind: "camera", lastMeasured: 1_700_000_000_100_000_000n, measuredPosition: { x: 23.4, y: -1.7, z: 0.7 }, score: 0.875 },
          { sensorId: "radar_front", kind: "radar", lastMeasured: 1_700_000_000_090_000_000n, measuredPosition: { x: 23.6, y: -1.8, z: 0 }, score: 0.5 },
        ],
        firstSeen: 1_699_999_998_000_000_000n,
      },
      {
        id: 9,
        classification: "emergency_vehicle",
        classProbabilities: { emergency_vehicle: 1 },
        position: { x: -40, y: 3.5, z: 1 },
        velocity: { x: 12, y: 0, z: 0 },
        size: null,
        yawRad: null,
        positionCovariance: [1, 0, 0, 0, 1, 0, 0, 0, 1],
        existence: 0.5,
        sensors: [{ sensorId: "lidar_top", kind: "lidar", lastMeasured: 1_700_000_000_120_000_000n, measuredPosition: { x: -40, y: 3.5, z: 1 }, score: 0.625 }],
        firstSeen: 1_700_000_000_000_000_000n,
      },
    ],
    hazards: [
      {
        kind: "siren",
        probability: 0.875,
        bearingRad: Math.PI / 2,
        mirroredBearingRad: Math.PI / 2,
        bearingConfidence: 0.75,
        firstHeard: 1_699_999_999_500_000_000n,
        lastHeard: 1_700_000_000_100_000_000n,
      },
      { kind: "horn", probability: 0.5, bearingRad: null, mirroredBearingRad: null, bearingConfidence: 0, firstHeard: 1_700_000_000_000_000_000n, lastHeard: 1_700_000_000_000_000_000n },
    ],
    health: {
      sensors: [
        {
          sensorId: "cam_front",
          kind: "camera",
          status: "DEGRADED",
          reason: "encoder quality 0.38 (degraded below 0.5, recovers at ≥ 0.6)",
          since: 1_700_000_000_000_000_000n,
          ageMs: 23.5,
          rateHz: 29.5,
          quality: 0.375,
          included: true,
          skewMs: -4.25,
          dropped: 3,
          malformed: 0,
        },
        {
          sensorId: "lidar_top",
          kind: "lidar",
          status: "OK",
          reason: "ok",
          since: 1_699_999_990_000_000_000n,
          ageMs: 3,
          rateHz: 10,
          quality: 1,
          included: true,
          skewMs: 3,
          dropped: 0,
          malformed: 0,
        },
        {
          sensorId: "radar_front",
          kind: "radar",
          status: "MISSING",
          reason: "never seen (sync: missing)",
          since: 1_699_999_990_000_000_000n,
          ageMs: null,
          rateHz: null,
          quality: null,
          included: false,
          skewMs: null,
          dropped: 0,
          malformed: 12,
        },
      ],
      degradation: "DEGRADED",
      recommendedFallback: "reduce speed to 50 km/h and increase following distance",
      degradationReason: "fewer than two healthy forward modalities (healthy: lidar; degraded: camera; down: radar; visibility 60 m)",
      visibilityM: 60,
      syncSkewMs: 4.25,
    },
    latencyMs: { decode: 0.5, sync: 0.25, encoders: 12.5, fusion: 1.5, scene: 0.125 },
  };
}
