import * as tf from "@tensorflow/tfjs";
import { runBatched } from "../../runtime/tensors";
import type { Detection, ObjectClass, RadarFrame, RadarObject, SensorEvidence } from "../../types";
import { checkExtrinsics, rotate, rotateCovariance, rotationMatrix, transformPoint, yawOf, type Extrinsics } from "../common/extrinsics";
import { parseMetadata } from "../common/metadata";
import { loadModel, type ModelFiles } from "../../runtime/modelFiles";
import { describeFrame, EncoderInputError, type Encoder, type EncoderDiagnostics } from "../common/types";
import { radarEncoderConfigSchema, type RadarEncoderConfig, type RadarEncoderConfigInput } from "./config";
import { RADAR_FEATURE_COUNT, detectionUsable, nearbyDetections, objectProblem, standardize, trackFeatures } from "./features";
import { radarMetadataSchema, type RadarModelMetadata } from "./metadata";
import { RADAR_CLASSES } from "./model";
import { radarQuality } from "./quality";

export const RADAR_ENCODER_NAME = "radar-track-mlp";

/**
 * Expected distance (m) from a track's reference point (the mean of the returns, on the faces
 * turned towards the radar) to the box centre, along the line of sight, per class.
 */
export const HALF_DEPTH_M: Record<(typeof RADAR_CLASSES)[number], number> = { vehicle: 1.8, pedestrian: 0.2, cyclist: 0.5, clutter: 0 };

const VEHICLE_SUBCLASSES: readonly ObjectClass[] = ["car", "truck", "motorcycle"];

export type RadarEncoder = Encoder<RadarFrame> & {
  /** Replaces the ego ← radar transform (e.g. on a /tf update). */
  setExtrinsics(e: Extrinsics): void;
  readonly metadata: RadarModelMetadata;
};

/** Loads models/radar (through `files`) and returns a ready encoder. */
export async function loadRadarEncoder(config: RadarEncoderConfigInput & { files: ModelFiles }): Promise<RadarEncoder> {
  const cfg = radarEncoderConfigSchema.parse(config);
  const { model, metadata } = await loadModel(config.files, cfg.modelDir);
  return createRadarEncoder(model, parseMetadata(radarMetadataSchema, metadata, `${cfg.modelDir}/metadata.json`), cfg);
}

/** An encoder around an in-memory model (after training, in tests). Takes ownership of `model`. */
export function createRadarEncoder(model: tf.LayersModel, metadata: RadarModelMetadata, config: RadarEncoderConfigInput): RadarEncoder {
  const cfg: RadarEncoderConfig = radarEncoderConfigSchema.parse(config);
  let ext = checkExtrinsics(cfg.extrinsics, "radar encoder extrinsics");
  let R = rotationMatrix(ext.rotation);
  let yaw = yawOf(ext.rotation);
  const diag: EncoderDiagnostics = { frames: 0, skipped: 0 };
  const { mean, std } = metadata.input;
  let disposed = false;

  const skip = (reason: string): void => {
    diag.skipped++;
    diag.lastSkipReason = reason;
  };

  type Prepared = { frame: RadarFrame; objects: RadarObject[]; near: number[][]; rows: Float32Array[]; prepMs: number };

  const prepare = (frame: RadarFrame): Prepared => {
    if (disposed) throw new Error("radar encoder: used after dispose()");
    const t0 = performance.now();
    if (
      frame === null ||
      typeof frame !== "object" ||
      frame.kind !== "radar" ||
      !Array.isArray(frame.objects) ||
      !Array.isArray(frame.detections)
    ) {
      const what = frame && typeof frame === "object" ? `a ${String((frame as { kind?: unknown }).kind)} frame` : String(frame);
      throw new EncoderInputError(`radar encoder: expected a RadarFrame with detections[] and objects[], got ${what}`);
    }
    const objects: RadarObject[] = [];
    for (const o of frame.objects) {
      const problem = objectProblem(o);
      if (problem) skip(`${describeFrame(frame)}: ${problem}; skipped`);
      else objects.push(o);
    }
    for (let i = 0; i < frame.detections.length; i++) {
      if (!detectionUsable(frame.detections[i]!)) skip(`${describeFrame(frame)}: detection ${i} has a non-finite field; skipped`);
    }
    const near = nearbyDetections(frame, objects);
    const rows = objects.map((o, i) => standardize(trackFeatures(frame, o, near[i]!), mean, std));
    return { frame, objects, near, rows, prepMs: performance.now() - t0 };
  };

  const finish = (p: Prepared, probs: Float32Array[], inferMs: number): SensorEvidence => {
    const t0 = performance.now();
    const { frame, objects, near } = p;
    const detections: Detection[] = [];
    objects.forEach((o, i) => {
      const pr = probs[i]!;
      const [pV, pP, pC, pClutter] = [pr[0]!, pr[1]!, pr[2]!, pr[3]!];
      const score = 1 - pClutter;
      if (score < cfg.minScore) return;
      detections.push(toDetection(frame, o, near[i]!, pV, pP, pC, score));
    });
    const q = radarQuality(frame);
    diag.frames++;
    const fov = cfg.fieldOfView;
    const wrap = (a: number): number => Math.atan2(Math.sin(a), Math.cos(a));
    return {
      sensorId: frame.sensorId,
      kind: "radar",
      stamp: frame.stamp,
      detections,
      quality: q.quality,
      ...(fov
        ? {
            fieldOfView: {
              originX: ext.translation.x,
              originY: ext.translation.y,
              azimuthMinRad: wrap(yaw - (fov.azimuthHalfWidthDeg * Math.PI) / 180),
              azimuthMaxRad: wrap(yaw + (fov.azimuthHalfWidthDeg * Math.PI) / 180),
              maxRangeM: fov.maxRangeM,
            },
          }
        : {}),
      encoder: { name: RADAR_ENCODER_NAME, modelVersion: metadata.modelVersion, backend: tf.getBackend() },
      timingMs: { preprocess: p.prepMs, infer: inferMs, postprocess: performance.now() - t0 },
    };
  };

  const toDetection = (frame: RadarFrame, o: RadarObject, near: number[], pV: number, pP: number, pC: number, score: number): Detection => {
    let pos = transformPoint(R, ext.translation, o.position);
    const losX = pos.x - ext.translation.x;
    const losY = pos.y - ext.translation.y;
    const range = Math.hypot(losX, losY);
    const real = Math.max(1e-6, score);
    const halfDepth = (pV * HALF_DEPTH_M.vehicle + pP * HALF_DEPTH_M.pedestrian + pC * HALF_DEPTH_M.cyclist) / real;
    const covSensor = [o.positionStd.x ** 2, 0, 0, 0, o.positionStd.y ** 2, 0, 0, 0, Math.max(o.positionStd.z, 0) ** 2];
    const cov = rotateCovariance(R, covSensor);
    if (cfg.centreOffset && range > 1e-6) {
      const ux = losX / range;
      const uy = losY / range;
      pos = { x: pos.x + ux * halfDepth, y: pos.y + uy * halfDepth, z: pos.z };
      // Uncertainty of the offset (about half of it) along the line of sight.
      const v = (0.5 * halfDepth) ** 2;
      cov[0]! += v * ux * ux;
      cov[1]! += v * ux * uy;
      cov[3]! += v * ux * uy;
      cov[4]! += v * uy * uy;
    }
    // Polar measurement noise of the returns behind the track: J·diag(σr², σθ²)·Jᵀ (ego axes), as a floor.
    let rr = 0;
    let rrVar = 0;
    let rSum = 0;
    let sr2 = 0;
    let sa2 = 0;
    for (const i of near) {
      const d = frame.detections[i]!;
      rr += d.rangeRateMps;
      rrVar += Number.isFinite(d.rangeRateStdMps) ? d.rangeRateStdMps ** 2 : 1;
      rSum += d.rangeM;
      sr2 += Number.isFinite(d.rangeStdM) ? d.rangeStdM ** 2 : 1;
      sa2 += Number.isFinite(d.azimuthStdRad) ? d.azimuthStdRad ** 2 : 1e-4;
    }
    const n = near.length;
    const bearing = Math.atan2(o.position.y, o.position.x) + yaw;
    if (n > 0) {
      const r = rSum / n;
      const c = Math.cos(bearing);
      const s = Math.sin(bearing);
      const vr = sr2 / n;
      const va = (r * r * sa2) / n;
      const polar = [c * c * vr + s * s * va, c * s * (vr - va), s * c * (vr - va), s * s * vr + c * c * va];
      cov[0] = Math.max(cov[0]!, polar[0]!);
      cov[4] = Math.max(cov[4]!, polar[3]!);
    }
    const vel = rotate(R, o.velocity);
    const vStd = o.velocityStd;
    const vCov = rotateCovariance(R, [vStd.x ** 2, 0, 0, 0, vStd.y ** 2, 0, 0, 0, Math.max(vStd.z, 0) ** 2]);
    const classProbabilities: Partial<Record<ObjectClass, number>> = {};
    // The network separates vehicles from vulnerable road users; the radar's own sub-class split of vehicles is kept.
    const sub = VEHICLE_SUBCLASSES.map((c) => Math.max(0, o.classProbabilities[c] ?? 0));
    const subSum = sub.reduce((a, b) => a + b, 0);
    const vehicle = pV / real;
    VEHICLE_SUBCLASSES.forEach((c, k) => {
      const share = subSum > 0 ? sub[k]! / subSum : c === "car" ? 1 : 0;
      if (share > 0) classProbabilities[c] = vehicle * share;
    });
    classProbabilities.pedestrian = pP / real;
    classProbabilities.cyclist = pC / real;
    const det: Detection = {
      position: pos,
      positionCovariance: cov,
      velocity: { value: vel, covariance: [vCov[0]!, vCov[1]!, vCov[3]!, vCov[4]!], reference: "ground" },
      classProbabilities,
      score,
    };
    if (n > 0) {
      det.rangeRate = {
        rangeRateMps: rr / n,
        variance: rrVar / n / n,
        rangeM: rSum / n,
        bearingRad: bearing,
        sensorPosition: { x: ext.translation.x, y: ext.translation.y },
      };
    }
    if (Math.hypot(o.velocity.x, o.velocity.y) > 1 && Number.isFinite(o.yawRad)) det.yawRad = o.yawRad + yaw;
    return det;
  };

  const infer = (prepared: Prepared[]): { probs: Float32Array[][]; ms: number } => {
    const t0 = performance.now();
    const all = prepared.flatMap((p) => p.rows);
    const out = all.length === 0 ? [] : runBatched(all, [RADAR_FEATURE_COUNT], cfg.maxBatch, (x) => model.predict(x) as tf.Tensor);
    const probs: Float32Array[][] = [];
    let k = 0;
    for (const p of prepared) {
      probs.push(out.slice(k, k + p.rows.length));
      k += p.rows.length;
    }
    return { probs, ms: performance.now() - t0 };
  };

  return {
    name: RADAR_ENCODER_NAME,
    modelVersion: metadata.modelVersion,
    metadata,
    encode(frame) {
      const p = prepare(frame);
      const { probs, ms } = infer([p]);
      return finish(p, probs[0]!, ms);
    },
    encodeBatch(frames) {
      const ps = frames.map(prepare);
      const { probs, ms } = infer(ps);
      return ps.map((p, i) => finish(p, probs[i]!, ms / Math.max(1, ps.length)));
    },
    setExtrinsics(e) {
      ext = checkExtrinsics(e, "radar encoder extrinsics");
      R = rotationMatrix(ext.rotation);
      yaw = yawOf(ext.rotation);
    },
    diagnostics: () => ({ ...diag }),
    dispose() {
      if (!disposed) model.dispose();
      disposed = true;
    },
  };
}
