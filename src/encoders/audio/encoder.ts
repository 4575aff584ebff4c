import * as tf from "@tensorflow/tfjs";
import { runBatched } from "../../runtime/tensors";
import type { AcousticHazard, AudioFrame, SensorEvidence } from "../../types";
import { checkExtrinsics, yawOf } from "../common/extrinsics";
import { parseMetadata } from "../common/metadata";
import { loadModel, type ModelFiles } from "../../runtime/modelFiles";
import { EncoderInputError, type Encoder, type EncoderDiagnostics } from "../common/types";
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
  const sirenT = cfg.sirenThreshold ?? metadata.sirenThreshold;
  const hornT = cfg.hornThreshold ?? metadata.hornThreshold;
  const histories = new Map<string, AudioHistory>();
  const diag: EncoderDiagnostics = { frames: 0, skipped: 0 };
  let disposed = false;

  type Prepared = { frame: AudioFrame; f: AudioWindowFeatures; prepMs: number };

  const prepare = (frame: AudioFrame): Prepared => {
    if (disposed) throw new Error("audio encoder: used after dispose()");
    if (frame === null || typeof frame !== "object" || frame.kind !== "audio") {
      const what = frame && typeof frame === "object" ? `a ${String((frame as { kind?: unknown }).kind)} frame` : String(frame);
      throw new EncoderInputError(`audio encoder: expected an AudioFrame, got ${what}`);
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

  const bearingInEgo = (b: number | null): number | null => (b === null ? null : Math.atan2(Math.sin(b + yaw), Math.cos(b + yaw)));

  const finish = (p: Prepared, probs: Float32Array, inferMs: number): SensorEvidence => {
    const { frame, f } = p;
    const t0 = performance.now();
    const hazards: AcousticHazard[] = [];
    const heard = probs[SIREN]! >= sirenT || probs[HORN]! >= hornT;
    const bearing = heard ? f.computeBearing() : null;
    const hazard = (kind: AcousticHazard["kind"], probability: number): AcousticHazard => ({
      kind,
      probability,
      bearingRad: bearingInEgo(bearing?.bearingRad ?? null),
      mirroredBearingRad: bearingInEgo(bearing?.mirroredBearingRad ?? null),
      bearingConfidence: bearing?.confidence ?? 0,
    });
    if (probs[SIREN]! >= sirenT) hazards.push(hazard("siren", probs[SIREN]!));
    if (probs[HORN]! >= hornT) hazards.push(hazard("horn", probs[HORN]!));
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

  const infer = (ps: Prepared[]): { probs: Float32Array[]; ms: number } => {
    const t0 = performance.now();
    const probs = runBatched(
      ps.map((p) => p.f.input),
      [inp.frames, inp.mels, 1],
      32,
      (x) => model.predict(x) as tf.Tensor,
    );
    return { probs, ms: performance.now() - t0 };
  };

  return {
    name: AUDIO_ENCODER_NAME,
    modelVersion: metadata.modelVersion,
    metadata,
    encode(frame) {
      const p = prepare(frame);
      const { probs, ms } = infer([p]);
      return finish(p, probs[0]!, ms);
    },
    encodeBatch(frames) {
      if (frames.length === 0) return [];
      const ps = frames.map(prepare);
      const { probs, ms } = infer(ps);
      return ps.map((p, i) => finish(p, probs[i]!, ms / ps.length));
    },
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
