import { msToNs, type SensorKind } from "../types";
import type { SensorHealthReport, SensorHealthStatus, SensorObservation } from "./types";
import { memoryModelFiles } from "../runtime/modelFiles";
import { loadQualityCurves, qualityCurveFromMetadata } from "./qualityCurves";
import { parseVisibilityConfig } from "./sceneConfig";
import { VisibilityEstimator, visibilityFromQuality } from "./VisibilityEstimator";

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

const reports = [report("cam", "camera"), report("lidar", "lidar"), report("radar", "radar")];

describe("VisibilityEstimator", () => {
  it("combines camera and LiDAR estimates by geometric mean and ignores radar", () => {
    const v = new VisibilityEstimator();
    expect(v.update(T0, [obs("cam", 40), obs("lidar", 90), obs("radar", 5)], reports)).toBeCloseTo(60, 9);
  });

  it("ignores estimates from sensors that are neither OK nor DEGRADED, and returns null without any", () => {
    const v = new VisibilityEstimator();
    expect(
      v.update(T0, [obs("cam", 40), obs("lidar", 90)], [report("cam", "camera", "FAILED"), report("lidar", "lidar", "DEGRADED")]),
    ).toBeCloseTo(90, 9);
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

describe("visibility from an encoder's quality curve", () => {
  // The shape of models/camera/metadata.json heldOut.qualityByVisibility (values rounded).
  const camera = [
    { visibilityM: "clear" as const, quality: 0.98 },
    { visibilityM: 1000, quality: 0.84 },
    { visibilityM: 250, quality: 0.7 },
    { visibilityM: 120, quality: 0.56 },
    { visibilityM: 60, quality: 0.39 },
    { visibilityM: 30, quality: 0.19 },
  ];
  const curve = parseVisibilityConfig({ fromQuality: { camera } }).fromQuality.camera!;

  it("inverts the curve linearly in log visibility, clear air read as maxVisibilityM, ends clamped", () => {
    expect(visibilityFromQuality(curve, 0.39, 10_000)).toBeCloseTo(60, 9);
    // Halfway in quality between 120 m (0.56) and 250 m (0.70): the geometric mean.
    expect(visibilityFromQuality(curve, 0.63, 10_000)).toBeCloseTo(Math.sqrt(120 * 250), 6);
    expect(visibilityFromQuality(curve, 0.99, 10_000)).toBe(10_000);
    expect(visibilityFromQuality(curve, 0.98, 5_000)).toBe(5_000);
    expect(visibilityFromQuality(curve, 0.05, 10_000)).toBe(30); // thicker than the curve knows: its lowest point
    expect(visibilityFromQuality(curve, Number.NaN, 10_000)).toBeUndefined();
    const flat = parseVisibilityConfig({
      fromQuality: {
        lidar: [
          { visibilityM: 100, quality: 0.2 },
          { visibilityM: 400, quality: 0.2 },
          { visibilityM: "clear", quality: 0.9 },
        ],
      },
    }).fromQuality.lidar!;
    expect(visibilityFromQuality(flat, 0.2, 10_000)).toBe(100); // at the bottom: the lowest point
    expect(visibilityFromQuality(flat, 0.55, 10_000)).toBeCloseTo(Math.sqrt(400 * 10_000), 6);
  });

  it("refuses a curve that cannot be inverted, naming the field", () => {
    expect(() =>
      parseVisibilityConfig({
        fromQuality: {
          camera: [
            { visibilityM: 60, quality: 0.5 },
            { visibilityM: 120, quality: 0.4 },
          ],
        },
      }),
    ).toThrow(
      "scene visibility config: fromQuality.camera: quality falls from 0.5 at 60 m to 0.4 at 120 m; expected quality not to fall as visibility rises (the curve is inverted)",
    );
    expect(() => parseVisibilityConfig({ fromQuality: { camera: [{ visibilityM: 60, quality: 0.5 }] } })).toThrow(
      "fromQuality.camera: expected at least two points",
    );
    expect(() =>
      parseVisibilityConfig({
        fromQuality: {
          lidar: [
            { visibilityM: "fog", quality: 0.5 },
            { visibilityM: 9, quality: 0.6 },
          ],
        },
      }),
    ).toThrow('fromQuality.lidar.0.visibilityM: expected a visibility in m or "clear"');
  });

  it("estimates from quality where the encoder gives no visibilityM; a given visibilityM wins", () => {
    const v = new VisibilityEstimator({ fromQuality: { camera } });
    const q = (sensorId: string, quality: number, visibilityM?: number): SensorObservation => ({ ...obs(sensorId, visibilityM), quality });
    expect(v.update(T0, [q("cam", 0.39), q("lidar", 0.2), q("radar", 0.1)], reports)).toBeCloseTo(60, 6); // no LiDAR curve: camera only
    const w = new VisibilityEstimator({ fromQuality: { camera } });
    expect(w.update(T0, [q("cam", 0.39, 500)], reports)).toBeCloseTo(500, 6);
  });

  it("ignores a frame that repeats the sensor's previous one (a frozen camera's quality says nothing about the air)", () => {
    const v = new VisibilityEstimator({ fromQuality: { camera }, worseningTauMs: 0 });
    const f = (quality: number, digest: number): SensorObservation => ({ sensorId: "cam", status: "included", quality, digest });
    expect(v.update(T0, [f(0.98, 1)], reports)).toBeCloseTo(10_000, 6);
    // The encoder scores a repeated frame 0; it must not read as thick fog.
    expect(v.update(T0 + msToNs(100), [f(0, 1)], reports)).toBeCloseTo(10_000, 6);
    expect(v.update(T0 + msToNs(200), [f(0.39, 2)], reports)).toBeCloseTo(60, 6);
  });
});

describe("qualityCurveFromMetadata", () => {
  it("reads heldOut.qualityByVisibility and irons out a noisy dip near clear air", () => {
    const meta = {
      heldOut: {
        qualityByVisibility: [
          { visibilityM: "clear", quality: 0.9175 },
          { visibilityM: 1000, quality: 0.918 },
          { visibilityM: 60, quality: 0.01 },
        ],
      },
    };
    expect(qualityCurveFromMetadata(meta)).toEqual([
      { visibilityM: 60, quality: 0.01 },
      { visibilityM: 1000, quality: 0.918 },
      { visibilityM: "clear", quality: 0.918 },
    ]);
  });

  it("names the file and what was expected when there is no curve", () => {
    expect(() => qualityCurveFromMetadata({ heldOut: {} }, "models/camera/metadata.json")).toThrow(
      "models/camera/metadata.json: expected heldOut.qualityByVisibility, a list of {visibilityM, quality}, got none",
    );
  });

  it("loads the shipped camera and LiDAR curves through ModelFiles and reports a kind without one", async () => {
    const files = memoryModelFiles();
    await files.write(
      "m/camera/metadata.json",
      new TextEncoder().encode(
        JSON.stringify({
          heldOut: {
            qualityByVisibility: [
              { visibilityM: 50, quality: 0.3 },
              { visibilityM: "clear", quality: 0.9 },
            ],
          },
        }),
      ),
    );
    const missing: string[] = [];
    const curves = await loadQualityCurves(files, "m", (line) => missing.push(line));
    expect(curves.camera).toEqual([
      { visibilityM: 50, quality: 0.3 },
      { visibilityM: "clear", quality: 0.9 },
    ]);
    expect(curves.lidar).toBeUndefined();
    expect(missing).toHaveLength(1);
    expect(missing[0]).toMatch(/^visibility from lidar quality is not estimated: /);
  });
});
