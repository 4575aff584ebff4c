import * as fs from "node:fs";
import * as path from "node:path";
import sharp from "sharp";
import { decodeCameraFrame } from "../src/encoders/camera/decodeImage";
import {
  cameraEncoderFromModel,
  cameraPeakToDetection,
  DEFAULT_CAMERA_EXTRINSICS,
  defaultCameraCalibration,
  load,
} from "../src/encoders/camera/encoder";
import {
  backProject,
  fuseDepths,
  groundPlaneDepth,
  intrinsicsOf,
  lineOfSightCovariance,
  projectEgoPoint,
} from "../src/encoders/camera/geometry";
import { CAMERA_CLASSES, CAMERA_INPUT, createCameraModel } from "../src/encoders/camera/model";
import { cameraInput, cameraQuality, frameDigest, imageStats, toRgbFloat } from "../src/encoders/camera/preprocess";
import { spaceToDepthIndex } from "../src/runtime/convChain";
import type { CameraModelMetadata } from "../src/encoders/camera/types";
import { memoryModelFiles, saveModel, type ModelFiles } from "../src/runtime/modelFiles";
import { BadInputError } from "../src/types/errors";
import { cameraFrameOf, cameraSamples } from "../src/train/camera/cameraData";
import { cameraTrainer } from "../src/train/camera/cameraTrainer";
import { baseMetadataSchema } from "../src/encoders/common/metadata";
import { simDrive } from "../src/train/lidar/lidarData";
import { selectBackend } from "../src/runtime/selectBackend";
import { tensorGrowth } from "../src/runtime/tensors";
import { validateScenario } from "../src/sim/scenario";
import type { CameraFrame } from "../src/types";

const META: CameraModelMetadata = {
  kind: "camera",
  modelVersion: "test",
  date: "2026-01-01T00:00:00.000Z",
  command: "test",
  input: { layout: "NHWC", shape: [192, 320, 3], intrinsics: { fx: 190.7, fy: 190.7, cx: 160, cy: 96 } },
  classes: [...CAMERA_CLASSES],
  headStride: 8,
  quality: { clearContrast: 7, floorContrast: 1.5 },
  depth: { sigmaRel: 0.1, bottomSigmaPx: 1 },
};

const K = intrinsicsOf(defaultCameraCalibration());
const E = DEFAULT_CAMERA_EXTRINSICS;

function rawFrame(data: Uint8Array, over: Partial<CameraFrame> = {}): CameraFrame {
  return {
    kind: "camera",
    sensorId: "cam_front",
    topic: "/sensors/cam_front/image",
    frameId: "cam_front_optical",
    stamp: 7n,
    receivedAt: 7n,
    format: "rgb8",
    width: 320,
    height: 192,
    step: 960,
    data,
    ...over,
  };
}

function noiseImage(seed: number): Uint8Array {
  const d = new Uint8Array(320 * 192 * 3);
  let s = seed;
  for (let i = 0; i < d.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    d[i] = s >>> 24;
  }
  return d;
}

beforeAll(async () => {
  await selectBackend({ backend: "wasm", log: () => undefined });
});

describe("geometry", () => {
  test("the default calibration is the simulator's 80° camera", () => {
    expect(K.fx).toBeCloseTo(160 / Math.tan((40 * Math.PI) / 180), 9);
    expect([K.cx, K.cy]).toEqual([160, 96]);
  });

  test("a point straight ahead projects to the principal point; back-projection inverts projection", () => {
    const ahead = projectEgoPoint({ x: 21.8, y: 0, z: 1.45 }, K, E);
    expect(ahead.u).toBeCloseTo(160, 9);
    expect(ahead.v).toBeCloseTo(96, 9);
    expect(ahead.depth).toBeCloseTo(20, 9);
    // 2 m to the left at 20 m: u = cx − fx·2/20.
    const left = projectEgoPoint({ x: 21.8, y: 2, z: 0.45 }, K, E);
    expect(left.u).toBeCloseTo(160 - K.fx * 0.1, 9);
    expect(left.v).toBeCloseTo(96 + K.fy * 0.05, 9);
    const back = backProject(left.u, left.v, left.depth, K, E);
    expect(back.x).toBeCloseTo(21.8, 9);
    expect(back.y).toBeCloseTo(2, 9);
    expect(back.z).toBeCloseTo(0.45, 9);
  });

  test("ground-plane depth of a pixel below the horizon is exact; at or above the horizon there is none", () => {
    // The ground 10 m ahead of the camera is 1.45 m below it: v = cy + fy·1.45/10.
    expect(groundPlaneDepth(200, 96 + (K.fy * 1.45) / 10, K, E)).toBeCloseTo(10, 9);
    expect(groundPlaneDepth(160, 96, K, E)).toBeUndefined();
    expect(groundPlaneDepth(160, 50, K, E)).toBeUndefined();
  });

  test("line-of-sight covariance: range variance along the ray, angular variance growing with range²", () => {
    const near = lineOfSightCovariance({ x: 11.8, y: 0, z: 1.45 }, E.translation, 0.5, 0.01);
    expect(near[0]).toBeCloseTo(0.25, 9);
    expect(near[4]).toBeCloseTo((0.01 * 10) ** 2, 9);
    expect(near[8]).toBeCloseTo((0.01 * 10) ** 2, 9);
    const far = lineOfSightCovariance({ x: 41.8, y: 0, z: 1.45 }, E.translation, 0.5, 0.01);
    expect(far[4]! / near[4]!).toBeCloseTo(16, 6);
    // Symmetric, and rotated with the bearing: at 45° the x–y covariance is (σr² − σl²)/2.
    const diag = lineOfSightCovariance({ x: 11.8, y: 10, z: 1.45 }, E.translation, 1, 0);
    expect(diag[1]).toBeCloseTo(0.5, 9);
    expect(diag[3]).toBeCloseTo(diag[1]!, 12);
  });

  test("depth fusion weights by inverse variance and drops a disagreeing ground-plane estimate", () => {
    const f = fuseDepths({ depth: 20, sigma: 2 }, { depth: 22, sigma: 2 });
    expect(f.depth).toBeCloseTo(21, 9);
    expect(f.sigma).toBeCloseTo(Math.SQRT2, 9);
    expect(fuseDepths({ depth: 20, sigma: 1 }, { depth: 40, sigma: 1 })).toEqual({ depth: 20, sigma: 1 });
  });

  test("a head peak becomes an ego position through the calibration, with covariance growing with range", () => {
    // A car (4.5 m long) centred 22.25 m ahead of the camera: its front bottom edge is on the ground
    // 20 m ahead, so the ground-plane estimate agrees with the network depth and fusion keeps it.
    const peakFor = (centre: { x: number; y: number; z: number }, length: number) => {
      const c = projectEgoPoint(centre, K, E);
      const vBottom = projectEgoPoint({ x: centre.x - length / 2, y: centre.y, z: 0 }, K, E).v;
      const row = Math.floor(c.v / 8);
      const col = Math.floor(c.u / 8);
      const reg = [
        c.v / 8 - row,
        c.u / 8 - col,
        Math.log(c.depth),
        (vBottom - c.v) / 8,
        0,
        0,
        Math.log(length),
        Math.log(1.85),
        Math.log(1.5),
      ];
      return cameraPeakToDetection({ row, col, score: 0.9, classProbs: [1, 0, 0, 0, 0, 0], reg }, K, E, META.depth);
    };
    const near = peakFor({ x: 24.05, y: -3.5, z: 0.75 }, 4.5);
    expect(near.position.x).toBeCloseTo(24.05, 6);
    expect(near.position.y).toBeCloseTo(-3.5, 6);
    expect(near.position.z).toBeCloseTo(0.75, 6);
    expect(near.classProbabilities.car).toBe(1);
    const far = peakFor({ x: 44.05, y: -3.5, z: 0.75 }, 4.5);
    expect(far.position.x).toBeCloseTo(44.05, 6);
    // Twice the range: the variance along x grows by more than 2² (range² plus the ground-plane term).
    expect(far.positionCovariance[0]! / near.positionCovariance[0]!).toBeGreaterThan(4);
  });
});

describe("preprocess", () => {
  test("bgr8, rgba8 and mono8 become the same float RGB", () => {
    const rgb = rawFrame(Uint8Array.from({ length: 320 * 192 * 3 }, (_, i) => (i * 7) % 256));
    const a = toRgbFloat(rgb, CAMERA_INPUT);
    const bgr = new Uint8Array(rgb.data.length);
    const rgba = new Uint8Array(320 * 192 * 4);
    for (let p = 0; p < 320 * 192; p++) {
      bgr[p * 3] = rgb.data[p * 3 + 2]!;
      bgr[p * 3 + 1] = rgb.data[p * 3 + 1]!;
      bgr[p * 3 + 2] = rgb.data[p * 3]!;
      rgba.set(rgb.data.subarray(p * 3, p * 3 + 3), p * 4);
    }
    expect(toRgbFloat(rawFrame(bgr, { format: "bgr8" }), CAMERA_INPUT)).toEqual(a);
    expect(toRgbFloat(rawFrame(rgba, { format: "rgba8", step: 1280 }), CAMERA_INPUT)).toEqual(a);
    const mono = toRgbFloat(rawFrame(new Uint8Array(320 * 192).fill(51), { format: "mono8", step: 320 }), CAMERA_INPUT);
    expect(mono[0]).toBeCloseTo(0.2, 6);
    expect(mono[2]).toBeCloseTo(0.2, 6);
  });

  test("cameraInput writes the hwc or space-to-depth input and the same statistics as imageStats, in one pass", () => {
    const f = rawFrame(noiseImage(11), { format: "bgr8" });
    const hwc = toRgbFloat(f, CAMERA_INPUT);
    const a = new Float32Array(hwc.length);
    const b = new Float32Array(hwc.length);
    const statsHwc = cameraInput(f, CAMERA_INPUT, a, "hwc");
    const statsS2d = cameraInput(f, CAMERA_INPUT, b, "spaceToDepth");
    expect(a).toEqual(hwc);
    const ref = imageStats(hwc, 320, 192);
    expect(statsHwc).toEqual(ref);
    expect(statsS2d).toEqual(ref);
    expect(ref.contrast).toBeGreaterThan(1);
    // Pixel (5, 7) channel 2 (blue; bgr8 byte 0) sits at block (2, 3), sub-position (1, 1).
    expect(b[spaceToDepthIndex(5, 7, 2, 320, 3)]).toBe(hwc[(5 * 320 + 7) * 3 + 2]);
    expect(b[spaceToDepthIndex(5, 7, 2, 320, 3)]).toBe(Math.fround(f.data[(5 * 320 + 7) * 3]! / 255));
    expect([...b].sort()).toEqual([...hwc].sort());
  });

  test("wrong sizes, short buffers and undecoded JPEG are one-line BadInputErrors", () => {
    const where = "camera frame on /sensors/cam_front/image (sensor cam_front, stamp 7 ns)";
    expect(() => toRgbFloat(rawFrame(new Uint8Array(640 * 480 * 3), { width: 640, height: 480, step: 1920 }), CAMERA_INPUT)).toThrow(
      `${where}: image is 640×480, expected 320×192 (the model's input and the calibration)`,
    );
    expect(() => toRgbFloat(rawFrame(new Uint8Array(100)), CAMERA_INPUT)).toThrow(
      `${where}: 100 bytes with step 960 is too short for 320×192 rgb8`,
    );
    expect(() => toRgbFloat(rawFrame(new Uint8Array(10), { format: "jpeg", width: 0, height: 0, step: 0 }), CAMERA_INPUT)).toThrow(
      BadInputError,
    );
  });

  test("decodeCameraFrame turns a JPEG into rgb8 and names a corrupt one", async () => {
    const raw = noiseImage(3);
    const jpeg = await sharp(raw, { raw: { width: 320, height: 192, channels: 3 } })
      .jpeg({ quality: 95 })
      .toBuffer();
    const f = await decodeCameraFrame(rawFrame(new Uint8Array(jpeg), { format: "jpeg", width: 0, height: 0, step: 0 }));
    expect([f.format, f.width, f.height, f.step, f.data.length]).toEqual(["rgb8", 320, 192, 960, 320 * 192 * 3]);
    await expect(decodeCameraFrame(rawFrame(Uint8Array.from([0xff, 0xd8, 1, 2, 3]), { format: "jpeg" }))).rejects.toThrow(
      /^camera frame on \/sensors\/cam_front\/image \(sensor cam_front, stamp 7 ns\): cannot decode jpeg \(5 bytes\)/,
    );
  });

  test("contrast quality: a flat image is 0, a clear-day contrast is 1, halfway is 0.5", () => {
    const flat = toRgbFloat(rawFrame(new Uint8Array(320 * 192 * 3).fill(128)), CAMERA_INPUT);
    expect(cameraQuality(imageStats(flat, 320, 192), META.quality)).toBe(0);
    expect(cameraQuality({ contrast: 7, brightness: 100, darkChannel: 50 }, META.quality)).toBe(1);
    expect(cameraQuality({ contrast: 4.25, brightness: 100, darkChannel: 50 }, META.quality)).toBeCloseTo(0.5, 9);
    expect(frameDigest(Uint8Array.from([1, 2, 3]))).not.toBe(frameDigest(Uint8Array.from([1, 2, 4])));
  });
});

describe("encoder (untrained weights)", () => {
  let enc: ReturnType<typeof cameraEncoderFromModel>;
  beforeAll(() => {
    enc = cameraEncoderFromModel(createCameraModel(2), META, { scoreThreshold: 0.05 });
  });
  afterAll(() => enc.dispose());

  test("does not leak tensors across 100 calls", async () => {
    const frames = [rawFrame(noiseImage(1)), rawFrame(noiseImage(2))];
    let i = 0;
    const growth = await tensorGrowth(() => enc.encode(frames[i++ % 2]!), 100);
    expect(growth).toEqual({ tensors: 0, dataBuffers: 0, bytes: 0 });
  });

  test("a frozen frame (identical to the previous one) has quality 0 and no detections", () => {
    const a = rawFrame(noiseImage(11));
    enc.encode(rawFrame(noiseImage(10)));
    const first = enc.encode(a);
    const again = enc.encode(rawFrame(Uint8Array.from(a.data)));
    expect(first.quality).toBeGreaterThan(0.5);
    expect(again.quality).toBe(0);
    expect(again.detections).toEqual([]);
    expect(enc.diagnostics().lastSkipReason).toContain("identical to the previous frame (frozen camera)");
    expect(again.encoder).toMatchObject({ name: "camera-centernet", modelVersion: "test", backend: "wasm" });
    expect(again.timingMs.infer).toBe(0); // not run through the network
  });

  test("in a batch, a frozen frame is skipped and the frames around it give the evidence they give alone", () => {
    const ref = cameraEncoderFromModel(createCameraModel(2), META, { scoreThreshold: 0.05 });
    const b = rawFrame(noiseImage(31));
    const c = rawFrame(noiseImage(32));
    const single = [ref.encode(b), ref.encode(c)];
    const batch = enc.encodeBatch([b, rawFrame(Uint8Array.from(b.data)), c]);
    expect(batch.map((e) => e.quality === 0)).toEqual([false, true, false]);
    expect(batch[1]!.detections).toEqual([]);
    [batch[0]!, batch[2]!].forEach((e, i) => {
      expect(e.detections.length).toBe(single[i]!.detections.length);
      expect(e.detections.length).toBeGreaterThan(0);
      e.detections.forEach((d, k) => expect(d.score).toBeCloseTo(single[i]!.detections[k]!.score, 5));
      expect(e.quality).toBeCloseTo(single[i]!.quality, 9);
    });
    ref.dispose();
  });

  test("encodeBatch gives the same evidence as encode", () => {
    const enc2 = cameraEncoderFromModel(createCameraModel(2), META, { scoreThreshold: 0.05 });
    const frames = [rawFrame(noiseImage(21)), rawFrame(noiseImage(22))];
    const batch = enc2.encodeBatch(frames);
    const single = frames.map((f) => enc.encode(f));
    for (let i = 0; i < 2; i++) {
      expect(batch[i]!.detections.length).toBe(single[i]!.detections.length);
      batch[i]!.detections.forEach((d, k) => expect(d.position.x).toBeCloseTo(single[i]!.detections[k]!.position.x, 3));
      expect(batch[i]!.quality).toBeCloseTo(single[i]!.quality, 9);
    }
    enc2.dispose();
  });

  test("a calibration of any size is taken; its images must have that size; a lens model we do not know is refused", () => {
    enc.setCalibration({ ...defaultCameraCalibration(), width: 640, height: 384, topic: "/cam/info" });
    const where = "camera frame on /sensors/cam_front/image (sensor cam_front, stamp 7 ns)";
    expect(() => enc.encode(rawFrame(noiseImage(1)))).toThrow(
      `${where}: image is 320×192, expected 640×384 as its calibration on /cam/info says`,
    );
    expect(() => enc.setCalibration({ ...defaultCameraCalibration(), distortionModel: "fov", D: [0.1], topic: "/cam/info" })).toThrow(
      'camera calibration on /cam/info: distortion_model "fov", expected plumb_bob, rational_polynomial, equidistant or kannala_brandt',
    );
    expect(() => enc.setCalibration({ ...defaultCameraCalibration(), width: 0, topic: "/cam/info" })).toThrow(
      "camera calibration on /cam/info: size 0×192, expected positive integers",
    );
    enc.setCalibration(defaultCameraCalibration());
  });
});

test("smoke training → save → load gives identical outputs", async () => {
  const t = await cameraTrainer({
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
  expect(t.summary[0]).toMatch(/^camera: held-out car AP@2m within 40 m \d\.\d{3} over \d+ cars in \d+ frames \(target ≥ 0\.6\)$/);
  const r = { model: t.model, metadata: t.metadata as unknown as CameraModelMetadata };
  expect(r.metadata.depth.sigmaRel).toBeGreaterThan(0);
  const files = memoryModelFiles();
  await saveModel(r.model, r.metadata, files, "models/camera");
  const a = cameraEncoderFromModel(r.model, r.metadata, { scoreThreshold: 0 });
  const b = await load({ files, dir: "models/camera", scoreThreshold: 0 });
  const [s] = await cameraSamples(simDrive(50_001, 1), { everyS: 1 });
  const ea = a.encode(cameraFrameOf(s!));
  const eb = b.encode(cameraFrameOf(s!));
  expect(eb.detections.length).toBe(ea.detections.length);
  expect(eb.detections.map((d) => [d.position.x, d.position.y, d.score])).toEqual(
    ea.detections.map((d) => [d.position.x, d.position.y, d.score]),
  );
  expect(eb.quality).toBe(ea.quality);
  a.dispose();
  b.dispose();
}, 300_000);

const shippedDir = path.resolve(__dirname, "../models/camera");
const shipped = fs.existsSync(path.join(shippedDir, "model.json"));
const fsFiles: ModelFiles = {
  read: async (p) => new Uint8Array(fs.readFileSync(path.resolve(__dirname, "..", p))),
  write: async () => {
    throw new Error("read-only");
  },
};
if (!shipped) console.warn(`encoderCamera.test: ${shippedDir}/model.json absent; shipped-model checks skipped`);
/** A lone car 20 m ahead in the next lane, nothing else on the road. */
const loneCar = () =>
  validateScenario({
    name: "lone-car",
    durationS: 0.2,
    seed: 77,
    ego: { speedMps: 0 },
    clutter: { poleSpacingM: 0, guardRails: false, parkedCars: 0 },
    actors: [{ class: "car", motion: { type: "static", x: 20, y: 3.5, yawDeg: 0 } }],
  });

(shipped ? describe : describe.skip)("shipped camera model", () => {
  test("a lone car 20 m ahead in the next lane is detected where it is, within its stated uncertainty", async () => {
    const enc = await load({ files: fsFiles });
    const scenario = loneCar();
    const [s] = await cameraSamples(scenario, { everyS: 1 });
    const ev = enc.encode(cameraFrameOf(s!));
    expect(ev.detections.length).toBeGreaterThan(0);
    const best = ev.detections.reduce((a, d) => (d.score > a.score ? d : a));
    // Bearing is precise, depth is not (the shipped model's relative depth std is ~13 %): the
    // lateral error must be small and the error along x within 3σ of the reported covariance.
    expect(Math.abs(best.position.y - 3.5)).toBeLessThan(0.75);
    expect(Math.abs(best.position.x - 20)).toBeLessThan(3 * Math.sqrt(best.positionCovariance[0]!));
    expect(Math.abs(best.position.x - 20)).toBeLessThan(4);
    expect(best.classProbabilities.car).toBeGreaterThan(0.5);
    enc.dispose();
  });

  test("the same scene from a camera of twice the resolution and focal length gives the same detections and quality", async () => {
    // The network through its virtual camera (a real camera's default is the COCO detector: test/cameraRealFrames.test.ts).
    const enc = await load({ files: fsFiles, realCamera: "network" });
    const scenario = loneCar();
    const [s] = await cameraSamples(scenario, { everyS: 1 });
    const small = cameraFrameOf(s!);
    const base = enc.encode(small);
    // 640×384 with K doubled: the network's camera sees the same picture, resampled back.
    const big = await sharp(Buffer.from(small.data), { raw: { width: 320, height: 192, channels: 3 } })
      .resize(640, 384, { kernel: "linear" })
      .raw()
      .toBuffer();
    const c = defaultCameraCalibration();
    const [fx, cx, cy] = [c.K[0]!, c.K[2]!, c.K[5]!];
    enc.setCalibration({ ...c, topic: "/cam/big", width: 640, height: 384, K: [2 * fx, 0, 2 * cx, 0, 2 * fx, 2 * cy, 0, 0, 1] });
    const ev = enc.encode({ ...small, width: 640, height: 384, step: 640 * 3, data: new Uint8Array(big), stamp: small.stamp + 1n });
    const best = (e: typeof ev) => e.detections.reduce((a, d) => (d.score > a.score ? d : a));
    expect(ev.detections.length).toBeGreaterThan(0);
    expect(Math.abs(best(ev).position.x - best(base).position.x)).toBeLessThan(0.5);
    expect(Math.abs(best(ev).position.y - best(base).position.y)).toBeLessThan(0.2);
    expect(Math.abs(best(ev).score - best(base).score)).toBeLessThan(0.1);
    expect(Math.abs(ev.quality - base.quality)).toBeLessThan(0.1);
    expect(ev.fieldOfView).toEqual(base.fieldOfView);
    enc.dispose();
  });

  test("quality falls monotonically with fog visibility on held-out scenes", async () => {
    const enc = await load({ files: fsFiles });
    const scenes = [50_010, 50_011].map((s) => simDrive(s, 3));
    const means: number[] = [];
    for (const v of [undefined, 500, 150, 60, 30]) {
      let sum = 0;
      let n = 0;
      for (const sc of scenes) {
        for (const smp of await cameraSamples(
          { ...sc, weather: v ? { visibilityM: v, night: false } : { night: false } },
          { everyS: 1.5 },
        )) {
          sum += enc.encode(cameraFrameOf(smp)).quality;
          n++;
        }
      }
      means.push(sum / n);
    }
    for (let i = 1; i < means.length; i++) expect(means[i]!).toBeLessThan(means[i - 1]!);
    expect(means[0]!).toBeGreaterThan(0.7);
    expect(means[means.length - 1]!).toBeLessThan(means[0]! / 2);
    enc.dispose();
  });
});
