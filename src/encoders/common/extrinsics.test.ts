import { checkExtrinsics, rotateCovariance, rotationMatrix, transformPoint, yawOf } from "./extrinsics";

const yawQ = (a: number) => ({ x: 0, y: 0, z: Math.sin(a / 2), w: Math.cos(a / 2) });

describe("extrinsics", () => {
  it("rotates and translates a point (ego ← sensor)", () => {
    const R = rotationMatrix(yawQ(Math.PI / 2));
    const p = transformPoint(R, { x: 1, y: 2, z: 3 }, { x: 10, y: 0, z: 0 });
    expect(p.x).toBeCloseTo(1, 12);
    expect(p.y).toBeCloseTo(12, 12);
    expect(p.z).toBeCloseTo(3, 12);
    expect(yawOf(yawQ(0.3))).toBeCloseTo(0.3, 12);
  });

  it("rotates a covariance as R·C·Rᵀ", () => {
    const R = rotationMatrix(yawQ(Math.PI / 4));
    const C = rotateCovariance(R, [4, 0, 0, 0, 1, 0, 0, 0, 9]);
    expect(C[0]).toBeCloseTo(2.5, 12);
    expect(C[4]).toBeCloseTo(2.5, 12);
    expect(C[1]).toBeCloseTo(1.5, 12);
    expect(C[3]).toBeCloseTo(1.5, 12);
    expect(C[8]).toBeCloseTo(9, 12);
  });

  it("normalises nearly-unit quaternions and rejects others in one line", () => {
    const e = checkExtrinsics({ translation: { x: 0, y: 0, z: 0 }, rotation: { x: 0, y: 0, z: 0, w: 1.0005 } }, "cfg");
    expect(e.rotation.w).toBe(1);
    expect(() => checkExtrinsics({ translation: { x: Number.NaN, y: 0, z: 0 }, rotation: { x: 0, y: 0, z: 0, w: 1 } }, "cfg")).toThrow(
      "cfg: extrinsics must be finite numbers, got t=(NaN, 0, 0) q=(0, 0, 0, 1)",
    );
  });
});
