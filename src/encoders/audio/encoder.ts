import * as tf from "@tensorflow/tfjs";
import { runBatched } from "../../runtime/tensors";
import type { AcousticHazard, AudioFrame, SensorEvidence } from "../../types";
import { checkExtrinsics, yawOf } from "../common/extrinsics";
import { parseMetadata } from "../common/metadata";
import { loadModel, type ModelFiles } from "../../runtime/modelFiles";
import { batchedEncode } from "../common/batchedEncode";
import { type Encoder, type EncoderDiagnostics } from "../common/types";
import { BadInputError } from "../../types/errors";
import { audioEncoderConfigSchema, type AudioEncoderConfigInput } from "./config";
import { AudioHistory, windowFeatures, type AudioWindowFeatures, type AudioWindowOptions } from "./features";
import { audioMetadataSchema, type AudioModelMetadata } from "./metadata";
import { AUDIO_CLASSES } from "./model";
import { audioQuality } from "./quality";

export const AUDIO_ENCODER_NAME = "audio-event-cnn";
const SIREN = AUDIO_CLASSES.indexOf("siren");
const HORN = AUDIO_CLASSES.indexOf("horn");

export type AudioEncoder = Encoder<AudioFrame> & {
  readonly metadata: AudioModelMetadata;
  /** Forgets every sensor's audio history (after a seek). */
  reset(): void;
};

/** Loads models/audio (through `files`) and returns a ready encoder. */
export async function loadAudioEncoder(config: AudioEncoderConfigInput & { files: ModelFiles }): Promise<AudioEncoder> {
  const cfg = audioEncoderConfigSchema.parse(config);
  const { model, metadata } = await loadModel(config.files, cfg.modelDir);
  return createAudioEncoder(model, parseMetadata(audioMetadataSchema, metadata, `${cfg.modelDir}/metadata.json`), cfg);
}

type Prepared = { frame: AudioFrame; f: AudioWindowFeatures; prepMs: number };

/**
 * The sirens and horns heard above their thresholds, with the bearing (computed only then: it is
 * the costly part) turned from the microphone pair's frame into the ego frame.
 */
function heardHazards(
  probs: Float32Array,
  f: AudioWindowFeatures,
  thresholds: { siren: number; horn: number },
  yaw: number,
): AcousticHazard[] {
  const hazards: AcousticHazard[] = [];
  const heard = probs[SIREN]! >= thresholds.siren || probs[HORN]! >= thresholds.horn;
  const bearing = heard ? f.computeBearing() : null;
  const inEgo = (b: number | null): number | null => (b === null ? null : Math.atan2(Math.sin(b + yaw), Math.cos(b + yaw)));
  const hazard = (kind: AcousticHazard["kind"], probability: number): AcousticHazard => ({
    kind,
    probability,
    bearingRad: inEgo(bearing?.bearingRad ?? null),
    mirroredBearingRad: inEgo(bearing?.mirroredBearingRad ?? null),
    bearingConfidence: bearing?.confidence ?? 0,
  });
  if (probs[SIREN]! >= thresholds.siren) hazards.push(hazard("siren", probs[SIREN]!));
  if (probs[HORN]! >= thresholds.horn) hazards.push(hazard("horn", probs[HORN]!));
  return hazards;
}

/**
 * An encoder around an in-memory model. Takes ownership of `model`. The encoder keeps, per
 * sensor, the last `bearingMs` of audio (features.ts says why); frames of one sensor must come in
 * stamp order, and a gap starts its history afresh.
 */
export function createAudioEncoder(
  model: tf.LayersModel,
  metadata: AudioModelMetadata,
  config: AudioEncoderConfigInput = {},
): AudioEncoder {
  const cfg = audioEncoderConfigSchema.parse(config);
  const ext = checkExtrinsics(cfg.extrinsics, "audio encoder extrinsics");
  const yaw = yawOf(ext.rotation);
  const inp = metadata.input;
  const window: AudioWindowOptions = {
    classifierMs: inp.classifierMs,
    bearingMs: inp.bearingMs,
    frontEnd: { logMel: inp.logMel, micSpacingM: cfg.micSpacingM ?? inp.micSpacingM, speedOfSoundMps: inp.speedOfSoundMps },
  };
  const thresholds = { siren: cfg.sirenThreshold ?? metadata.sirenThreshold, horn: cfg.hornThreshold ?? metadata.hornThreshold };
  const histories = new Map<string, AudioHistory>();
  const diag: EncoderDiagnostics = { frames: 0, skipped: 0 };
  let disposed = false;

  const prepare = (frame: AudioFrame): Prepared => {
    if (disposed) throw new Error("audio encoder: used after dispose()");
    if (frame === null || typeof frame !== "object" || frame.kind !== "audio") {
      const what = frame && typeof frame === "object" ? `a ${String((frame as { kind?: unknown }).kind)} frame` : String(frame);
      throw new BadInputError({ where: "audio encoder", what: `expected an AudioFrame, got ${what}` });
    }
    const t0 = performance.now();
    let h = histories.get(frame.sensorId);
    if (!h) {
      h = new AudioHistory(window.bearingMs);
      histories.set(frame.sensorId, h);
    }
    // The bearing is computed in finish(), only when a hazard is heard.
    const f = windowFeatures(frame, h, window, false);
    return { frame, f, prepMs: performance.now() - t0 };
  };

  const finish = (p: Prepared, probs: Float32Array, inferMs: number): SensorEvidence => {
    const { frame, f } = p;
    const t0 = performance.now();
    const hazards = heardHazards(probs, f, thresholds, yaw);
    diag.frames++;
    return {
      sensorId: frame.sensorId,
      kind: "audio",
      stamp: frame.stamp,
      detections: [],
      hazards,
      quality: audioQuality(f.levelDbfs, f.clippedFraction),
      encoder: { name: AUDIO_ENCODER_NAME, modelVersion: metadata.modelVersion, backend: tf.getBackend() },
      timingMs: { preprocess: p.prepMs, infer: inferMs, bearing: performance.now() - t0 },
    };
  };

  const infer = (ps: Prepared[]): { outputs: Float32Array[]; ms: number } => {
    const t0 = performance.now();
    const outputs = runBatched(
      ps.map((p) => p.f.input),
      [inp.frames, inp.mels, 1],
      32,
      (x) => model.predict(x) as tf.Tensor,
    );
    return { outputs, ms: performance.now() - t0 };
  };

  return {
    name: AUDIO_ENCODER_NAME,
    modelVersion: metadata.modelVersion,
    metadata,
    ...batchedEncode({ prepare, infer, finish }),
    reset() {
      histories.clear();
    },
    diagnostics: () => ({ ...diag }),
    dispose() {
      if (!disposed) model.dispose();
      disposed = true;
      histories.clear();
    },
  };
}
