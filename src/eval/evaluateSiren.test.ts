import { angularErrorDeg, evaluateSiren, median, mergeSirenMetrics } from "./evaluateSiren";
import { gtFrame, MS, sceneState, sirenHazard } from "./testing/fixtures";

const deg = (d: number): number => (d * Math.PI) / 180;

describe("evaluateSiren", () => {
  // 8 ticks: siren active on ticks 2..5 at a bearing of 150° (behind, to the left).
  const gt = Array.from({ length: 8 }, (_, i) =>
    gtFrame(BigInt(i) * 100n * MS, [], { sirenActive: i >= 2 && i <= 5, sirenBearingRad: deg(150) }),
  );
  const hazardsPerTick = [
    [], // TN
    [sirenHazard(0.7, deg(10))], // FP
    [sirenHazard(0.4, deg(30))], // FN: below threshold
    [sirenHazard(0.9, deg(30))], // TP: front 30°, mirror 150° -> 0° (nearer), 120° (front)
    [sirenHazard(0.2, deg(-80)), sirenHazard(0.8, deg(20))], // TP: strongest is 20°, mirror 160° -> 10°, front 130°
    [sirenHazard(0.95, null)], // TP without a bearing
    [{ ...sirenHazard(0.99, deg(0)), kind: "horn" as const }], // a horn is not a siren: TN
    [sirenHazard(0.1, deg(0))], // TN
  ];
  const scenes = hazardsPerTick.map((h, i) => sceneState(BigInt(i) * 100n * MS, [], h));

  it("counts alarms per tick at the probability threshold", () => {
    const m = evaluateSiren(gt, scenes);
    expect([m.truePositives, m.falsePositives, m.falseNegatives, m.trueNegatives]).toEqual([3, 1, 1, 3]);
    expect(m.precision).toBe(3 / 4);
    expect(m.recall).toBe(3 / 4);
    expect(m.falseAlarmRate).toBe(1 / 4);
    expect(m.ticks).toBe(8);
  });

  it("takes the nearer of the front and mirrored bearing (2-mic front/back ambiguity)", () => {
    const m = evaluateSiren(gt, scenes);
    expect(m.bearingErrorsDeg.map((e) => Math.round(e * 1e9) / 1e9)).toEqual([0, 10]);
    expect(m.frontBearingErrorsDeg.map((e) => Math.round(e * 1e9) / 1e9)).toEqual([120, 130]);
    expect(m.medianBearingErrorDeg).toBeCloseTo(5, 9);
    expect(m.medianFrontBearingErrorDeg).toBeCloseTo(125, 9);
  });

  it("uses the front solution alone when the hazard has no mirror", () => {
    const one = evaluateSiren([gt[3]!], [sceneState(gt[3]!.stamp, [], [sirenHazard(0.9, deg(30), null)])]);
    expect(one.medianBearingErrorDeg).toBeCloseTo(120, 9);
  });

  it("a lower threshold turns the weak detection into a TP; ticks without a scene count as no alarm or are skipped", () => {
    expect(evaluateSiren(gt, scenes, { probabilityThreshold: 0.3 }).recall).toBe(1);
    const missing = evaluateSiren(gt, scenes.slice(0, 4));
    expect(missing.framesWithoutScene).toBe(4);
    expect([missing.truePositives, missing.falseNegatives, missing.trueNegatives]).toEqual([1, 3, 3]);
    const skipped = evaluateSiren(gt, scenes.slice(0, 4), { unmatchedFrames: "skip" });
    expect(skipped.ticks).toBe(4);
    expect(skipped.recall).toBe(1 / 2);
    expect(() => evaluateSiren(gt, scenes, { probabilityThreshold: 1.5 })).toThrow(/probabilityThreshold 1.5 out of range, expected 0..1/);
  });

  it("NaN where a ratio is undefined; merging pools counts and errors", () => {
    const quiet = evaluateSiren([gtFrame(0n, [])], [sceneState(0n, [])]);
    expect(quiet.precision).toBeNaN();
    expect(quiet.recall).toBeNaN();
    expect(quiet.falseAlarmRate).toBe(0);
    expect(quiet.medianBearingErrorDeg).toBeNaN();
    const merged = mergeSirenMetrics([evaluateSiren(gt, scenes), quiet]);
    expect(merged.ticks).toBe(9);
    expect(merged.trueNegatives).toBe(4);
    expect(merged.falseAlarmRate).toBe(1 / 5);
    expect(merged.medianBearingErrorDeg).toBeCloseTo(5, 9);
  });

  it("helpers: wrapped angular error and median", () => {
    expect(angularErrorDeg(deg(170), deg(-170))).toBeCloseTo(20, 9);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});
