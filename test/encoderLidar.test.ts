import * as fs from "node:fs";
import * as path from "node:path";
import { memoryModelFiles, saveModel, type ModelFiles } from "../src/runtime/modelFiles";
import { BadInputError } from "../src/types/errors";
import { buildHeadTargets, decodePeaks, headChannels } from "../src/encoders/lidar/centerNet";
import { DEFAULT_LIDAR_EXTRINSICS, lidarEncoderFromModel, lidarPeaksToDetections, lidarQuality, load } from "../src/encoders/lidar/encoder";
import { createLidarModel, LIDAR_CLASSES, LIDAR_HEAD } from "../src/encoders/lidar/model";
import { BEV, COVERAGE_SECTORS, pointsToBev } from "../src/encoders/lidar/preprocess";
import type { LidarModelMetadata } from "../src/encoders/lidar/types";
import { lidarSamples, simDrive, sweepFrame } from "../src/train/lidar/lidarData";
import { lidarTrainer } from "../src/train/lidar/lidarTrainer";
import { baseMetadataSchema } from "../src/encoders/common/metadata";
import { validateScenario } from "../src/sim/scenario";
import { selectBackend } from "../src/runtime/selectBackend";
import { tensorGrowth } from "../src/runtime/tensors";
import type { PointCloudFrame } from "../src/types";

const META: LidarModelMetadata = {
  kind: "lidar",
  modelVersion: "test",
  date: "2026-01-01T00:00:00.000Z",
  command: "test",
  input: { layout: "NHWC", shape: [BEV.rows, BEV.cols, BEV.channels], cellM: BEV.cell, xMinM: BEV.xMin, yHalfM: 32, channels: [] },
  classes: [...LIDAR_CLASSES],
  headStride: 4,
  quality: { farFractionClear: 0.088, backscatterFullScale: 0.03 },
};

const frame = (points: number[], count = points.length / 4): PointCloudFrame => ({
  kind: "lidar",
  sensorId: "lidar_top",
  topic: "/sensors/lidar_top/points",
  frameId: "lidar_top",
  stamp: 5n,
  receivedAt: 5n,
  count,
  points: Float32Array.from(points),
});

beforeAll(async () => {
  await selectBackend({ backend: "wasm", log: () => undefined });
});

describe("pointsToBev", () => {
  test("a point lands in the cell of its ego position, with height, intensity and count", () => {
    // Sensor at (1.2, 0, 1.9): sensor point (10.05, 3.1, -0.9) is ego (11.25, 3.1, 1.0).
    const { grid, stats } = pointsToBev(Float32Array.from([10.05, 3.1, -0.9, 51, 10.05, 3.1, -0.9, 153]), 2, DEFAULT_LIDAR_EXTRINSICS);
    const row = Math.floor(11.25 / 0.5); // 22
    const col = Math.floor((32 - 3.1) / 0.5); // 57
    const g = (row * BEV.cols + col) * BEV.channels;
    expect([row, col]).toEqual([22, 57]);
    expect(grid[g]).toBe(1);
    expect(grid[g + 1]).toBeCloseTo(1.0 / 4, 6);
    expect(grid[g + 2]).toBeCloseTo(102 / 255, 6);
    expect(grid[g + 3]).toBeCloseTo(Math.log(3) / Math.log(33), 6);
    expect(grid[g + 4]).toBe(0);
    let nonZero = 0;
    for (const v of grid) if (v !== 0) nonZero++;
    expect(nonZero).toBe(4);
    expect(stats).toMatchObject({ valid: 2, invalid: 0, far: 0 });
  });

  test("ground returns only mark the ground channel; NaN points are counted and skipped", () => {
    const { grid, stats } = pointsToBev(Float32Array.from([5, 0, -1.9, 10, NaN, 0, 0, 0]), 2, DEFAULT_LIDAR_EXTRINSICS);
    const g = (Math.floor(6.2 / 0.5) * BEV.cols + Math.floor(32 / 0.5)) * BEV.channels;
    expect(Array.from(grid.subarray(g, g + 5))).toEqual([0, 0, 0, 0, 1]);
    expect(stats.valid).toBe(1);
    expect(stats.invalid).toBe(1);
  });
});

describe("head decoding", () => {
  test("a peak at a known head cell and offset becomes an ego-frame box", () => {
    const K = headChannels(LIDAR_HEAD);
    const out = new Float32Array(LIDAR_HEAD.height * LIDAR_HEAD.width * K).fill(-10);
    // Car centre at ego (21, -3): BEV row 42, col 70 → head (10.5, 17.5).
    const i = (10 * LIDAR_HEAD.width + 17) * K;
    out[i] = 3;
    out[i + 1] = 5; // class car
    const reg = [0.5, 0.5, Math.log(4.5), Math.log(1.8), Math.log(1.5), Math.sin(2 * 0.2), Math.cos(2 * 0.2)];
    reg.forEach((r, k) => (out[i + 1 + LIDAR_CLASSES.length + k] = r));
    const peaks = decodePeaks(LIDAR_HEAD, out, 0.3, 10);
    expect(peaks).toHaveLength(1);
    const [d] = lidarPeaksToDetections(peaks);
    expect(d!.position.x).toBeCloseTo(21, 5);
    expect(d!.position.y).toBeCloseTo(-3, 5);
    expect(d!.size!.x).toBeCloseTo(4.5, 5);
    expect(d!.yawRad).toBeCloseTo(0.2, 5);
    expect(d!.score).toBeCloseTo(1 / (1 + Math.exp(-3)), 6);
    expect(d!.classProbabilities.car).toBeGreaterThan(0.97);
    // Covariance grows with range.
    const [far] = lidarPeaksToDetections([{ ...peaks[0]!, row: 28 }]);
    expect(far!.positionCovariance[0]!).toBeGreaterThan(d!.positionCovariance[0]!);
  });

  test("targets put exactly one 1.0 at the object's cell and the regressions there", () => {
    const t = buildHeadTargets(LIDAR_HEAD, [{ row: 10.5, col: 17.25, sigma: 0.8, classIndex: 2, reg: [0.5, 0.25, 1, 2, 3, 4, 5] }]);
    const i = 10 * LIDAR_HEAD.width + 17;
    expect(t.heat[i]).toBe(1);
    expect(t.heat.filter((v) => v === 1).length).toBe(1);
    expect(t.heat[i + 1]).toBeCloseTo(Math.exp(-1 / (2 * 0.64)), 6);
    expect(t.mask[i]).toBe(1);
    expect(t.cls[i]).toBe(2);
    expect(Array.from(t.reg.subarray(i * 7, i * 7 + 7))).toEqual([0.5, 0.25, 1, 2, 3, 4, 5]);
  });
});

describe("quality", () => {
  test("falls with a smaller fraction of far returns, with empty forward sectors and with near-range backscatter", () => {
    const q = META.quality;
    const all = COVERAGE_SECTORS;
    const clear = lidarQuality({ valid: 38000, invalid: 0, far: 3420, nearAirborne: 0, meanRange: 11, sectorsSeen: all }, q);
    const fog120 = lidarQuality({ valid: 38000, invalid: 0, far: 1300, nearAirborne: 190, meanRange: 9, sectorsSeen: all }, q);
    const fog30 = lidarQuality({ valid: 44000, invalid: 0, far: 0, nearAirborne: 700, meanRange: 5, sectorsSeen: all }, q);
    expect(clear).toBe(1);
    expect(fog120).toBeCloseTo((1300 / 38000 / 0.088) * (1 - 190 / 38000 / 0.03), 6);
    expect(fog30).toBe(0);
    // A third of the sweep's resolution, the same scene: the same quality.
    const coarse = lidarQuality({ valid: 12667, invalid: 0, far: 433, nearAirborne: 63, meanRange: 9, sectorsSeen: all }, q);
    const fine = lidarQuality({ valid: 38000, invalid: 0, far: 1300, nearAirborne: 190, meanRange: 9, sectorsSeen: all }, q);
    expect(coarse).toBeCloseTo(fine, 2);
    // A blocked window: 6 of the 18 forward sectors empty.
    const blocked = lidarQuality({ valid: 30000, invalid: 0, far: 2700, nearAirborne: 0, meanRange: 11, sectorsSeen: all - 6 }, q);
    expect(blocked).toBeCloseTo(12 / 18, 6);
    expect(lidarQuality({ valid: 0, invalid: 0, far: 0, nearAirborne: 0, meanRange: 0, sectorsSeen: 0 }, q)).toBe(0);
  });

  test("forward coverage is relative to the sensor's own field of view: the widest it has shown", () => {
    const q = META.quality;
    const base = { valid: 17000, invalid: 0, far: 1500, nearAirborne: 0, meanRange: 14 };
    // 10 of 18 sectors is a full view for a sensor that never showed more (KITTI's sweeps are cut to the camera's view)…
    expect(lidarQuality({ ...base, sectorsSeen: 10 }, q, 10)).toBe(1);
    expect(lidarQuality({ ...base, sectorsSeen: 10 }, q)).toBeCloseTo(10 / 18, 6);
    // …and 6 of them is a blocked window once it did.
    expect(lidarQuality({ ...base, sectorsSeen: 6 }, q, 10)).toBeCloseTo(0.6, 6);
  });

  test("forward coverage counts the sectors ahead that hold a return", () => {
    // Points 10 m from the sensor at −85°, −45°, 0°, 45°, 85° (forward sectors), and one behind.
    const pts: number[] = [];
    for (const deg of [-85, -45, 0, 45, 85, 180])
      pts.push(10 * Math.cos((deg * Math.PI) / 180), 10 * Math.sin((deg * Math.PI) / 180), -1.8, 10);
    const { stats } = pointsToBev(Float32Array.from(pts), 6, DEFAULT_LIDAR_EXTRINSICS);
    expect(stats.sectorsSeen).toBe(5);
    expect(stats.valid).toBe(6);
  });
});

describe("encoder (untrained weights)", () => {
  let enc: ReturnType<typeof lidarEncoderFromModel>;
  beforeAll(() => {
    enc = lidarEncoderFromModel(createLidarModel(3), META, { scoreThreshold: 0.05 });
  });
  afterAll(() => enc.dispose());

  test("does not leak tensors across 100 calls", async () => {
    const f = frame([10, 0, 0, 100, 20, 2, -1, 50, 30, -4, 0.5, 80]);
    const growth = await tensorGrowth(() => enc.encode(f), 100);
    expect(growth).toEqual({ tensors: 0, dataBuffers: 0, bytes: 0 });
  });

  test("an empty cloud gives quality 0 and no detections; all-NaN and short buffers are one-line errors", () => {
    const e = enc.encode(frame([]));
    expect(e.quality).toBe(0);
    expect(e.detections).toEqual([]);
    expect(e.kind).toBe("lidar");
    expect(e.encoder).toMatchObject({ name: "lidar-bev-centernet", modelVersion: "test", backend: "wasm" });
    expect(() => enc.encode(frame([NaN, 0, 0, 0, 1, NaN, 0, 0]))).toThrow(BadInputError);
    expect(() => enc.encode(frame([NaN, 0, 0, 0, 1, NaN, 0, 0]))).toThrow(
      "lidar frame on /sensors/lidar_top/points (sensor lidar_top, stamp 5 ns): all 2 points are NaN or infinite; expected finite x, y, z",
    );
    expect(() => enc.encode(frame([1, 2, 3, 4], 2))).toThrow("expected 2 points × 4 floats, got 4 floats");
    const before = enc.diagnostics().skipped;
    enc.encode(frame([NaN, 0, 0, 0, 10, 1, 0, 9]));
    expect(enc.diagnostics().skipped).toBe(before + 1);
  });

  test("encodeBatch gives the same evidence as encode, frame by frame", () => {
    const a = frame([10, 0, 0, 100, 20, 2, -1, 50]);
    const b = frame([15, -3, 0, 10]);
    const batch = enc.encodeBatch([a, b]);
    const single = [enc.encode(a), enc.encode(b)];
    for (let i = 0; i < 2; i++) {
      expect(batch[i]!.detections.length).toBe(single[i]!.detections.length);
      batch[i]!.detections.forEach((d, k) => {
        expect(d.position.x).toBeCloseTo(single[i]!.detections[k]!.position.x, 4);
        expect(d.score).toBeCloseTo(single[i]!.detections[k]!.score, 5);
      });
    }
  });
});

test("smoke training → save → load gives identical outputs", async () => {
  // Through the adapter `avfusion train` calls, in its quick (smoke) mode.
  const t = await lidarTrainer({
    seed: 1,
    quick: true,
    stepsPerEpoch: 2,
    loadNamed: () => {
      throw new Error("quick mode loads no named scenario");
    },
    log: () => undefined,
    backend: "wasm",
    command: "test",
  });
  expect(baseMetadataSchema.safeParse(t.metadata).success).toBe(true);
  expect(t.summary[0]).toMatch(/^lidar: held-out car AP@2m \d\.\d{3} over \d+ cars in \d+ sweeps \(target ≥ 0\.8\)$/);
  const r = { model: t.model, metadata: t.metadata as unknown as LidarModelMetadata };
  expect(r.metadata.quality.farFractionClear).toBeGreaterThan(0);
  expect(r.metadata.quality.farFractionClear).toBeLessThan(1);
  expect((r.metadata.training as { steps: number }).steps).toBe(2);
  const files = memoryModelFiles();
  await saveModel(r.model, r.metadata, files, "models/lidar");
  const a = lidarEncoderFromModel(r.model, r.metadata, { scoreThreshold: 0 });
  const b = await load({ files, dir: "models/lidar", scoreThreshold: 0 });
  const [sample] = [...lidarSamples(simDrive(50_001, 1), { everyS: 1, keepFrames: true })];
  const ea = a.encode(sample!.frame!);
  const eb = b.encode(sample!.frame!);
  expect(eb.detections.length).toBe(ea.detections.length);
  expect(eb.detections.map((d) => [d.position.x, d.position.y, d.score])).toEqual(
    ea.detections.map((d) => [d.position.x, d.position.y, d.score]),
  );
  expect(eb.quality).toBe(ea.quality);
  a.dispose();
  b.dispose();
  await expect(load({ files: memoryModelFiles(), dir: "models/lidar" })).rejects.toThrow("model file models/lidar/model.json: not found");
}, 300_000);

// Checks on the shipped model (models/lidar), skipped with a message when it has not been trained yet.
const shippedDir = path.resolve(__dirname, "../models/lidar");
const shipped = fs.existsSync(path.join(shippedDir, "model.json"));
const fsFiles: ModelFiles = {
  read: async (p) => new Uint8Array(fs.readFileSync(path.resolve(__dirname, "..", p))),
  write: async () => {
    throw new Error("read-only");
  },
};
if (!shipped) console.warn(`encoderLidar.test: ${shippedDir}/model.json absent; shipped-model checks skipped`);
(shipped ? describe : describe.skip)("shipped LiDAR model", () => {
  test("a lone car at a known position is detected within 0.5 m, classified as a car", async () => {
    const enc = await load({ files: fsFiles });
    const scenario = validateScenario({
      name: "lone-car",
      durationS: 0.2,
      seed: 77,
      ego: { speedMps: 0 },
      clutter: { poleSpacingM: 0, guardRails: false, parkedCars: 0 },
      actors: [{ class: "car", motion: { type: "static", x: 25, y: 3.5, yawDeg: 0 } }],
    });
    const [s] = [...lidarSamples(scenario, { everyS: 1, keepFrames: true })];
    const ev = enc.encode(s!.frame!);
    const best = ev.detections.reduce((a, d) => (d.score > a.score ? d : a));
    expect(Math.hypot(best.position.x - 25, best.position.y - 3.5)).toBeLessThan(0.5);
    expect(best.classProbabilities.car).toBeGreaterThan(0.5);
    expect(best.size!.x).toBeGreaterThan(3.5);
    expect(best.size!.x).toBeLessThan(5.5);
    enc.dispose();
  });

  test("clear-air quality does not depend on the LiDAR's resolution; a blocked window lowers it", async () => {
    const enc = await load({ files: fsFiles });
    const scenes = [50_010, 50_011].map((s) => simDrive(s, 3));
    const sweeps = (azimuthResolutionDeg: number, beams: number): PointCloudFrame[] =>
      scenes
        .flatMap((sc) => [
          ...lidarSamples(
            { ...sc, sensors: { ...sc.sensors, lidar: { ...sc.sensors.lidar, azimuthResolutionDeg, beams } }, weather: { night: false } },
            { everyS: 1.5, keepFrames: true },
          ),
        ])
        .map((smp) => smp.frame!);
    const mean = (frames: PointCloudFrame[]): number => frames.reduce((a, f) => a + enc.encode(f).quality, 0) / frames.length;
    const fine = sweeps(0.2, 32); // the training LiDAR, ~38k points
    const coarse = sweeps(0.6, 32); // the default recording's, ~13k points
    const dense = sweeps(0.2, 64);
    expect(coarse[0]!.count).toBeLessThan(fine[0]!.count / 2.5);
    const [qFine, qCoarse, qDense] = [mean(fine), mean(coarse), mean(dense)];
    expect(qFine).toBeGreaterThan(0.85);
    expect(qCoarse).toBeGreaterThan(0.85);
    expect(qDense).toBeGreaterThan(0.85);
    expect(Math.abs(qFine - qCoarse)).toBeLessThan(0.05);
    // Mud on the window: no returns between 0° and 70° (front-left), as the lidar-dropout scenario's fault.
    const blocked = coarse.map((f) => {
      const keep: number[] = [];
      for (let i = 0; i < f.count; i++) {
        const az = (Math.atan2(f.points[i * 4 + 1]!, f.points[i * 4]!) * 180) / Math.PI;
        if (az >= 0 && az <= 70) continue;
        keep.push(...f.points.subarray(i * 4, i * 4 + 4));
      }
      return { ...f, count: keep.length / 4, points: Float32Array.from(keep) };
    });
    expect(mean(blocked)).toBeLessThan(qCoarse - 0.25);
    enc.dispose();
  });

  test("quality falls monotonically with fog visibility on held-out scenes", async () => {
    const enc = await load({ files: fsFiles });
    const scenes = [50_010, 50_011].map((s) => simDrive(s, 3));
    const means = [undefined, 500, 150, 60, 30].map((v) => {
      let sum = 0;
      let n = 0;
      for (const sc of scenes) {
        for (const smp of lidarSamples(
          { ...sc, weather: v ? { visibilityM: v, night: false } : { night: false } },
          { everyS: 1.5, keepFrames: true },
        )) {
          sum += enc.encode(sweepFrame(smp.frame!.points, smp.frame!.count, smp.t)).quality;
          n++;
        }
      }
      return sum / n;
    });
    for (let i = 1; i < means.length; i++) expect(means[i]!).toBeLessThan(means[i - 1]!);
    expect(means[0]!).toBeGreaterThan(0.8);
    expect(means[means.length - 1]!).toBeLessThan(0.1);
    enc.dispose();
  });
});
