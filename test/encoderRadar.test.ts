import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { nodeModelFiles } from "../src/cli/train";
import { memoryModelFiles, saveModel } from "../src/runtime/modelFiles";
import { BadInputError } from "../src/types/errors";
import { createRadarEncoder, loadRadarEncoder } from "../src/encoders/radar/encoder";
import { HALF_DEPTH_M } from "../src/encoders/radar/trackDetection";
import { RADAR_FEATURE_COUNT, RADAR_FEATURE_NAMES, NEARBY_RADIUS_M } from "../src/encoders/radar/features";
import type { RadarModelMetadata } from "../src/encoders/radar/metadata";
import { buildRadarModel, RADAR_CLASSES } from "../src/encoders/radar/model";
import { labelTrack } from "../src/train/radar/radarDataset";
import { simulateRadarFrames } from "../src/train/simStreams";
import { trainRadar } from "../src/train/radar/trainRadar";
import { selectBackend } from "../src/runtime/selectBackend";
import { tensorGrowth } from "../src/runtime/tensors";
import { loadScenario } from "../src/sim/loadScenario";
import { RADAR_MOUNT } from "../src/sim/rig";
import { radarQuality } from "../src/encoders/radar/quality";
import type { RadarDetection, RadarFrame, RadarObject } from "../src/types";

const IDENTITY_Q = { x: 0, y: 0, z: 0, w: 1 };
const SIM_EXTRINSICS = { translation: RADAR_MOUNT, rotation: IDENTITY_Q };

function meta(): RadarModelMetadata {
  return {
    kind: "radar",
    modelVersion: "test",
    classes: [...RADAR_CLASSES],
    date: "2026-01-01T00:00:00Z",
    command: "test",
    input: {
      features: [...RADAR_FEATURE_NAMES],
      mean: new Array<number>(RADAR_FEATURE_COUNT).fill(0),
      std: new Array<number>(RADAR_FEATURE_COUNT).fill(1),
      nearbyRadiusM: NEARBY_RADIUS_M,
      frame: "radar",
    },
  };
}

function obj(id: number, x: number, y: number, over: Partial<RadarObject> = {}): RadarObject {
  return {
    id,
    ageMs: 1500,
    position: { x, y, z: 0 },
    positionStd: { x: 0.3, y: 0.4, z: 1 },
    velocity: { x: 12, y: 0.5, z: 0 },
    velocityStd: { x: 0.5, y: 0.6, z: 0 },
    acceleration: { x: 0, y: 0, z: 0 },
    yawRad: 0.04,
    yawStdRad: 0.1,
    length: 4,
    width: 1.8,
    height: 1.5,
    existenceProbability: 0.95,
    classification: "car",
    classProbabilities: { car: 0.7, truck: 0.2, unknown: 0.1 },
    rcsDbsm: 10,
    ...over,
  };
}

function det(range: number, az: number, rr: number): RadarDetection {
  return {
    rangeM: range,
    azimuthRad: az,
    elevationRad: 0,
    rangeRateMps: rr,
    rcsDbsm: 8,
    snrDb: 25,
    rangeStdM: 0.15,
    azimuthStdRad: 0.005,
    rangeRateStdMps: 0.1,
    existenceProbability: 0.9,
  };
}

function frame(objects: RadarObject[], detections: RadarDetection[] = []): RadarFrame {
  return {
    kind: "radar",
    sensorId: "radar_front",
    topic: "/radar",
    frameId: "radar_front",
    stamp: 5n,
    receivedAt: 5n,
    objects,
    detections,
  };
}

beforeAll(async () => {
  await selectBackend({ backend: "wasm", log: () => undefined });
});

describe("radar encoder: frames and shapes", () => {
  it("puts a track where the extrinsics say, with velocity, range rate and covariance in the ego frame", () => {
    // Radar mounted at (1, 2, 0.5), turned 90° to the left: its +x is the ego's +y.
    const q = { x: 0, y: 0, z: Math.SQRT1_2, w: Math.SQRT1_2 };
    const enc = createRadarEncoder(buildRadarModel(1), meta(), {
      extrinsics: { translation: { x: 1, y: 2, z: 0.5 }, rotation: q },
      centreOffset: false,
      minScore: 0,
    });
    const ev = enc.encode(frame([obj(7, 10, 0)], [det(10, 0, -3), det(10.2, 0.01, -3.2)]));
    expect(ev.detections).toHaveLength(1);
    const d = ev.detections[0]!;
    expect(d.position.x).toBeCloseTo(1, 6);
    expect(d.position.y).toBeCloseTo(12, 6);
    expect(d.position.z).toBeCloseTo(0.5, 6);
    // velocity (12, 0.5) in radar axes → (−0.5, 12) in ego axes
    expect(d.velocity!.value.x).toBeCloseTo(-0.5, 6);
    expect(d.velocity!.value.y).toBeCloseTo(12, 6);
    expect(d.velocity!.reference).toBe("ground");
    // position std x 0.3 / y 0.4 in radar axes swap in ego axes (polar floor is smaller here)
    expect(d.positionCovariance[0]).toBeCloseTo(0.16, 6);
    expect(d.positionCovariance[4]).toBeCloseTo(0.09, 6);
    expect(d.rangeRate!.rangeRateMps).toBeCloseTo(-3.1, 6);
    expect(d.rangeRate!.bearingRad).toBeCloseTo(Math.PI / 2, 6);
    expect(d.rangeRate!.rangeM).toBeCloseTo(10.1, 6);
    expect(d.rangeRate!.variance).toBeCloseTo(0.01 / 2, 6);
    expect(d.rangeRate!.sensorPosition).toEqual({ x: 1, y: 2 });
    expect(d.yawRad).toBeCloseTo(0.04 + Math.PI / 2, 6);
    const probs = Object.values(d.classProbabilities).reduce((a, b) => a + b, 0);
    expect(probs).toBeCloseTo(1, 5);
    expect(d.score).toBeGreaterThan(0);
    expect(d.score).toBeLessThanOrEqual(1);
    enc.dispose();
  });

  it("moves the reference point to the expected box centre along the line of sight", () => {
    const enc = createRadarEncoder(buildRadarModel(1), meta(), { extrinsics: SIM_EXTRINSICS, minScore: 0 });
    const d = enc.encode(frame([obj(1, 30, 0)])).detections[0]!;
    const p = d.classProbabilities;
    const expected =
      (p.car! + p.truck! + (p.motorcycle ?? 0)) * HALF_DEPTH_M.vehicle +
      p.pedestrian! * HALF_DEPTH_M.pedestrian +
      p.cyclist! * HALF_DEPTH_M.cyclist;
    expect(d.position.x).toBeCloseTo(30 + RADAR_MOUNT.x + expected, 5);
    expect(d.position.y).toBeCloseTo(0, 6);
    expect(expected).toBeGreaterThan(0);
    enc.dispose();
  });

  it("reports its field of view in the ego frame when configured", () => {
    const q = { x: 0, y: 0, z: Math.sin(Math.PI / 4), w: Math.cos(Math.PI / 4) };
    const enc = createRadarEncoder(buildRadarModel(1), meta(), {
      extrinsics: { translation: { x: 1, y: 2, z: 0.5 }, rotation: q },
      fieldOfView: { azimuthHalfWidthDeg: 60, maxRangeM: 200 },
    });
    const fov = enc.encode(frame([])).fieldOfView!;
    expect(fov.originX).toBe(1);
    expect(fov.originY).toBe(2);
    expect(fov.azimuthMinRad).toBeCloseTo(Math.PI / 2 - Math.PI / 3, 12);
    expect(fov.azimuthMaxRad).toBeCloseTo(Math.PI / 2 + Math.PI / 3, 12);
    expect(fov.maxRangeM).toBe(200);
    // Returns without tracks (a radar_msgs RadarScan): evidence about no area, so no track counts it as a miss.
    expect(enc.encode(frame([], [det(20, 0, -1)])).fieldOfView).toEqual({
      originX: 1,
      originY: 2,
      azimuthMinRad: 0,
      azimuthMaxRad: 0,
      maxRangeM: 0,
    });
    enc.dispose();
    const noFov = createRadarEncoder(buildRadarModel(1), meta(), { extrinsics: SIM_EXTRINSICS });
    expect(noFov.encode(frame([])).fieldOfView).toBeUndefined();
    noFov.dispose();
  });

  it("encodeBatch gives the same evidence as encode, frame by frame", () => {
    const enc = createRadarEncoder(buildRadarModel(2), meta(), { extrinsics: SIM_EXTRINSICS, minScore: 0 });
    const frames = [frame([obj(1, 20, 1)], [det(20, 0.05, -1)]), frame([]), frame([obj(2, 40, -3), obj(3, 5, 0.5, { rcsDbsm: -5 })])];
    const one = frames.map((f) => enc.encode(f));
    const batch = enc.encodeBatch(frames);
    expect(batch.map((e) => e.detections)).toEqual(one.map((e) => e.detections));
    enc.dispose();
  });
});

describe("radar encoder: bad input", () => {
  it("skips and counts NaN tracks and detections, keeps the good ones", () => {
    const enc = createRadarEncoder(buildRadarModel(1), meta(), { extrinsics: SIM_EXTRINSICS, minScore: 0 });
    const bad = obj(9, Number.NaN, 0);
    const ev = enc.encode(frame([bad, obj(1, 20, 0)], [{ ...det(20, 0, -1), rangeM: Number.NaN }, det(20, 0, -1)]));
    expect(ev.detections).toHaveLength(1);
    expect(ev.detections.every((d) => Number.isFinite(d.position.x) && Number.isFinite(d.score))).toBe(true);
    const diag = enc.diagnostics();
    expect(diag.skipped).toBe(2);
    expect(diag.lastSkipReason).toMatch(/radar frame on \/radar \(sensor radar_front, stamp 5 ns\): detection 0 has a non-finite field/);
    enc.dispose();
  });

  it("an empty scan gives no detections and full quality", () => {
    const enc = createRadarEncoder(buildRadarModel(1), meta(), { extrinsics: SIM_EXTRINSICS });
    const ev = enc.encode(frame([], []));
    expect(ev.detections).toEqual([]);
    expect(ev.quality).toBe(1);
    expect(ev.kind).toBe("radar");
    expect(ev.encoder.modelVersion).toBe("test");
    enc.dispose();
  });

  it("rejects a frame that is not a radar frame with a one-line error", () => {
    const enc = createRadarEncoder(buildRadarModel(1), meta(), { extrinsics: SIM_EXTRINSICS });
    const notRadar = { kind: "audio" } as unknown as RadarFrame;
    expect(() => enc.encode(notRadar)).toThrow(BadInputError);
    expect(() => enc.encode(notRadar)).toThrow("radar encoder: expected a RadarFrame with detections[] and objects[], got a audio frame");
    enc.dispose();
  });

  it("rejects bad extrinsics at load", () => {
    expect(() =>
      createRadarEncoder(buildRadarModel(1), meta(), { extrinsics: { translation: RADAR_MOUNT, rotation: { x: 0, y: 0, z: 0, w: 2 } } }),
    ).toThrow("radar encoder extrinsics: rotation must be a unit quaternion, got norm 2.0000");
  });
});

describe("radar encoder: tensors and model files", () => {
  it("does not grow tf.memory() over 100 calls", async () => {
    const enc = createRadarEncoder(buildRadarModel(1), meta(), { extrinsics: SIM_EXTRINSICS });
    const f = frame([obj(1, 20, 1), obj(2, 50, -2)], [det(20, 0.05, -1)]);
    const growth = await tensorGrowth(() => enc.encode(f), 100);
    expect(growth).toEqual({ tensors: 0, dataBuffers: 0, bytes: 0 });
    enc.dispose();
  });

  it("save → load gives identical outputs and metadata", async () => {
    const files = memoryModelFiles();
    const model = buildRadarModel(5);
    await saveModel(model, meta(), files, "m/radar");
    expect([...files.entries.keys()].sort()).toEqual(["m/radar/metadata.json", "m/radar/model.json", "m/radar/weights.bin"]);
    const a = createRadarEncoder(model, meta(), { extrinsics: SIM_EXTRINSICS, minScore: 0 });
    const b = await loadRadarEncoder({ files, modelDir: "m/radar", extrinsics: SIM_EXTRINSICS, minScore: 0 });
    const f = frame([obj(1, 20, 1), obj(2, 50, -2, { rcsDbsm: -4 })], [det(20, 0.05, -1)]);
    expect(b.encode(f).detections).toEqual(a.encode(f).detections);
    expect(b.metadata).toEqual(meta());
    a.dispose();
    b.dispose();
  });

  it("names a truncated weights file in the error", async () => {
    const files = memoryModelFiles();
    const model = buildRadarModel(5);
    await saveModel(model, meta(), files, "m");
    model.dispose();
    files.entries.set("m/weights.bin", files.entries.get("m/weights.bin")!.subarray(0, 100));
    await expect(loadRadarEncoder({ files, modelDir: "m", extrinsics: SIM_EXTRINSICS })).rejects.toThrow(
      /model file m\/weights.bin: expected \d+ bytes of float32 weights for the manifest, got 100/,
    );
  });
});

describe("radar quality", () => {
  function meanQuality(visibilityM: number | undefined, clutterPerScan = 3): number {
    const s = loadScenario("highway-clear");
    const sc = {
      ...s,
      durationS: 3,
      weather: { ...s.weather, visibilityM },
      sensors: { ...s.sensors, radar: { ...s.sensors.radar, clutterPerScan } },
    };
    let q = 0;
    let n = 0;
    for (const r of simulateRadarFrames(sc)) {
      q += radarQuality(r.frame).quality;
      n++;
    }
    return q / n;
  }

  it("falls with clutter but not with fog", () => {
    const clear = meanQuality(undefined);
    const fog150 = meanQuality(150);
    const fog50 = meanQuality(50);
    const clutter = meanQuality(undefined, 40);
    expect(clear).toBeGreaterThan(0.85);
    expect(Math.abs(fog150 - clear)).toBeLessThan(0.1);
    expect(Math.abs(fog50 - clear)).toBeLessThan(0.1);
    expect(clutter).toBeLessThan(clear - 0.3);
  });

  it("is what the encoder reports", () => {
    const enc = createRadarEncoder(buildRadarModel(1), meta(), { extrinsics: SIM_EXTRINSICS });
    const s = loadScenario("radar-clutter");
    const r = simulateRadarFrames({ ...s, durationS: 0.2 }).next().value!;
    expect(enc.encode(r.frame).quality).toBe(radarQuality(r.frame).quality);
    expect(radarQuality(r.frame).quality).toBeLessThan(0.9);
    enc.dispose();
  });
});

describe("radar training (smoke)", () => {
  const opts = {
    seed: 11,
    quick: true,
    loadNamed: (n: string) => loadScenario(n),
    log: () => undefined,
    backend: "wasm",
    command: "test",
    epochs: 1,
    stepsPerEpoch: 3,
  };

  it("trains a few steps, evaluates on held-out drives and is reproducible from the seed", async () => {
    const a = await trainRadar(opts);
    const b = await trainRadar(opts);
    const wa = a.model.getWeights().map((w) => Array.from(w.dataSync()));
    const wb = b.model.getWeights().map((w) => Array.from(w.dataSync()));
    expect(wa).toEqual(wb);
    const m = a.metadata as RadarModelMetadata & {
      heldOut: { clear: { model: { examples: number; accuracy: number } } };
      training: { generatedSeeds: number[] };
    };
    expect(m.heldOut.clear.model.examples).toBeGreaterThan(100);
    expect(m.heldOut.clear.model.accuracy).toBeGreaterThan(0);
    // held-out seeds never overlap training seeds
    const held = (a.metadata.heldOutSet as { generatedSeeds: number[] }).generatedSeeds;
    expect(held.filter((s) => m.training.generatedSeeds.includes(s))).toEqual([]);
    const out = a.model.predict(tf.zeros([3, RADAR_FEATURE_COUNT])) as tf.Tensor;
    expect(out.shape).toEqual([3, RADAR_CLASSES.length]);
    out.dispose();
    a.model.dispose();
    b.model.dispose();
  });
});

const shipped = path.resolve(__dirname, "../models/radar/model.json");
(fs.existsSync(shipped) ? describe : describe.skip)("shipped radar model (models/radar)", () => {
  it("classifies held-out urban-crossing tracks with accuracy ≥ 0.85", async () => {
    const enc = await loadRadarEncoder({
      files: nodeModelFiles(path.resolve(__dirname, "..")),
      modelDir: "models/radar",
      extrinsics: SIM_EXTRINSICS,
      minScore: 0,
    });
    let right = 0;
    let total = 0;
    const s = loadScenario("urban-crossing");
    for (const r of simulateRadarFrames({ ...s, durationS: 10 })) {
      const ev = enc.encode(r.frame);
      r.frame.objects.forEach((o, i) => {
        const d = ev.detections[i]!;
        const p = d.classProbabilities;
        const scores: Record<string, number> = {
          vehicle: d.score * ((p.car ?? 0) + (p.truck ?? 0) + (p.motorcycle ?? 0)),
          pedestrian: d.score * (p.pedestrian ?? 0),
          cyclist: d.score * (p.cyclist ?? 0),
          clutter: 1 - d.score,
        };
        const predicted = Object.entries(scores).sort((a, b) => b[1] - a[1])[0]![0];
        if (predicted === labelTrack(o, r.snapshot)) right++;
        total++;
      });
    }
    enc.dispose();
    expect(total).toBeGreaterThan(500);
    expect(right / total).toBeGreaterThanOrEqual(0.85);
  });
});
