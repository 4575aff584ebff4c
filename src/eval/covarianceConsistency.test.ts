import { seededRandom } from "../fusion/syntheticEvidence";
import type { GroundTruthFrame, SensorEvidence } from "../types";
import { covarianceConsistency } from "./covarianceConsistency";
import { gtFrame, gtObject, MS } from "./testing/fixtures";

/** A normal draw (Box–Muller). */
const normal = (rand: () => number): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

/**
 * A drive of `frames` ground-truth frames with two cars far apart, and one sensor whose detections
 * scatter around them with σ = `trueStd` (position) and `trueVelStd` (velocity) while stating
 * `statedStd` and `statedVelStd`.
 */
function drive(frames: number, trueStd: number, statedStd: number, trueVelStd: number, statedVelStd: number, seed: number) {
  const rand = seededRandom(seed);
  const groundTruth: GroundTruthFrame[] = [];
  const evidence: SensorEvidence[][] = [];
  for (let i = 0; i < frames; i++) {
    const stamp = BigInt(i) * 100n * MS;
    const objects = [
      gtObject("car", 20, 5, { velocity: { x: 8, y: 0, z: 0 } }),
      gtObject("car", 40, -10, { velocity: { x: -3, y: 1, z: 0 } }),
    ];
    groundTruth.push(gtFrame(stamp, objects));
    evidence.push([
      {
        sensorId: "radar_front",
        kind: "radar",
        stamp,
        quality: 1,
        encoder: { name: "test", modelVersion: "0", backend: "none" },
        timingMs: {},
        detections: objects.map((o) => ({
          position: { x: o.position.x + trueStd * normal(rand), y: o.position.y + trueStd * normal(rand), z: 0 },
          positionCovariance: [statedStd ** 2, 0, 0, statedStd ** 2],
          velocity: {
            value: { x: o.velocity.x + trueVelStd * normal(rand), y: o.velocity.y + trueVelStd * normal(rand), z: 0 },
            covariance: [statedVelStd ** 2, 0, 0, statedVelStd ** 2],
            reference: "ground" as const,
          },
          classProbabilities: { car: 1 },
          score: 0.9,
        })),
      },
    ]);
  }
  return { evidence, groundTruth };
}

describe("covarianceConsistency", () => {
  it("reads an honest covariance as scale ≈ 1", () => {
    const [row] = covarianceConsistency([drive(500, 0.5, 0.5, 1, 1, 1)]);
    expect(row!.kind).toBe("radar");
    expect(row!.paired).toBe(1000);
    expect(row!.position!.scale).toBeGreaterThan(0.85);
    expect(row!.position!.scale).toBeLessThan(1.15);
    expect(row!.velocity!.scale).toBeGreaterThan(0.85);
    expect(row!.velocity!.scale).toBeLessThan(1.15);
  });

  it("measures how much an overconfident sensor understates its variance", () => {
    // Position σ twice the stated one (variance ×4); velocity σ 6 m/s stated as 0.5 (×144).
    const [row] = covarianceConsistency([drive(500, 1, 0.5, 6, 0.5, 2)]);
    expect(row!.position!.scale).toBeGreaterThan(3.4);
    expect(row!.position!.scale).toBeLessThan(4.6);
    expect(row!.velocity!.scale).toBeGreaterThan(120);
    expect(row!.velocity!.scale).toBeLessThan(170);
    expect(row!.velocity!.medianStatedStdMps).toBeCloseTo(0.5, 9);
  });

  it("pairs nothing outside the gate or the stamp tolerance", () => {
    const d = drive(10, 0.5, 0.5, 1, 1, 3);
    for (const tick of d.evidence) for (const ev of tick) ev.stamp += 50n * MS;
    expect(covarianceConsistency([d])).toEqual([]);
  });
});
