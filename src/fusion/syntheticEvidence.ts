import {
  secToNs,
  type Detection,
  type EgoMotion,
  type EvidenceBundle,
  type ObjectClass,
  type SensorEvidence,
  type SensorKind,
} from "../types";

/**
 * Seeded synthetic evidence for tests and benchmarks of the tracker: point targets seen by
 * simple sensor models (Gaussian position noise, detection probability, uniform clutter, radar
 * range rate). Not a sensor simulator (that is src/sim/); just enough to exercise fusion.
 */

/**
 * The tracker settings for these synthetic sensors: their stated covariances are the noise they
 * draw (no calibration scale), and a detection weighs its frame's quality in full.
 */
export const HONEST_SENSORS = {
  detectionQualityExponent: 1,
  sensors: {
    camera: { positionCovarianceScale: 1, velocityCovarianceScale: 1 },
    lidar: { positionCovarianceScale: 1, velocityCovarianceScale: 1 },
    radar: { positionCovarianceScale: 1, velocityCovarianceScale: 1 },
  },
} as const;

/** Mulberry32: a small, fast, seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal sample (Box–Muller). */
export function gaussian(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** A target in the ego frame: position (m), over-ground velocity (m/s). */
export type SimTarget = { x: number; y: number; vx: number; vy: number; cls: ObjectClass };

export type SimSensor = {
  sensorId: string;
  kind: SensorKind;
  /** 1-σ position noise per axis (m). */
  positionStdM: number;
  /** Probability of detecting each target per tick. */
  detectionProbability: number;
  /** Mean number of clutter detections per tick, uniform over ±clutterHalfWidthM. */
  clutterPerTick: number;
  clutterHalfWidthM: number;
  /** Radar: 1-σ range-rate noise (m/s); absent = no range rate. */
  rangeRateStdMps?: number;
  /** Whether detections carry the target's class (else no opinion). */
  reportsClass: boolean;
  quality: number;
};

/** Over-ground velocity of the ego (m/s, yaw rate rad/s) used for the radar's relative range rate. */
export function observe(
  targets: readonly SimTarget[],
  sensors: readonly SimSensor[],
  stampSec: number,
  tick: number,
  rng: () => number,
  ego?: EgoMotion,
): EvidenceBundle {
  const stamp = secToNs(stampSec);
  const evidence: SensorEvidence[] = sensors.map((s) => {
    const detections: Detection[] = [];
    const v = s.positionStdM * s.positionStdM;
    for (const t of targets) {
      if (rng() >= s.detectionProbability) continue;
      const x = t.x + s.positionStdM * gaussian(rng);
      const y = t.y + s.positionStdM * gaussian(rng);
      const d: Detection = {
        position: { x, y, z: 0.8 + 0.1 * gaussian(rng) },
        positionCovariance: [v, 0, 0, 0, v, 0, 0, 0, 0.01],
        classProbabilities: s.reportsClass ? { [t.cls]: 0.8 } : {},
        score: 0.9,
      };
      if (s.rangeRateStdMps !== undefined) {
        const bearing = Math.atan2(t.y, t.x);
        const ux = Math.cos(bearing);
        const uy = Math.sin(bearing);
        const egoVx = ego?.speedMps ?? 0;
        d.rangeRate = {
          rangeRateMps: (t.vx - egoVx) * ux + t.vy * uy + s.rangeRateStdMps * gaussian(rng),
          variance: s.rangeRateStdMps * s.rangeRateStdMps,
          rangeM: Math.hypot(t.x, t.y),
          bearingRad: Math.atan2(y, x),
        };
      }
      detections.push(d);
    }
    const clutter = poisson(s.clutterPerTick, rng);
    for (let k = 0; k < clutter; k++) {
      const x = (2 * rng() - 1) * s.clutterHalfWidthM;
      const y = (2 * rng() - 1) * s.clutterHalfWidthM;
      const d: Detection = {
        position: { x, y, z: 0.5 },
        positionCovariance: [v, 0, 0, v],
        classProbabilities: {},
        score: 0.3 + 0.6 * rng(),
      };
      if (s.rangeRateStdMps !== undefined) {
        d.rangeRate = {
          rangeRateMps: -(ego?.speedMps ?? 0) * Math.cos(Math.atan2(y, x)) + s.rangeRateStdMps * gaussian(rng),
          variance: s.rangeRateStdMps * s.rangeRateStdMps,
          rangeM: Math.hypot(x, y),
          bearingRad: Math.atan2(y, x),
        };
      }
      detections.push(d);
    }
    return {
      sensorId: s.sensorId,
      kind: s.kind,
      stamp,
      detections,
      quality: s.quality,
      encoder: { name: "synthetic", modelVersion: "0", backend: "none" },
      timingMs: {},
    };
  });
  const bundle: EvidenceBundle = {
    stamp,
    tick,
    evidence,
    sync: sensors.map((s) => ({ sensorId: s.sensorId, kind: s.kind, status: "included", skew: 0n })),
  };
  if (ego !== undefined) bundle.ego = ego;
  return bundle;
}

/** Move targets by dt seconds at constant velocity (ego standing still). */
export function advance(targets: SimTarget[], dt: number): void {
  for (const t of targets) {
    t.x += t.vx * dt;
    t.y += t.vy * dt;
  }
}

function poisson(mean: number, rng: () => number): number {
  if (mean <= 0) return 0;
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng();
  while (p > limit) {
    k++;
    p *= rng();
  }
  return k;
}
