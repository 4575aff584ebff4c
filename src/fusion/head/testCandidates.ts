import type { CandidateSensor, FusionCandidate } from "../fusionHead";

/** Hand-made candidates for the head's tests. */
export function candidate(sensors: CandidateSensor[], over: Partial<FusionCandidate> = {}): FusionCandidate {
  return {
    trackId: 1,
    isNew: false,
    priorExistence: 0.6,
    modelExistence: 0.9,
    position: { x: 30, y: 4, z: 0.8 },
    velocity: { x: 3, y: -4, z: 0 },
    stamp: 1_000_000_000n,
    tickPosition: { x: 30, y: 4, z: 0.8 },
    hits: 4,
    ageSec: 0.3,
    classProbabilities: { car: 0.7, truck: 0.1 },
    sensors,
    ...over,
  };
}

export const cam = (outcome: CandidateSensor["outcome"], score = 0.8, over: Partial<CandidateSensor> = {}): CandidateSensor => ({
  sensorId: "camera_front",
  kind: "camera",
  quality: 0.9,
  outcome,
  ...(outcome === "detected"
    ? { detection: { position: { x: 33, y: 8, z: 0 }, score, classProbabilities: { car: 0.6, truck: 0.2 } } }
    : {}),
  ...over,
});

export const lidar = (outcome: CandidateSensor["outcome"], score = 0.6): CandidateSensor => ({
  sensorId: "lidar_top",
  kind: "lidar",
  quality: 1,
  outcome,
  ...(outcome === "detected" ? { detection: { position: { x: 30, y: 4, z: 0.8 }, score, classProbabilities: { car: 1 } } } : {}),
});

export const radar = (outcome: CandidateSensor["outcome"], score = 0.5): CandidateSensor => ({
  sensorId: "radar_front",
  kind: "radar",
  quality: 0.7,
  outcome,
  ...(outcome === "detected" ? { detection: { position: { x: 30.5, y: 4, z: 0 }, score, classProbabilities: {}, rangeRateMps: -6 } } : {}),
});
