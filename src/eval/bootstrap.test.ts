import { seededRandom } from "../fusion/syntheticEvidence";
import { frameBlockDraws, percentileInterval, scoreWithReplicates, twoStageInterval } from "./bootstrap";
import type { EvalResultEntry } from "./evalReport";
import { evaluateScenes } from "./evaluateScenes";
import { pairedDifference } from "./intervals";
import { gtFrame, gtObject, MS, sceneObject, sceneState } from "./testing/fixtures";

/** A normal draw (Box–Muller) from a seeded uniform. */
function normal(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

describe("frameBlockDraws", () => {
  it("draws as many frames as the drive has, in whole blocks of consecutive frames, reproducibly", () => {
    const draws = frameBlockDraws(35, 10, 20, 7);
    expect(draws).toHaveLength(20);
    for (const d of draws) {
      expect(d).toHaveLength(35);
      expect(d.every((i) => Number.isInteger(i) && i >= 0 && i < 35)).toBe(true);
      // Blocks start every 10 frames of the draw and run on consecutively (the last one is cut).
      for (let k = 0; k < d.length; k++) if (k % 10 !== 0) expect(d[k]).toBe(d[k - 1]! + 1);
    }
    expect(frameBlockDraws(35, 10, 20, 7)).toEqual(draws);
    expect(frameBlockDraws(35, 10, 20, 8)).not.toEqual(draws);
  });

  it("handles drives shorter than a block, and empty drives", () => {
    expect(frameBlockDraws(3, 10, 2, 1)).toEqual([
      [0, 1, 2],
      [0, 1, 2],
    ]);
    expect(frameBlockDraws(0, 10, 5, 1)).toEqual([]);
  });
});

describe("percentileInterval", () => {
  it("interpolates between order statistics and ignores non-finite values", () => {
    const v = Array.from({ length: 101 }, (_, i) => i);
    const i = percentileInterval([...v, NaN], 0.9);
    expect(i.low).toBeCloseTo(5, 9);
    expect(i.high).toBeCloseTo(95, 9);
    expect(percentileInterval([])).toEqual({ low: NaN, high: NaN });
  });
});

describe("twoStageInterval", () => {
  it("is a point when nothing varies", () => {
    const i = twoStageInterval([0.4, 0.4, 0.4], [[0.4, 0.4], [0.4], []]);
    expect(i.low).toBeCloseTo(0.4, 12);
    expect(i.high).toBeCloseTo(0.4, 12);
  });

  it("covers the population mean about 95 % of the time (drives drawn from a known population)", () => {
    const rand = seededRandom(11);
    let covered = 0;
    const trials = 300;
    for (let t = 0; t < trials; t++) {
      // 8 drives, true mean 0.5, between-drive σ 0.1; each drive's replicates spread σ 0.03 around it.
      const points = Array.from({ length: 8 }, () => 0.5 + 0.1 * normal(rand));
      const reps = points.map((p) => Array.from({ length: 50 }, () => p + 0.03 * normal(rand)));
      const i = twoStageInterval(points, reps, { resamples: 400, seed: t + 1 });
      if (i.low <= 0.5 && 0.5 <= i.high) covered++;
    }
    // The percentile bootstrap is a little narrow with 8 drives; it must not be wildly off.
    expect(covered / trials).toBeGreaterThan(0.85);
    expect(covered / trials).toBeLessThan(0.99);
  });
});

describe("pairedDifference", () => {
  const entry = (recording: string, pipeline: EvalResultEntry["pipeline"], mAP: number, reps: number[]): EvalResultEntry => ({
    recording,
    condition: "clear",
    pipeline,
    mAP,
    nds: null,
    apByClass: {},
    ate: null,
    ase: null,
    aoe: null,
    ave: null,
    frames: 10,
    framesWithoutScene: 0,
    mAPReplicates: reps,
  });

  it("pairs runs by drive and by frame draw: a constant offset has a zero-width interval", () => {
    const entries = [
      entry("a", "fused", 0.5, [0.45, 0.55, 0.6]),
      entry("a", "lidar", 0.4, [0.35, 0.45, 0.5]),
      entry("b", "fused", 0.3, [0.2, 0.3, 0.4]),
      entry("b", "lidar", 0.2, [0.1, 0.2, 0.3]),
    ];
    const d = pairedDifference(entries, "clear", "fused", "lidar")!;
    expect(d.mean).toBeCloseTo(0.1, 12);
    expect(d.interval.low).toBeCloseTo(0.1, 12);
    expect(d.interval.high).toBeCloseTo(0.1, 12);
  });

  it("is null when the pipelines share no drive", () => {
    expect(pairedDifference([entry("a", "fused", 0.5, [0.5]), entry("b", "lidar", 0.4, [0.4])], "clear", "fused", "lidar")).toBeNull();
  });
});

describe("scoreWithReplicates", () => {
  const mAPReplicates = (...args: Parameters<typeof scoreWithReplicates>): number[] => scoreWithReplicates(...args).replicates;

  const frames = Array.from({ length: 30 }, (_, i) =>
    gtFrame(BigInt(i) * 100n * MS, [gtObject("car", 10 + i * 0.1, 2), gtObject("pedestrian", 8, -3)]),
  );

  it("scores a perfect pipeline 1 on every draw, and an empty one 0", () => {
    const perfect = frames.map((f) =>
      sceneState(
        f.stamp,
        f.objects.map((o) => sceneObject(o, 0.9)),
      ),
    );
    const reps = mAPReplicates(frames, perfect, 3);
    expect(reps.length).toBeGreaterThan(50);
    expect(reps.every((r) => r === 1)).toBe(true);
    const empty = frames.map((f) => sceneState(f.stamp, []));
    expect(mAPReplicates(frames, empty, 3).every((r) => r === 0)).toBe(true);
  });

  it("varies with the draw when the pipeline misses some frames", () => {
    // The pedestrian is only found in the first third of the drive.
    const partial = frames.map((f, i) =>
      sceneState(
        f.stamp,
        f.objects.filter((o) => o.classification === "car" || i < 10).map((o) => sceneObject(o, 0.9)),
      ),
    );
    const reps = mAPReplicates(frames, partial, 5);
    expect(Math.max(...reps)).toBeGreaterThan(Math.min(...reps));
    expect(mAPReplicates(frames, partial, 5)).toEqual(reps);
    // The run's own metrics are evaluateScenes' (the boxes are paired once for both).
    expect(scoreWithReplicates(frames, partial, 5).metrics).toEqual(evaluateScenes(frames, partial));
  });
});
