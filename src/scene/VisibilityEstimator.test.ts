import { msToNs, type SensorKind } from "../types";
import type { SensorHealthReport, SensorHealthStatus, SensorObservation } from "./types";
import { VisibilityEstimator } from "./VisibilityEstimator";

const T0 = 5_000_000_000n;
const report = (sensorId: string, kind: SensorKind, status: SensorHealthStatus = "OK"): SensorHealthReport => ({
  sensorId,
  kind,
  status,
  reason: "",
  since: 0n,
  ageMs: 0,
  rateHz: null,
  quality: 1,
  included: true,
  skewMs: null,
  dropped: 0,
  malformed: 0,
});
const obs = (sensorId: string, visibilityM: number | undefined): SensorObservation =>
  visibilityM === undefined ? { sensorId, status: "included" } : { sensorId, status: "included", visibilityM };

describe("VisibilityEstimator", () => {
  const reports = [report("cam", "camera"), report("lidar", "lidar"), report("radar", "radar")];

  it("combines camera and LiDAR estimates by geometric mean and ignores radar", () => {
    const v = new VisibilityEstimator();
    expect(v.update(T0, [obs("cam", 40), obs("lidar", 90), obs("radar", 5)], reports)).toBeCloseTo(60, 9);
  });

  it("ignores estimates from sensors that are neither OK nor DEGRADED, and returns null without any", () => {
    const v = new VisibilityEstimator();
    expect(v.update(T0, [obs("cam", 40), obs("lidar", 90)], [report("cam", "camera", "FAILED"), report("lidar", "lidar", "DEGRADED")])).toBeCloseTo(90, 9);
    expect(new VisibilityEstimator().update(T0, [obs("cam", undefined), obs("lidar", Number.NaN)], reports)).toBeNull();
  });

  it("follows a drop quickly and a rise slowly, holds without estimates, then forgets", () => {
    const v = new VisibilityEstimator({ worseningTauMs: 500, improvingTauMs: 3000, holdMs: 1000 });
    v.update(T0, [obs("cam", 1000)], reports);
    // Drop to 100 m for 500 ms (one tau): log estimate moves 1 − e⁻¹ of the way.
    const down = v.update(T0 + msToNs(500), [obs("cam", 100)], reports)!;
    expect(Math.log(down)).toBeCloseTo(Math.log(1000) + (1 - Math.exp(-1)) * (Math.log(100) - Math.log(1000)), 9);
    // Back up to 1000 m for 500 ms: only 1 − e^(−1/6) of the way.
    const up = v.update(T0 + msToNs(1000), [obs("cam", 1000)], reports)!;
    expect(Math.log(up)).toBeCloseTo(Math.log(down) + (1 - Math.exp(-1 / 6)) * (Math.log(1000) - Math.log(down)), 9);
    expect(v.update(T0 + msToNs(1900), [obs("cam", undefined)], reports)).toBe(up);
    expect(v.update(T0 + msToNs(2100), [obs("cam", undefined)], reports)).toBeNull();
  });

  it("clamps to the configured range", () => {
    const v = new VisibilityEstimator({ maxVisibilityM: 5000 });
    expect(v.update(T0, [obs("cam", 1e9)], reports)).toBeCloseTo(5000, 6);
  });
});
