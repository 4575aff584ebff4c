import * as tf from "@tensorflow/tfjs";
import type { Scenario } from "../../sim/scenario";
import { cameraEncoderFromModel, type CameraEncoder } from "../../encoders/camera/encoder";
import {
  CAMERA_CLASSES,
  CAMERA_HEAD,
  CAMERA_INPUT,
  CAMERA_REG_WEIGHTS,
  CAMERA_STRIDE,
  createCameraModel,
} from "../../encoders/camera/model";
import { imageStats } from "../../encoders/camera/preprocess";
import type { CameraModelMetadata } from "../../encoders/camera/types";
import { defaultCameraCalibration } from "../../encoders/camera/encoder";
import { intrinsicsOf } from "../../encoders/camera/geometry";
import { saveModel } from "../../runtime/modelFiles";
import { decodePeaks, headChannels } from "../../encoders/lidar/centerNet";
import { centerNetTrainingRecord, type CenterNetTrainingOptions } from "../centerNetTrainer";
import { centreDistanceAp, type ApSample } from "../lidar/centreDistanceAp";
import { fitCenterNet, mirroredBatches } from "../lidar/fitCenterNet";
import { argmaxClass, clearCopy } from "../lidar/trainLidar";
import { simDrive } from "../lidar/lidarData";
import { cameraFrameOf, cameraHeadObjects, cameraSamples, isCameraTarget, rgbToFloat, type CameraSample } from "./cameraData";

export type TrainCameraOptions = CenterNetTrainingOptions;

export type CameraEvaluation = {
  /** Centre-distance AP at 2 m for cars within `maxRangeM` (the target's figure). */
  carAp2m: number;
  carGt: number;
  maxRangeM: number;
  perClassAp2m: Record<string, { ap: number; gt: number }>;
  /** Car AP at 4 m, for context on depth error. */
  carAp4m: number;
  frames: number;
};

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const within = (x: number, y: number, r: number): boolean => Math.hypot(x, y) <= r;

/** AP per class through the encoder. GT: targets (visible, centre on screen) within `maxRangeM`; other objects of the class are ignore regions. */
export function evaluateCamera(encoder: CameraEncoder, samples: readonly CameraSample[], maxRangeM = 40): CameraEvaluation {
  const per: Record<string, ApSample[]> = {};
  for (const c of CAMERA_CLASSES) per[c] = [];
  for (let i = 0; i < samples.length; i += 8) {
    const chunk = samples.slice(i, i + 8);
    const ev = encoder.encodeBatch(chunk.map(cameraFrameOf));
    chunk.forEach((s, j) => {
      for (const c of CAMERA_CLASSES) {
        const mine = s.objects.filter((o) => o.classification === c);
        const counted = mine.filter((o) => isCameraTarget(o) && within(o.x, o.y, maxRangeM));
        const ignore = mine.filter((o) => !counted.includes(o));
        const pred = ev[j]!.detections.filter(
          (d) => argmaxClass(d.classProbabilities) === c && within(d.position.x, d.position.y, maxRangeM),
        ).map((d) => ({ x: d.position.x, y: d.position.y, score: d.score }));
        per[c]!.push({ gt: counted, pred, ignore });
      }
    });
  }
  const perClassAp2m: CameraEvaluation["perClassAp2m"] = {};
  for (const c of CAMERA_CLASSES) {
    const r = centreDistanceAp(per[c]!, { distTh: 2 });
    perClassAp2m[c] = { ap: r.ap, gt: r.gtCount };
  }
  const car4 = centreDistanceAp(per.car!, { distTh: 4 });
  return { carAp2m: perClassAp2m.car!.ap, carGt: perClassAp2m.car!.gt, maxRangeM, perClassAp2m, carAp4m: car4.ap, frames: samples.length };
}

/** Mean quality per fog visibility on held-out scenes (same traffic, only the fog changes). */
export async function cameraQualityByVisibility(
  encoder: CameraEncoder,
  scenes: readonly Scenario[],
  visibilities: readonly (number | undefined)[],
): Promise<Array<{ visibilityM: number | "clear"; quality: number }>> {
  const out: Array<{ visibilityM: number | "clear"; quality: number }> = [];
  for (const v of visibilities) {
    let sum = 0;
    let n = 0;
    for (const s of scenes) {
      const fogged: Scenario = { ...s, weather: v === undefined ? { night: false } : { visibilityM: v, night: false } };
      for (const smp of await cameraSamples(fogged, { everyS: 2 })) {
        sum += encoder.encode(cameraFrameOf(smp)).quality;
        n++;
      }
    }
    out.push({ visibilityM: v ?? "clear", quality: n ? sum / n : 0 });
  }
  return out;
}

function mad(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const med = s[s.length >> 1]!;
  const d = s.map((x) => Math.abs(x - med)).sort((a, b) => a - b);
  return 1.4826 * d[d.length >> 1]!;
}

/**
 * Depth calibration: on `samples`, the network's log-depth error and box-bottom row error at the
 * peaks that sit on a target's centre cell (robust std via the median absolute deviation).
 */
export function calibrateCameraDepth(model: tf.LayersModel, samples: readonly CameraSample[]): CameraModelMetadata["depth"] {
  const K = headChannels(CAMERA_HEAD);
  const per = CAMERA_INPUT.width * CAMERA_INPUT.height * 3;
  const logErr: number[] = [];
  const bottomErr: number[] = [];
  for (let i = 0; i < samples.length; i += 8) {
    const chunk = samples.slice(i, i + 8);
    const x = new Float32Array(chunk.length * per);
    chunk.forEach((s, j) => rgbToFloat(s.rgb, false, x, j * per));
    const out = tf.tidy(
      () =>
        (model.predict(tf.tensor4d(x, [chunk.length, CAMERA_INPUT.height, CAMERA_INPUT.width, 3])) as tf.Tensor).dataSync() as Float32Array,
    );
    const hs = CAMERA_HEAD.height * CAMERA_HEAD.width * K;
    chunk.forEach((s, j) => {
      const peaks = decodePeaks(CAMERA_HEAD, out.subarray(j * hs, (j + 1) * hs), 0.3, 64);
      for (const o of s.objects) {
        if (!isCameraTarget(o)) continue;
        const p = peaks.find((q) => q.row === Math.floor(o.v / CAMERA_STRIDE) && q.col === Math.floor(o.u / CAMERA_STRIDE));
        if (!p) continue;
        logErr.push(p.reg[2]! - Math.log(o.depth));
        const vPred = (p.row + p.reg[0]!) * CAMERA_STRIDE + p.reg[3]! * CAMERA_STRIDE;
        if (o.box && o.box.v1 < CAMERA_INPUT.height - 1) bottomErr.push(vPred - o.box.v1);
      }
    });
  }
  const sigmaRel = mad(logErr);
  const bottomSigmaPx = mad(bottomErr);
  return {
    sigmaRel: Number.isFinite(sigmaRel) && sigmaRel > 0 ? sigmaRel : 0.2,
    bottomSigmaPx: Number.isFinite(bottomSigmaPx) && bottomSigmaPx > 0 ? bottomSigmaPx : 2,
  };
}

/** Validation drives for the depth-uncertainty calibration: neither trained on nor held out. */
export const CAMERA_CALIBRATION_SEEDS: readonly number[] = range(8001, 8008);

/**
 * Calibrates the depth uncertainty on validation drives, evaluates on the held-out drives and
 * scenarios, and assembles the metadata. Used after training and to re-evaluate shipped weights.
 */
export async function calibrateAndEvaluateCamera(
  model: tf.LayersModel,
  quality: CameraModelMetadata["quality"],
  training: unknown,
  o: Pick<TrainCameraOptions, "heldOutScenarios" | "command" | "log" | "seed" | "heldOutSeeds" | "durationS"> & {
    calibrationSeeds?: readonly number[];
  },
): Promise<{ metadata: CameraModelMetadata; evaluation: CameraEvaluation }> {
  const log = o.log ?? (() => undefined);
  const heldOutSeeds = o.heldOutSeeds ?? range(9001, 9016);
  const durationS = o.durationS ?? 20;
  const calibrationSeeds = o.calibrationSeeds ?? CAMERA_CALIBRATION_SEEDS;
  const calib: CameraSample[] = [];
  for (const s of calibrationSeeds) calib.push(...(await cameraSamples(clearCopy(simDrive(s, durationS)), { everyS: 1 })));
  const depth = calibrateCameraDepth(model, calib);
  log(
    `depth calibration on ${calib.length} validation frames (seeds ${calibrationSeeds[0]}..${calibrationSeeds[calibrationSeeds.length - 1]}): relative std ${depth.sigmaRel.toFixed(3)}, box-bottom std ${depth.bottomSigmaPx.toFixed(2)} px`,
  );
  const k = intrinsicsOf(defaultCameraCalibration());
  const date = new Date().toISOString();
  const metadata: CameraModelMetadata = {
    kind: "camera",
    modelVersion: `camera-centernet-${date.slice(0, 10)}-s${o.seed ?? 1}`,
    date,
    command: o.command ?? "trainCamera()",
    input: { layout: "NHWC", shape: [CAMERA_INPUT.height, CAMERA_INPUT.width, 3], intrinsics: { fx: k.fx, fy: k.fy, cx: k.cx, cy: k.cy } },
    classes: [...CAMERA_CLASSES],
    headStride: CAMERA_STRIDE,
    quality,
    depth,
  };
  // The evaluation encoder shares `model`; it is not disposed here (the caller owns the model).
  const encoder = cameraEncoderFromModel(model, metadata, { scoreThreshold: 0.05 });
  const held: CameraSample[] = [];
  for (const s of heldOutSeeds) held.push(...(await cameraSamples(clearCopy(simDrive(s, durationS)), { everyS: 1 })));
  for (const sc of o.heldOutScenarios ?? []) held.push(...(await cameraSamples(sc, { everyS: 1 })));
  const evaluation = evaluateCamera(encoder, held, 40);
  log(
    `held-out: car AP@2m within 40 m ${evaluation.carAp2m.toFixed(3)} (AP@4m ${evaluation.carAp4m.toFixed(3)}) over ${evaluation.carGt} cars in ${evaluation.frames} frames; ${JSON.stringify(evaluation.perClassAp2m)}`,
  );
  const fogScenes = heldOutSeeds.slice(0, 3).map((s) => simDrive(s, 6));
  const qualityByVisibility = await cameraQualityByVisibility(encoder, fogScenes, [undefined, 1000, 500, 250, 120, 60, 30]);
  log(`quality by visibility: ${qualityByVisibility.map((q) => `${q.visibilityM}: ${q.quality.toFixed(3)}`).join(", ")}`);
  metadata.training = training;
  metadata.heldOut = {
    seeds: [...heldOutSeeds],
    scenarios: (o.heldOutScenarios ?? []).map((s) => s.name),
    weather: "random seeds forced to clear daylight; named scenarios as written",
    metric:
      "centre-distance AP at 2 m in the ego xy plane (nuScenes calc_ap: 101-point PR, min recall 0.1, min precision 0.1); GT = cars within 40 m of the ego origin, ≥ 6 visible pixels, ≥ 10 % visible, centre in the image; predictions beyond 40 m dropped, predictions near other (occluded, off-screen, far) cars ignored",
    depthCalibrationSeeds: [...calibrationSeeds],
    ...evaluation,
    qualityByVisibility,
  };
  return { metadata, evaluation };
}

export type TrainCameraResult = { metadata: CameraModelMetadata; evaluation: CameraEvaluation; model: tf.LayersModel };

/** Trains the camera CenterNet on rendered frames, evaluates on held-out clear-day data, writes models/camera when `files` is given. */
export async function trainCamera(o: TrainCameraOptions = {}): Promise<TrainCameraResult> {
  const log = o.log ?? (() => undefined);
  const trainSeeds = o.trainSeeds ?? range(1, 100);
  const heldOutSeeds = o.heldOutSeeds ?? range(9001, 9016);
  const durationS = o.durationS ?? 20;
  const everyS = o.everyS ?? 0.5;
  const seed = o.seed ?? 1;
  const t0 = performance.now();
  const train: CameraSample[] = [];
  for (let i = 0; i < trainSeeds.length; i++) {
    const s = trainSeeds[i]!;
    train.push(...(await cameraSamples(simDrive(s, durationS), { everyS, offsetS: 0.05 + ((s * 0.37) % 1) * everyS })));
    if ((i + 1) % 20 === 0)
      log(
        `generated ${train.length} training frames from ${i + 1}/${trainSeeds.length} scenarios, ${((performance.now() - t0) / 1000).toFixed(0)} s`,
      );
  }
  // Quality calibration: clear-day median contrast, and the floor that dense night fog reaches.
  const contrasts = train.map((s) => ({
    c: imageStats(
      Float32Array.from(s.rgb, (b) => b / 255),
      CAMERA_INPUT.width,
      CAMERA_INPUT.height,
    ).contrast,
    clear: !Number.isFinite(s.visibilityM) && !s.night,
  }));
  const clear = contrasts
    .filter((c) => c.clear)
    .map((c) => c.c)
    .sort((a, b) => a - b);
  const all = contrasts.map((c) => c.c).sort((a, b) => a - b);
  const quality = {
    clearContrast: clear.length ? clear[clear.length >> 1]! : 7,
    floorContrast: all.length ? all[Math.floor(all.length * 0.01)]! : 1.5,
  };
  log(
    `training set: ${train.length} frames; contrast clear-day median ${quality.clearContrast.toFixed(2)}, 1st percentile ${quality.floorContrast.toFixed(2)}`,
  );

  const model = o.initModel ?? createCameraModel(seed);
  const batchSize = o.batchSize ?? 8;
  const lr = o.learningRate ?? 2e-3;
  const fit = await fitCenterNet(model, {
    layout: CAMERA_HEAD,
    regWeights: CAMERA_REG_WEIGHTS,
    samples: train.length,
    steps: o.steps ?? 3000,
    batchSize,
    learningRate: lr,
    seed,
    ...(o.maxMinutes !== undefined ? { maxMinutes: o.maxMinutes } : {}),
    log,
    makeBatch: mirroredBatches(
      train,
      CAMERA_HEAD,
      [CAMERA_INPUT.height, CAMERA_INPUT.width, 3],
      (s, flip, x, offset) => rgbToFloat(s.rgb, flip, x, offset),
      (s, flip) => cameraHeadObjects(s.objects, flip),
    ),
  });
  log(`trained ${fit.steps} steps in ${fit.wallS.toFixed(0)} s, loss ${fit.finalLoss.toFixed(4)}`);
  train.length = 0;
  const training = centerNetTrainingRecord(
    fit,
    { trainSeeds, durationS, sampling: `a frame every ${everyS} s through JPEG`, batchSize, learningRate: lr, seed },
    o,
  );
  const { metadata, evaluation } = await calibrateAndEvaluateCamera(model, quality, training, { ...o, heldOutSeeds, durationS, seed });
  if (o.files) await saveModel(model, metadata, o.files, o.outDir ?? "models/camera");
  return { metadata, evaluation, model };
}
