import * as tf from "@tensorflow/tfjs";
import { runBatched } from "../../runtime/tensors";
import type { Detection, FieldOfView, RadarFrame, RadarObject, SensorEvidence } from "../../types";
import { checkExtrinsics, rotationMatrix, yawOf, type Extrinsics } from "../common/extrinsics";
import { parseMetadata } from "../common/metadata";
import { loadModel, type ModelFiles } from "../../runtime/modelFiles";
import { batchedEncode } from "../common/batchedEncode";
import { describeFrame, type Encoder, type EncoderDiagnostics } from "../common/types";
import { BadInputError } from "../../types/errors";
import { radarEncoderConfigSchema, type RadarEncoderConfig, type RadarEncoderConfigInput } from "./config";
import { RADAR_FEATURE_COUNT, detectionUsable, nearbyDetections, objectProblem, standardize, trackFeatures } from "./features";
import { radarMetadataSchema, type RadarModelMetadata } from "./metadata";
import { radarQuality } from "./quality";
import { trackDetection, type RadarMount } from "./trackDetection";

export const RADAR_ENCODER_NAME = "radar-track-mlp";

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

  const prepare = (frame: RadarFrame): Prepared => {
    if (disposed) throw new Error("radar encoder: used after dispose()");
    const t0 = performance.now();
    const objects = usableObjects(frame, skip);
    const near = nearbyDetections(frame, objects);
    const rows = objects.map((o, i) => standardize(trackFeatures(frame, o, near[i]!), mean, std));
    return { frame, objects, near, rows, prepMs: performance.now() - t0 };
  };

  const finish = (p: Prepared, probs: Float32Array[], inferMs: number): SensorEvidence => {
    const t0 = performance.now();
    const { frame, objects, near } = p;
    const mount: RadarMount = { R, translation: ext.translation, yaw };
    const detections: Detection[] = [];
    objects.forEach((o, i) => {
      const pr = probs[i]!;
      const [pV, pP, pC, pClutter] = [pr[0]!, pr[1]!, pr[2]!, pr[3]!];
      const score = 1 - pClutter;
      if (score < cfg.minScore) return;
      detections.push(trackDetection(frame, o, near[i]!, { pV, pP, pC, score }, mount, cfg.centreOffset));
    });
    const q = radarQuality(frame);
    diag.frames++;
    const fov = cfg.fieldOfView;
    // Returns without tracks (radar_msgs RadarScan, an ARS548 detection list) say nothing about
    // objects, since the network scores tracks: such evidence covers no area, so the tracker reads it
    // as "out of view" for every track instead of as a miss that lowers their existence. (A frame
    // with neither, an empty track list, is a radar that sees nothing: misses are right.)
    const returnsOnly = frame.objects.length === 0 && frame.detections.length > 0;
    const view = returnsOnly ? nothingInView(ext) : fov ? radarFieldOfView(ext, yaw, fov) : undefined;
    return {
      sensorId: frame.sensorId,
      kind: "radar",
      stamp: frame.stamp,
      detections,
      quality: q.quality,
      ...(view ? { fieldOfView: view } : {}),
      encoder: { name: RADAR_ENCODER_NAME, modelVersion: metadata.modelVersion, backend: tf.getBackend() },
      timingMs: { preprocess: p.prepMs, infer: inferMs, postprocess: performance.now() - t0 },
    };
  };

  const infer = (prepared: Prepared[]): { outputs: Float32Array[][]; ms: number } => {
    const t0 = performance.now();
    const all = prepared.flatMap((p) => p.rows);
    const out = all.length === 0 ? [] : runBatched(all, [RADAR_FEATURE_COUNT], cfg.maxBatch, (x) => model.predict(x) as tf.Tensor);
    const outputs: Float32Array[][] = [];
    let k = 0;
    for (const p of prepared) {
      outputs.push(out.slice(k, k + p.rows.length));
      k += p.rows.length;
    }
    return { outputs, ms: performance.now() - t0 };
  };

  return {
    name: RADAR_ENCODER_NAME,
    modelVersion: metadata.modelVersion,
    metadata,
    ...batchedEncode({ prepare, infer, finish }),
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

type Prepared = { frame: RadarFrame; objects: RadarObject[]; near: number[][]; rows: Float32Array[]; prepMs: number };

/**
 * The frame's tracks the network can take; malformed tracks and detections are skipped (and
 * noted), a frame that is not a radar frame at all is a BadInputError.
 */
function usableObjects(frame: RadarFrame, skip: (reason: string) => void): RadarObject[] {
  if (
    frame === null ||
    typeof frame !== "object" ||
    frame.kind !== "radar" ||
    !Array.isArray(frame.objects) ||
    !Array.isArray(frame.detections)
  ) {
    const what = frame && typeof frame === "object" ? `a ${String((frame as { kind?: unknown }).kind)} frame` : String(frame);
    throw new BadInputError({ where: "radar encoder", what: `expected a RadarFrame with detections[] and objects[], got ${what}` });
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
  return objects;
}

/** A field of view that covers nothing (zero range at the radar's position). */
function nothingInView(ext: Extrinsics): FieldOfView {
  return { originX: ext.translation.x, originY: ext.translation.y, azimuthMinRad: 0, azimuthMaxRad: 0, maxRangeM: 0 };
}

/** The configured field of view, from the radar's position and yaw in the ego frame. */
function radarFieldOfView(ext: Extrinsics, yaw: number, fov: NonNullable<RadarEncoderConfig["fieldOfView"]>): FieldOfView {
  const wrap = (a: number): number => Math.atan2(Math.sin(a), Math.cos(a));
  return {
    originX: ext.translation.x,
    originY: ext.translation.y,
    azimuthMinRad: wrap(yaw - (fov.azimuthHalfWidthDeg * Math.PI) / 180),
    azimuthMaxRad: wrap(yaw + (fov.azimuthHalfWidthDeg * Math.PI) / 180),
    maxRangeM: fov.maxRangeM,
  };
}
