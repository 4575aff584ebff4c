import { polarDetection } from "./polarDetection";
import { toMeasurement } from "./toMeasurement";

describe("polarDetection", () => {
  it("places the point and stretches the covariance across the line of sight", () => {
    // Sensor at the front bumper looking 90° left; target 20 m straight out of it.
    const d = polarDetection(
      { rangeM: 20, azimuthRad: 0, rangeStdM: 0.2, azimuthStdRad: 0.002, score: 0.8 },
      { x: 3.8, y: 0.9, z: 0.5, yawRad: Math.PI / 2 },
    );
    expect(d.position.x).toBeCloseTo(3.8, 9);
    expect(d.position.y).toBeCloseTo(20.9, 9);
    const [xx, xy, yx, yy] = d.positionCovariance;
    // Along the line of sight (ego y): σr² = 0.04; across it (ego x): (20 m · 0.002 rad)² = 0.0016.
    expect(yy).toBeCloseTo(0.04, 9);
    expect(xx).toBeCloseTo(0.0016, 9);
    expect(xy).toBeCloseTo(0, 9);
    expect(yx).toBe(xy);
  });

  it("rotates an oblique covariance consistently (equals the ego-frame Jacobian)", () => {
    const r = 30;
    const az = 0.3;
    const yaw = -0.5;
    const d = polarDetection(
      { rangeM: r, azimuthRad: az, rangeStdM: 0.5, azimuthStdRad: 0.002, score: 1 },
      { x: 0, y: 0, z: 0, yawRad: yaw },
    );
    // In the ego frame the bearing is az + yaw; the covariance is J diag(σr², σa²) Jᵀ at that bearing.
    const b = az + yaw;
    const vr = 0.25;
    const va = (r * 0.002) ** 2;
    expect(d.positionCovariance[0]).toBeCloseTo(Math.cos(b) ** 2 * vr + Math.sin(b) ** 2 * va, 12);
    expect(d.positionCovariance[1]).toBeCloseTo(Math.cos(b) * Math.sin(b) * (vr - va), 12);
    expect(d.positionCovariance[3]).toBeCloseTo(Math.sin(b) ** 2 * vr + Math.cos(b) ** 2 * va, 12);
    expect(d.position.x).toBeCloseTo(r * Math.cos(b), 12);
    expect(toMeasurement(d, 0, "radar", "radar", 0n, 1).ok).toBe(true);
  });

  it("carries the range rate with the ego-frame bearing and the sensor position", () => {
    const d = polarDetection(
      {
        rangeM: 50,
        azimuthRad: 0.1,
        rangeStdM: 0.2,
        azimuthStdRad: 0.01,
        rangeRateMps: -7,
        rangeRateStdMps: 0.1,
        elevationRad: 0.02,
        elevationStdRad: 0.05,
        score: 1,
      },
      { x: 3.872, y: 0, z: 0.641, yawRad: 0.2 },
    );
    expect(d.rangeRate).toEqual({
      rangeRateMps: -7,
      variance: 0.1 * 0.1,
      rangeM: 50,
      bearingRad: 0.1 + 0.2,
      sensorPosition: { x: 3.872, y: 0 },
    });
    expect(d.positionCovariance).toHaveLength(9);
    expect(d.position.z).toBeCloseTo(0.641 + 50 * Math.sin(0.02), 12);
  });
});
