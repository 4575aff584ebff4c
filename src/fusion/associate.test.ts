import type { Detection, ObjectClass, SensorKind } from "../types";
import { assignMeasurements, clusterMeasurements, pairCost, type GateParams, type PositionHypothesis } from "./associate";
import { classVectorOf } from "./classBelief";
import { chiSquareQuantile, normalQuantile } from "./gating";
import { toMeasurement, type Measurement } from "./toMeasurement";

const gate: GateParams = {
  gate: chiSquareQuantile(0.99, 2),
  minClassCompatibility: 0.1,
  classCostWeight: 1,
  rangeRateGate: chiSquareQuantile(0.99, 1),
  egoSpeedMps: 0,
  egoYawRateRadps: 0,
};

function meas(sensorId: string, x: number, y: number, variance = 0.25, cls?: ObjectClass, kind: SensorKind = "lidar"): Measurement {
  const d: Detection = {
    position: { x, y, z: 0 },
    positionCovariance: [variance, 0, 0, variance],
    classProbabilities: cls === undefined ? {} : { [cls]: 0.95 },
    score: 0.9,
  };
  const r = toMeasurement(d, 0, sensorId, kind, 0n, 1);
  if (!r.ok) throw new Error(r.reason);
  return r.measurement;
}

const hyp = (x: number, y: number, variance = 0.25, cls?: ObjectClass): PositionHypothesis => ({
  x,
  y,
  P: [variance, 0, 0, variance],
  classes: classVectorOf(cls === undefined ? {} : { [cls]: 0.95 }),
});

describe("gating", () => {
  it("gives the chi-square quantiles of the tables", () => {
    expect(chiSquareQuantile(0.95, 1)).toBeCloseTo(3.841, 3);
    expect(chiSquareQuantile(0.99, 2)).toBeCloseTo(9.21, 2);
    expect(chiSquareQuantile(0.95, 3)).toBeCloseTo(7.815, 1);
    expect(chiSquareQuantile(0.99, 4)).toBeCloseTo(13.277, 1);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 6);
    expect(() => chiSquareQuantile(1, 2)).toThrow("expected a probability in (0, 1), got 1");
  });
});

describe("association", () => {
  it("costs a pair by d² + ln det S and gates by distance and class", () => {
    // S = 0.5·I; d = (1, 0) → d² = 2, ln det S = 2·ln 0.5; "no class opinion" costs nothing.
    expect(pairCost(hyp(0, 0), meas("a", 1, 0), gate)).toBeCloseTo(2 + 2 * Math.log(0.5), 12);
    expect(pairCost(hyp(0, 0, 0.25, "pedestrian"), meas("a", 1, 0), gate)).toBeCloseTo(
      pairCost(hyp(0, 0, 0.25, "car"), meas("a", 1, 0), gate),
      12,
    );
    expect(pairCost(hyp(0, 0), meas("a", 3, 0), gate)).toBe(Infinity); // d² = 18 > 9.21
    expect(pairCost(hyp(0, 0, 0.25, "car"), meas("a", 0.1, 0, 0.25, "pedestrian"), gate)).toBe(Infinity);
    expect(pairCost(hyp(0, 0, 0.25, "car"), meas("a", 0.1, 0, 0.25, "truck"), gate)).toBeLessThan(Infinity);
  });

  it("gates and costs radar range rate against the track velocity, with the ego's own motion", () => {
    const radarAt = (rate: number): Measurement => {
      const r = toMeasurement(
        {
          position: { x: 30, y: 0, z: 0 },
          positionCovariance: [0.25, 0, 0, 0.25],
          rangeRate: { rangeRateMps: rate, variance: 0.01, rangeM: 30, bearingRad: 0 },
          classProbabilities: {},
          score: 1,
        },
        0,
        "radar",
        "radar",
        0n,
        1,
      );
      if (!r.ok) throw new Error(r.reason);
      return r.measurement;
    };
    const parked: PositionHypothesis = { ...hyp(30, 0), velocity: { vx: 0, vy: 0, P: [0.04, 0, 0, 0.04] } };
    // Ego standing still: a parked car has range rate 0; −10 m/s is another object.
    expect(pairCost(parked, radarAt(0), gate)).toBeLessThan(Infinity);
    expect(pairCost(parked, radarAt(-10), gate)).toBe(Infinity);
    // Ego driving at 10 m/s: now the parked car closes at 10 m/s.
    const driving = { ...gate, egoSpeedMps: 10 };
    expect(pairCost(parked, radarAt(-10), driving)).toBeLessThan(Infinity);
    expect(pairCost(parked, radarAt(0), driving)).toBe(Infinity);
    // The residual adds d² + ln S: 0.1 m/s off costs (0.1²/0.05) more than a perfect match.
    expect(pairCost(parked, radarAt(0.1), gate) - pairCost(parked, radarAt(0), gate)).toBeCloseTo(0.01 / 0.05, 9);
    // Disabled, or without a track velocity, range rate plays no part.
    expect(pairCost(parked, radarAt(-10), { ...gate, rangeRateGate: Infinity })).toBeCloseTo(
      pairCost(parked, radarAt(0), { ...gate, rangeRateGate: Infinity }),
      12,
    );
    expect(pairCost(hyp(30, 0), radarAt(-10), gate)).toBeLessThan(Infinity);
  });

  it("assigns globally, not greedily", () => {
    // Greedy would give m0 to h1 (closest pair), leaving m1 unmatched.
    const hs = [hyp(0, 0), hyp(1, 0)];
    const ms = [meas("a", 0.9, 0), meas("a", 1.9, 0)];
    expect(Array.from(assignMeasurements(hs, ms, gate))).toEqual([0, 1]);
  });

  it("clusters each object's detections across sensors, at most one per sensor", () => {
    const ms = [
      meas("lidar", 10, 0, 0.04),
      meas("lidar", 10.6, 0, 0.04), // a second object close to the first, same sensor
      meas("radar", 10.1, 0.1, 0.5, undefined, "radar"),
      meas("radar", 30, 5, 0.5, undefined, "radar"),
      meas("cam", 10.5, 0.2, 1, "car", "camera"),
    ];
    const clusters = clusterMeasurements(ms, gate);
    for (const c of clusters) {
      const sensors = c.members.map((m) => m.sensorId);
      expect(new Set(sensors).size).toBe(sensors.length);
    }
    expect(clusters).toHaveLength(3);
    const far = clusters.find((c) => c.x > 20)!;
    expect(far.members.map((m) => m.sensorId)).toEqual(["radar"]);
    // Every detection lands in exactly one cluster.
    expect(clusters.reduce((n, c) => n + c.members.length, 0)).toBe(ms.length);
  });

  it("fuses a cluster's position by inverse-covariance weighting", () => {
    const clusters = clusterMeasurements([meas("a", 0, 0, 1), meas("b", 1, 0, 3)], gate);
    expect(clusters).toHaveLength(1);
    expect(clusters[0]!.x).toBeCloseTo(0.25, 12);
    expect(clusters[0]!.P[0]).toBeCloseTo(0.75, 12);
  });

  it("does not cluster class-incompatible detections even when they coincide", () => {
    const clusters = clusterMeasurements([meas("cam", 5, 5, 0.5, "pedestrian", "camera"), meas("lidar", 5.1, 5, 0.5, "truck")], gate);
    expect(clusters).toHaveLength(2);
  });
});
