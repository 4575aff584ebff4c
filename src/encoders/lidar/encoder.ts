import * as tf from "@tensorflow/tfjs";
import { POINT_STRIDE, type Detection, type FieldOfView, type ObjectClass, type PointCloudFrame, type SensorEvidence } from "../../types";
import { checkExtrinsics, type Extrinsics } from "../common/extrinsics";
import { loadModel, modelFileError } from "../../runtime/modelFiles";
import { ConvModel } from "../common/ConvModel";
import { describeFrame, type Encoder, type EncoderDiagnostics } from "../common/types";
import { BadInputError } from "../../types/errors";
import { decodePeaks, headChannels, type HeadPeak } from "./centerNet";
import { LIDAR_CLASSES, LIDAR_HEAD, LIDAR_STRIDE } from "./model";
import { BEV, BEV_Y_HALF, COVERAGE_SECTORS, pointsToBev, type ReturnStats } from "./preprocess";
import type { LidarEncoderConfig, LidarModelMetadata } from "./types";

/** Where the simulator's rig mounts the LiDAR (ego ← lidar_top), used when no extrinsics are given. */
export const DEFAULT_LIDAR_EXTRINSICS: Extrinsics = { translation: { x: 1.2, y: 0, z: 1.9 }, rotation: { x: 0, y: 0, z: 0, w: 1 } };

export const LIDAR_ENCODER_NAME = "lidar-bev-centernet";

export type LidarEncoder = Encoder<PointCloudFrame> & {
  /** Replaces the ego ← lidar transform (from a /tf update). */
  setExtrinsics(e: Extrinsics): void;
};

/** Peaks of one head output → ego-frame detections. */
export function lidarPeaksToDetections(peaks: readonly HeadPeak[]): Detection[] {
  return peaks.map((p) => {
    const bevRow = (p.row + p.reg[0]!) * LIDAR_STRIDE;
    const bevCol = (p.col + p.reg[1]!) * LIDAR_STRIDE;
    const x = BEV.xMin + bevRow * BEV.cell;
    const y = BEV_Y_HALF - bevCol * BEV.cell;
    const size = { x: Math.exp(p.reg[2]!), y: Math.exp(p.reg[3]!), z: Math.exp(p.reg[4]!) };
    const yawRad = 0.5 * Math.atan2(p.reg[5]!, p.reg[6]!);
    const range = Math.hypot(x, y);
    // Centre error: cell quantisation and the unseen far side of the object, growing with range
    // as the beams thin out.
    const sxy = (0.25 + 0.01 * range) ** 2;
    const classProbabilities: Partial<Record<ObjectClass, number>> = {};
    LIDAR_CLASSES.forEach((c, k) => {
      classProbabilities[c] = p.classProbs[k]!;
    });
    return {
      position: { x, y, z: size.z / 2 },
      positionCovariance: [sxy, 0, 0, 0, sxy, 0, 0, 0, 0.25],
      size,
      yawRad,
      classProbabilities,
      score: p.score,
    };
  });
}

/**
 * Sweep quality from return statistics, independent of the LiDAR's resolution:
 * - the fraction of its own returns that lie beyond 30 m, relative to a clear-air sweep's (fog
 *   removes far returns first); a coarser or finer unit scales near and far returns alike;
 * - the fraction of the forward azimuth sectors it covers, of those it covers when unblocked
 *   (`expectedSectors`: the widest coverage the sensor has shown; a partial field of view, as
 *   KITTI's sweeps cropped to the camera's, is normal, a sector going dark is a blocked window);
 * - 1 − fog backscatter: the fraction of returns airborne within 12 m, at full scale.
 */
export function lidarQuality(stats: ReturnStats, calib: LidarModelMetadata["quality"], expectedSectors = COVERAGE_SECTORS): number {
  if (stats.valid === 0) return 0;
  const farTerm = Math.min(1, stats.far / stats.valid / calib.farFractionClear);
  const coverage = Math.min(1, stats.sectorsSeen / Math.max(1, expectedSectors));
  const backscatter = Math.min(1, stats.nearAirborne / stats.valid / calib.backscatterFullScale);
  return Math.max(0, Math.min(1, farTerm * coverage * (1 - backscatter)));
}

function checkMetadata(meta: unknown, where: string): LidarModelMetadata {
  const m = meta as Partial<LidarModelMetadata> | null;
  const shape = m?.input?.shape;
  if (!m || m.kind !== "lidar" || !Array.isArray(shape) || shape[0] !== BEV.rows || shape[1] !== BEV.cols || shape[2] !== BEV.channels) {
    throw modelFileError(
      where,
      `expected LiDAR metadata with input shape [${BEV.rows},${BEV.cols},${BEV.channels}], got kind ${String(m?.kind)} shape ${JSON.stringify(shape)}`,
    );
  }
  if (!Array.isArray(m.classes) || m.classes.join(",") !== LIDAR_CLASSES.join(",")) {
    throw modelFileError(where, `expected classes ${LIDAR_CLASSES.join(",")}, got ${JSON.stringify(m.classes)}`);
  }
  if (!m.quality || !(m.quality.farFractionClear > 0 && m.quality.farFractionClear <= 1) || !(m.quality.backscatterFullScale > 0)) {
    throw modelFileError(
      where,
      `quality calibration missing or out of range: expected 0 < farFractionClear ≤ 1 and backscatterFullScale > 0, got ${JSON.stringify(m.quality)}`,
    );
  }
  return m as LidarModelMetadata;
}

/** Loads `models/lidar` (or `config.dir`) through `config.files` and returns the encoder. */
export async function load(config: LidarEncoderConfig): Promise<LidarEncoder> {
  const dir = config.dir ?? "models/lidar";
  const { model, metadata } = await loadModel(config.files, dir);
  return lidarEncoderFromModel(model, checkMetadata(metadata, `${dir}/metadata.json`), config);
}

/** An encoder around an in-memory model (training evaluation, tests). The encoder owns `model`. */
export function lidarEncoderFromModel(
  model: tf.LayersModel,
  metadata: LidarModelMetadata,
  config: Omit<LidarEncoderConfig, "files"> = {},
): LidarEncoder {
  let extrinsics = checkExtrinsics(config.extrinsics ?? DEFAULT_LIDAR_EXTRINSICS, "lidar encoder extrinsics");
  const threshold = config.scoreThreshold ?? 0.3;
  const maxDet = config.maxDetections ?? 64;
  const diag: EncoderDiagnostics = { frames: 0, skipped: 0 };
  const K = headChannels(LIDAR_HEAD);

  const perGrid = BEV.rows * BEV.cols * BEV.channels;
  // The layers as one fused conv2d each, bit-identical to predict (src/runtime/convChain.ts).
  const net = new ConvModel(model);
  // The input grids live in one buffer reused across calls (tf.tensor copies it into the backend).
  let inputBuf = new Float32Array(perGrid);

  const prepare = (frame: PointCloudFrame, out: Float32Array): { stats: ReturnStats; ms: number } => {
    if (net.disposed) throw new Error("lidar encoder used after dispose()");
    const t0 = performance.now();
    checkCloudSize(frame);
    const { stats } = pointsToBev(frame.points, frame.count, extrinsics, out);
    if (frame.count > 0 && stats.valid === 0) {
      throw new BadInputError({
        where: describeFrame(frame),
        what: `all ${frame.count} points are NaN or infinite; expected finite x, y, z`,
      });
    }
    if (stats.invalid > 0) {
      diag.skipped += stats.invalid;
      diag.lastSkipReason = `${describeFrame(frame)}: ${stats.invalid} of ${frame.count} points not finite`;
    }
    if (frame.count === 0) diag.lastSkipReason = `${describeFrame(frame)}: empty cloud (quality 0)`;
    return { stats, ms: performance.now() - t0 };
  };

  // The widest forward coverage this sensor has shown: its own field of view (lidarQuality).
  let widest = 0;
  const finish = (frame: PointCloudFrame, out: Float32Array, stats: ReturnStats, timing: Record<string, number>): SensorEvidence => {
    const t0 = performance.now();
    widest = Math.max(widest, stats.sectorsSeen);
    const detections = stats.valid === 0 ? [] : lidarPeaksToDetections(decodePeaks(LIDAR_HEAD, out, threshold, maxDet));
    timing.decode = performance.now() - t0;
    diag.frames++;
    return {
      sensorId: frame.sensorId,
      kind: "lidar",
      stamp: frame.stamp,
      detections,
      quality: lidarQuality(stats, metadata.quality, widest),
      fieldOfView: lidarFieldOfView(extrinsics),
      encoder: { name: LIDAR_ENCODER_NAME, modelVersion: metadata.modelVersion, backend: tf.getBackend() },
      timingMs: timing,
    };
  };

  const infer = (n: number): Float32Array[] =>
    tf.tidy(() => {
      const x = tf.tensor4d(inputBuf.subarray(0, n * perGrid), [n, BEV.rows, BEV.cols, BEV.channels]);
      const y = net.run(x);
      // dataSync returns a fresh copy of the backend's memory: views into it stay valid.
      const all = y.dataSync() as Float32Array;
      const per = LIDAR_HEAD.height * LIDAR_HEAD.width * K;
      return Array.from({ length: n }, (_, i) => all.subarray(i * per, (i + 1) * per));
    });

  return {
    name: LIDAR_ENCODER_NAME,
    modelVersion: metadata.modelVersion,
    setExtrinsics(e) {
      extrinsics = checkExtrinsics(e, "lidar encoder extrinsics");
    },
    encode(frame) {
      return this.encodeBatch([frame])[0]!;
    },
    encodeBatch(frames) {
      if (frames.length === 0) return [];
      if (inputBuf.length < frames.length * perGrid) inputBuf = new Float32Array(frames.length * perGrid);
      const prepared = frames.map((f, i) => prepare(f, inputBuf.subarray(i * perGrid, (i + 1) * perGrid)));
      const t0 = performance.now();
      const outs = infer(frames.length);
      const inferMs = (performance.now() - t0) / frames.length;
      return frames.map((f, i) => finish(f, outs[i]!, prepared[i]!.stats, { preprocess: prepared[i]!.ms, infer: inferMs }));
    },
    diagnostics: () => ({ ...diag }),
    dispose: () => net.dispose(),
  };
}

/** A cloud whose points array is shorter than its count says cannot be read at all. */
function checkCloudSize(frame: PointCloudFrame): void {
  if (!Number.isInteger(frame.count) || frame.count < 0 || frame.points.length < frame.count * POINT_STRIDE) {
    throw new BadInputError({
      where: describeFrame(frame),
      what: `expected ${frame.count} points × ${POINT_STRIDE} floats, got ${frame.points.length} floats`,
    });
  }
}

/** The grid's view: the half-plane ahead of the LiDAR, out to the grid's far edge. */
function lidarFieldOfView(extrinsics: Extrinsics): FieldOfView {
  return {
    originX: extrinsics.translation.x,
    originY: extrinsics.translation.y,
    azimuthMinRad: -Math.PI / 2,
    azimuthMaxRad: Math.PI / 2,
    maxRangeM: BEV.xMin + BEV.rows * BEV.cell,
  };
}

/** Same as `load`, under the name the other encoders use (`loadRadarEncoder`, ...). */
export const loadLidarEncoder = load;
