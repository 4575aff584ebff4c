import { HONEST_SENSORS } from "./syntheticEvidence";
import fc from "fast-check";
import { isPositiveDefinite } from "./kalman";
import { MultiSensorTracker } from "./MultiSensorTracker";
import type { Detection, EvidenceBundle, SensorEvidence } from "../types";

/** Numbers a broken encoder might produce. */
const wild = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -200, max: 200, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, -0, 1e-300, 1e300, -1e300, Number.MAX_VALUE) },
);
const variance = fc.oneof({ weight: 6, arbitrary: fc.double({ min: 1e-4, max: 100, noNaN: true }) }, { weight: 1, arbitrary: wild });
const detection: fc.Arbitrary<Detection> = fc.record(
  {
    position: fc.record({ x: wild, y: wild, z: wild }),
    positionCovariance: fc.oneof(
      fc.tuple(variance, variance).map(([a, b]) => [a, 0, 0, b]),
      fc.tuple(variance, variance, variance).map(([a, b, c]) => [a, 0, 0, 0, b, 0, 0, 0, c]),
      fc.array(wild, { maxLength: 10 }),
    ),
    classProbabilities: fc.dictionary(fc.constantFrom("car", "pedestrian", "truck", "unknown"), wild),
    score: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), wild),
    rangeRate: fc.option(fc.record({ rangeRateMps: wild, variance, rangeM: wild, bearingRad: wild }), { nil: undefined }),
    velocity: fc.option(
      fc.record({
        value: fc.record({ x: wild, y: wild, z: wild }),
        covariance: fc.tuple(variance, variance).map(([a, b]) => [a, 0, 0, b]),
        reference: fc.constantFrom("ground" as const, "ego" as const),
      }),
      { nil: undefined },
    ),
    size: fc.option(fc.record({ x: wild, y: wild, z: wild }), { nil: undefined }),
    yawRad: fc.option(wild, { nil: undefined }),
  },
  { requiredKeys: ["position", "positionCovariance", "classProbabilities", "score"] },
) as fc.Arbitrary<Detection>;

describe("MultiSensorTracker under arbitrary input", () => {
  it("never throws on bad detections, and what it reports stays finite and positive definite", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.array(detection, { maxLength: 6 }), { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 12 }),
        fc.option(fc.record({ speedMps: wild, yawRateRadps: wild }), { nil: undefined }),
        fc.array(wild, { minLength: 2, maxLength: 2 }),
        (ticks, ego, qualities) => {
          const tracker = new MultiSensorTracker(HONEST_SENSORS);
          ticks.forEach((perSensor, k) => {
            const stamp = BigInt(k) * 100_000_000n;
            const evidence: SensorEvidence[] = perSensor.map((detections, s) => ({
              sensorId: s === 0 ? "lidar" : "radar",
              kind: s === 0 ? "lidar" : "radar",
              stamp,
              detections,
              quality: qualities[s]!,
              encoder: { name: "fuzz", modelVersion: "0", backend: "none" },
              timingMs: {},
            }));
            const bundle: EvidenceBundle = { stamp, tick: k, evidence, sync: [] };
            if (ego !== undefined) bundle.ego = ego;
            const out = tracker.step(bundle);
            for (const t of out.tracks) {
              for (const v of [t.position.x, t.position.y, t.position.z, t.velocity.x, t.velocity.y, t.existence])
                expect(Number.isFinite(v)).toBe(true);
              expect(isPositiveDefinite(t.positionCovariance, 3)).toBe(true);
              expect(isPositiveDefinite(t.velocityCovariance, 2)).toBe(true);
              expect(t.existence).toBeGreaterThanOrEqual(0);
              expect(t.existence).toBeLessThanOrEqual(1);
            }
          });
        },
      ),
      { numRuns: 300, seed: 66 },
    );
  });

  it("never throws on detections of arbitrary shape (null fields, wrong types)", () => {
    const shaped = fc.oneof(
      fc.anything(),
      fc.record({
        position: fc.oneof(fc.anything(), fc.record({ x: wild, y: wild, z: wild })),
        positionCovariance: fc.oneof(fc.anything(), fc.constant([1, 0, 0, 1])),
        classProbabilities: fc.anything(),
        score: fc.oneof(fc.anything(), fc.constant(0.5)),
        velocity: fc.oneof(fc.constant(null), fc.anything()),
        rangeRate: fc.oneof(
          fc.constant(null),
          fc.anything(),
          fc.record({ rangeRateMps: wild, variance: fc.anything(), rangeM: wild, bearingRad: wild, sensorPosition: fc.anything() }),
        ),
        size: fc.oneof(fc.constant(null), fc.anything()),
        yawRad: fc.anything(),
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.array(shaped, { maxLength: 5 }), { minLength: 1, maxLength: 5 }), (ticks) => {
        const tracker = new MultiSensorTracker(HONEST_SENSORS);
        ticks.forEach((detections, k) => {
          const stamp = BigInt(k) * 100_000_000n;
          const ev = {
            sensorId: "lidar",
            kind: "lidar" as const,
            stamp,
            detections: detections as Detection[],
            quality: 1,
            encoder: { name: "fuzz", modelVersion: "0", backend: "none" },
            timingMs: {},
          };
          const out = tracker.step({ stamp, tick: k, evidence: [ev], sync: [] });
          expect(out.diagnostics.rejectedDetections + out.diagnostics.sensors[0]!.detections).toBe(detections.length);
        });
      }),
      { numRuns: 300, seed: 67 },
    );
  });
});
