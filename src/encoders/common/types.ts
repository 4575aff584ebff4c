import type { SensorEvidence, SensorFrame } from "../../types";

/**
 * What every encoder module exports as `load(config) → Encoder`: a tiny public surface (as in
 * tfjs-models' pose-detection) with model loading kept separate from inference.
 */
export type Encoder<F extends SensorFrame> = {
  /** Encoder name, as written into `SensorEvidence.encoder.name`. */
  readonly name: string;
  /** Model version (from the model's metadata), as written into the evidence. */
  readonly modelVersion: string;
  /**
   * One frame → evidence. Throws a `BadInputError` (one line naming sensor, topic and stamp)
   * only when the whole frame is unusable; malformed items inside a frame are skipped and counted.
   */
  encode(frame: F): SensorEvidence;
  /** Several frames of the same sensor kind in one batched inference; same results as `encode`. */
  encodeBatch(frames: readonly F[]): SensorEvidence[];
  /** Counters since load: frames encoded, items skipped as malformed. */
  diagnostics(): EncoderDiagnostics;
  /** Frees the model's tensors; the encoder must not be used afterwards. */
  dispose(): void;
};

export type EncoderDiagnostics = {
  frames: number;
  /** Malformed items (tracks, detections) skipped, with the last reason. */
  skipped: number;
  lastSkipReason?: string;
};

/** "radar frame on /topic (sensor radar_front, stamp 123 ns)": the `where` of encoder errors. */
export function describeFrame(frame: SensorFrame): string {
  return `${frame.kind} frame on ${frame.topic} (sensor ${frame.sensorId}, stamp ${frame.stamp} ns)`;
}
