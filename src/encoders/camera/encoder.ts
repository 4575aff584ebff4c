import * as tf from "@tensorflow/tfjs";
import type { CameraCalibration, CameraFrame, Detection, FieldOfView, ObjectClass, SensorEvidence } from "../../types";
import { checkExtrinsics, type Extrinsics } from "../common/extrinsics";
import { loadModel, modelFileError } from "../../runtime/modelFiles";
import { ConvModel } from "../common/ConvModel";
import { describeFrame, type Encoder, type EncoderDiagnostics } from "../common/types";
import { decodePeaks, headChannels, type HeadPeak } from "../lidar/centerNet";
import { backProject, fuseDepths, groundPlaneDepth, intrinsicsOf, lineOfSightCovariance, type Intrinsics } from "./geometry";
import { CAMERA_CLASSES, CAMERA_HEAD, CAMERA_INPUT, CAMERA_STRIDE } from "./model";
import { cameraInput, cameraQuality, frameDigest, type CameraInputLayout, type ImageStats } from "./preprocess";
import type { CameraEncoderConfig, CameraModelMetadata } from "./types";
import { resampleToVirtual, virtualCameraFor, type PixelRect, type VirtualCamera } from "./virtualCamera";
import { loadCardDetector } from "./coco/cocoDetector";
import { realCameraPath } from "./coco/realCameraPath";

export const CAMERA_ENCODER_NAME = "camera-centernet";

/** The simulator rig's front camera: optical frame (x right, y down, z forward) at (1.8, 0, 1.45) m. */
export const DEFAULT_CAMERA_EXTRINSICS: Extrinsics = {
  translation: { x: 1.8, y: 0, z: 1.45 },
  rotation: { x: -0.5, y: 0.5, z: -0.5, w: 0.5 },
};

/** The simulator's front camera intrinsics: 320×192, 80° horizontal field of view. */
export function defaultCameraCalibration(): CameraCalibration {
  const fx = CAMERA_INPUT.width / 2 / Math.tan((40 * Math.PI) / 180);
  const cx = CAMERA_INPUT.width / 2;
  const cy = CAMERA_INPUT.height / 2;
  return {
    kind: "cameraCalibration",
    topic: "(default)",
    stamp: 0n,
    frameId: "cam_front_optical",
    width: CAMERA_INPUT.width,
    height: CAMERA_INPUT.height,
    distortionModel: "plumb_bob",
    D: [0, 0, 0, 0, 0],
    K: [fx, 0, cx, 0, fx, cy, 0, 0, 1],
    R: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    P: [fx, 0, cx, 0, 0, fx, cy, 0, 0, 0, 1, 0],
  };
}

export type CameraEncoder = Encoder<CameraFrame> & {
  /**
   * Replaces the calibration (a CameraCalibration update): any size, K and distortion; an image
   * that is not the network's camera is resampled into it (virtualCamera.ts).
   */
  setCalibration(c: CameraCalibration): void;
  /** Replaces the ego ← optical transform (a /tf update). */
  setExtrinsics(e: Extrinsics): void;
};

/** Angular std of a detection centre (rad per pixel of error). */
const CENTRE_SIGMA_PX = 1.5;

/** One head peak → ego-frame detection, through intrinsics and extrinsics. */
export function cameraPeakToDetection(p: HeadPeak, k: Intrinsics, e: Extrinsics, depthCal: CameraModelMetadata["depth"]): Detection {
  const v = (p.row + p.reg[0]!) * CAMERA_STRIDE;
  const u = (p.col + p.reg[1]!) * CAMERA_STRIDE;
  const zNet = Math.exp(p.reg[2]!);
  const vBottom = v + p.reg[3]! * CAMERA_STRIDE;
  const size = { x: Math.exp(p.reg[6]!), y: Math.exp(p.reg[7]!), z: Math.exp(p.reg[8]!) };
  // Ground-plane range of the box's bottom edge (its nearest face), moved back by half the length.
  const zg = groundPlaneDepth(u, vBottom, k, e);
  const ground =
    zg === undefined || vBottom >= k.height - 1
      ? undefined
      : { depth: zg + size.x / 2, sigma: ((zg * zg) / (k.fy * e.translation.z)) * depthCal.bottomSigmaPx + 0.25 * size.x };
  const fused = fuseDepths({ depth: zNet, sigma: depthCal.sigmaRel * zNet }, ground);
  const position = backProject(u, v, fused.depth, k, e);
  const classProbabilities: Partial<Record<ObjectClass, number>> = {};
  CAMERA_CLASSES.forEach((c, i) => {
    classProbabilities[c] = p.classProbs[i]!;
  });
  return {
    position,
    positionCovariance: lineOfSightCovariance(position, e.translation, fused.sigma, CENTRE_SIGMA_PX / k.fx),
    size,
    classProbabilities,
    score: p.score,
  };
}

function checkMetadata(meta: unknown, where: string): CameraModelMetadata {
  const m = meta as Partial<CameraModelMetadata> | null;
  const shape = m?.input?.shape;
  if (
    !m ||
    m.kind !== "camera" ||
    !Array.isArray(shape) ||
    shape[0] !== CAMERA_INPUT.height ||
    shape[1] !== CAMERA_INPUT.width ||
    shape[2] !== 3
  ) {
    throw modelFileError(
      where,
      `expected camera metadata with input shape [${CAMERA_INPUT.height},${CAMERA_INPUT.width},3], got kind ${String(m?.kind)} shape ${JSON.stringify(shape)}`,
    );
  }
  if (!Array.isArray(m.classes) || m.classes.join(",") !== CAMERA_CLASSES.join(",")) {
    throw modelFileError(where, `expected classes ${CAMERA_CLASSES.join(",")}, got ${JSON.stringify(m.classes)}`);
  }
  if (
    !m.quality ||
    !(m.quality.clearContrast > m.quality.floorContrast) ||
    !m.depth ||
    !(m.depth.sigmaRel > 0) ||
    !(m.depth.bottomSigmaPx > 0)
  ) {
    throw modelFileError(where, "quality or depth calibration missing or not positive");
  }
  return m as CameraModelMetadata;
}

/**
 * Loads `models/camera` (or `config.dir`) through `config.files` and returns the encoder; with
 * `realCamera: "coco"` (the default) also the COCO detector for cameras other than the network's,
 * when its package is installed.
 */
export async function load(config: CameraEncoderConfig): Promise<CameraEncoder> {
  const dir = config.dir ?? "models/camera";
  const { model, metadata } = await loadModel(config.files, dir);
  const detectorDir = config.detectorDir ?? `${dir.replace(/\/[^/]*$/, "")}/camera-coco`;
  const coco =
    config.cocoDetector ?? ((config.realCamera ?? "coco") === "coco" ? await loadCardDetector(config.files, detectorDir) : undefined);
  return cameraEncoderFromModel(model, checkMetadata(metadata, `${dir}/metadata.json`), {
    ...config,
    ...(coco ? { cocoDetector: coco } : {}),
  });
}

/** The network's own camera: the simulator's, at the model's input size. */
const NETWORK_CAMERA: Intrinsics = intrinsicsOf(defaultCameraCalibration());

/** A calibration's intrinsics and, when it is not the network's camera, the virtual camera its images are resampled into. */
function checkCalibration(c: CameraCalibration): { intr: Intrinsics; vc: VirtualCamera | undefined } {
  if (!(Number.isInteger(c.width) && Number.isInteger(c.height) && c.width > 0 && c.height > 0))
    throw new RangeError(`camera calibration on ${c.topic}: size ${c.width}×${c.height}, expected positive integers`);
  const intr = intrinsicsOf(c);
  return { intr, vc: virtualCameraFor(c, intr, NETWORK_CAMERA) };
}

/**
 * An encoder around an in-memory model (training evaluation, tests); the encoder owns `model`.
 * Frames must be raw (rgb8, bgr8, rgba8, bgra8, mono8): decode JPEG/PNG with `decodeCameraFrame`.
 */
export function cameraEncoderFromModel(
  model: tf.LayersModel,
  metadata: CameraModelMetadata,
  config: Omit<CameraEncoderConfig, "files"> = {},
): CameraEncoder {
  let { intr, vc } = checkCalibration(config.calibration ?? defaultCameraCalibration());
  // A camera other than the network's goes to the COCO detector, when there is one.
  const real = realCameraPath(config.realCamera === "network" ? undefined : config.cocoDetector);
  real.calibrate(config.calibration ?? defaultCameraCalibration(), intr, vc !== undefined);
  let extr = checkExtrinsics(config.extrinsics ?? DEFAULT_CAMERA_EXTRINSICS, "camera encoder extrinsics");
  const threshold = config.scoreThreshold ?? 0.3;
  const maxDet = config.maxDetections ?? 64;
  const diag: EncoderDiagnostics = { frames: 0, skipped: 0 };
  const lastDigest = new Map<string, number>();
  const K = headChannels(CAMERA_HEAD);
  const per = CAMERA_INPUT.width * CAMERA_INPUT.height * 3;
  // The layers as one fused conv2d each (bit-identical to predict, ~1 ms less per frame on wasm);
  // optionally the stem on the space-to-depth image. A model that is not a plain conv chain runs
  // through predict.
  const net = new ConvModel(model, { spaceToDepthStem: config.spaceToDepthStem ?? false });
  const chain = net.chain;
  const layout = typeof chain !== "string" && chain.spaceToDepth ? "spaceToDepth" : "hwc";
  const inShape: [number, number, number] = typeof chain !== "string" ? chain.inputShape : [CAMERA_INPUT.height, CAMERA_INPUT.width, 3];
  // Input images live in one buffer reused across calls (tf.tensor copies it into the backend).
  let inputBuf = new Float32Array(per);
  // The virtual camera's image of each frame of a batch, when the calibration asks for one.
  let virtualBuf = new Uint8Array(per);

  const infer = (packed: number) => inferPacked(net, inputBuf, packed, per, inShape);

  const finish = (f: CameraFrame, p: Prepared, outs: Float32Array, inferMs: number): SensorEvidence => {
    const t = performance.now();
    const headSize = CAMERA_HEAD.height * CAMERA_HEAD.width * K;
    const { stats, frozen, slot } = p;
    const byDetector = real.detector;
    const peaks =
      frozen || byDetector ? [] : decodePeaks(CAMERA_HEAD, outs.subarray(slot * headSize, (slot + 1) * headSize), threshold, maxDet);
    const detections: Detection[] =
      byDetector && !frozen
        ? real.detect(f, extr)
        : peaks.map((pk) => cameraPeakToDetection(pk, vc?.intrinsics ?? intr, extr, metadata.depth));
    if (frozen) diag.lastSkipReason = `${describeFrame(f)}: identical to the previous frame (frozen camera), quality 0`;
    diag.frames++;
    return {
      sensorId: f.sensorId,
      kind: "camera",
      stamp: f.stamp,
      detections,
      quality: frozen ? 0 : cameraQuality(stats, metadata.quality),
      fieldOfView: cameraFieldOfView(vc ? vc.intrinsics : intr, extr, vc?.valid),
      encoder: { name: CAMERA_ENCODER_NAME, modelVersion: metadata.modelVersion, ...byDetector, backend: tf.getBackend() },
      timingMs: { preprocess: p.ms, infer: frozen ? 0 : inferMs, decode: performance.now() - t },
    };
  };

  return {
    name: CAMERA_ENCODER_NAME,
    modelVersion: metadata.modelVersion,
    setCalibration(c) {
      ({ intr, vc } = checkCalibration(c));
      real.calibrate(c, intr, vc !== undefined);
    },
    setExtrinsics(e) {
      extr = checkExtrinsics(e, "camera encoder extrinsics");
    },
    encode(frame) {
      return this.encodeBatch([frame])[0]!;
    },
    encodeBatch(frames) {
      if (net.disposed) throw new Error("camera encoder used after dispose()");
      if (frames.length === 0) return [];
      if (inputBuf.length < frames.length * per) inputBuf = new Float32Array(frames.length * per);
      if (vc && virtualBuf.length < frames.length * per) virtualBuf = new Uint8Array(frames.length * per);
      const { prepared, packed } = packFrames(frames, inputBuf, layout, lastDigest, vc && { vc, buf: virtualBuf });
      // The network runs only for its own camera; the COCO detector runs per frame in finish().
      const { outs, inferMs } = infer(real.detector ? 0 : packed);
      return frames.map((f, i) => finish(f, prepared[i]!, outs, inferMs));
    },
    diagnostics: () => ({ ...diag }),
    dispose: () => {
      net.dispose();
      real.dispose();
    },
  };
}

/** The network over the first `packed` images of `buf`: its outputs and the time per image. */
function inferPacked(
  net: ConvModel,
  buf: Float32Array,
  packed: number,
  per: number,
  inShape: [number, number, number],
): { outs: Float32Array; inferMs: number } {
  if (packed === 0) return { outs: new Float32Array(0), inferMs: 0 };
  const t1 = performance.now();
  const outs = tf.tidy(() => net.run(tf.tensor4d(buf.subarray(0, packed * per), [packed, ...inShape])).dataSync() as Float32Array);
  return { outs, inferMs: (performance.now() - t1) / packed };
}

type Prepared = { stats: ImageStats; frozen: boolean; slot: number; ms: number };

/**
 * The frames' network inputs, packed into `buf` one image after another. Frozen frames (identical
 * to their sensor's previous one, by `lastDigest`) give no detections: they are still checked,
 * but take no slot in the batch. `packed` is the number of images in it.
 */
function packFrames(
  frames: readonly CameraFrame[],
  buf: Float32Array,
  layout: CameraInputLayout,
  lastDigest: Map<string, number>,
  virtual?: { vc: VirtualCamera; buf: Uint8Array },
): { prepared: Prepared[]; packed: number } {
  const per = CAMERA_INPUT.width * CAMERA_INPUT.height * 3;
  let packed = 0;
  const prepared = frames.map((f, i) => {
    const t = performance.now();
    const slot = packed;
    const input = virtual ? resampleToVirtual(f, virtual.vc, virtual.buf.subarray(i * per, (i + 1) * per)) : f;
    const stats = cameraInput(input, CAMERA_INPUT, buf.subarray(slot * per, (slot + 1) * per), layout, virtual?.vc.valid);
    const digest = frameDigest(f.data);
    const frozen = lastDigest.get(f.sensorId) === digest;
    lastDigest.set(f.sensorId, digest);
    if (!frozen) packed++;
    return { stats, frozen, slot, ms: performance.now() - t };
  });
  return { prepared, packed };
}

/**
 * What the camera sees: the image's horizontal extent through the intrinsics, from its position
 * (for a virtual camera, the columns the real image covers).
 */
function cameraFieldOfView(intr: Intrinsics, extr: Extrinsics, valid?: PixelRect): FieldOfView {
  const [left, right] = valid ? [valid.x0, valid.x1] : [0, intr.width];
  return {
    originX: extr.translation.x,
    originY: extr.translation.y,
    azimuthMinRad: -Math.atan2(right - intr.cx, intr.fx),
    azimuthMaxRad: Math.atan2(intr.cx - left, intr.fx),
    maxRangeM: 80,
  };
}

/** Same as `load`, under the name the other encoders use (`loadRadarEncoder`, ...). */
export const loadCameraEncoder = load;
