import type { AudioFrame } from "../../types";
import { describeFrame } from "../common/types";
import { BadInputError } from "../../types/errors";
import { DEFAULT_LOG_MEL } from "./melFilterbank";
import {
  deinterleavePcm16,
  estimateBearing,
  logMelFrameCount,
  logMelSpectrogram,
  type AudioFrontEndOptions,
  type BearingEstimate,
  type LogMelSpectrogram,
} from "./preprocess";

/*
 * Audio encoder input (pure, no tfjs). A 100 ms chunk is short for both jobs: a siren's sweep and
 * a horn's two-tone chord look alike over 100 ms, and with 0.3 m between the microphones a tonal
 * siren aliases in GCC-PHAT above ~570 Hz (the correlation repeats every 1/f0, inside the physical
 * lag range). So the encoder keeps a short history per sensor: the classifier sees the log-mel of
 * the last `classifierMs`, and the bearing comes from GCC-PHAT over the last `bearingMs`, over
 * which the siren's pitch moves and the alias peaks smear out while the true one adds up.
 */

export type AudioWindowOptions = {
  /** Audio the classifier sees (ms); the log-mel has `classifierFrames(...)` frames. */
  classifierMs: number;
  /** Audio the GCC-PHAT bearing is computed over (ms); ≥ classifierMs. */
  bearingMs: number;
  frontEnd: AudioFrontEndOptions;
};

export const DEFAULT_AUDIO_WINDOW: AudioWindowOptions = {
  classifierMs: 300,
  bearingMs: 500,
  frontEnd: { logMel: DEFAULT_LOG_MEL, micSpacingM: 0.3, speedOfSoundMps: 343 },
};

/** Log-mel frames the classifier takes for a window. */
export function classifierFrames(o: AudioWindowOptions): number {
  return logMelFrameCount(Math.round((o.classifierMs / 1000) * o.frontEnd.logMel.sampleRate), o.frontEnd.logMel);
}

/** Log-mel values are divided by this after removing the window's mean (a level-free spectrum shape). */
export const LOG_MEL_SCALE = 5;

/**
 * The classifier's input [frames, mels] from a window's features: the last `frames` log-mel frames
 * (front-padded with the mean when the history is shorter), minus their mean, divided by LOG_MEL_SCALE.
 */
export function classifierInput(logMel: LogMelSpectrogram, frames: number): Float32Array {
  const { data, mels } = logMel;
  const have = logMel.frames;
  const take = Math.min(have, frames);
  const start = (have - take) * mels;
  let mean = 0;
  for (let i = start; i < data.length; i++) mean += data[i]!;
  mean /= take * mels;
  const out = new Float32Array(frames * mels);
  const pad = (frames - take) * mels;
  for (let i = 0; i < take * mels; i++) out[pad + i] = (data[start + i]! - mean) / LOG_MEL_SCALE;
  return out;
}

/**
 * The last `bearingMs` of one audio sensor's interleaved samples. A gap in the stamps (a dropped
 * chunk, a seek) or a format change starts the history afresh, so that no window spans a gap.
 */
export class AudioHistory {
  private chunks: { stamp: bigint; samples: Int16Array }[] = [];
  private frames = 0;
  private sampleRate = 0;
  private channels = 0;
  private nextStamp: bigint | undefined;

  constructor(private readonly keepMs: number) {}

  /** Adds a validated frame and returns the window (≤ keepMs, ending with this frame) as one frame. */
  push(frame: AudioFrame): AudioFrame {
    const n = frame.samples.length / frame.channels;
    const durNs = BigInt(Math.round((n / frame.sampleRate) * 1e9));
    const tolNs = durNs / 2n;
    const gap = this.nextStamp === undefined || frame.stamp < this.nextStamp - tolNs || frame.stamp > this.nextStamp + tolNs;
    if (gap || frame.sampleRate !== this.sampleRate || frame.channels !== this.channels) {
      this.chunks = [];
      this.frames = 0;
      this.sampleRate = frame.sampleRate;
      this.channels = frame.channels;
    }
    this.chunks.push({ stamp: frame.stamp, samples: frame.samples });
    this.frames += n;
    this.nextStamp = frame.stamp + durNs;
    const keep = Math.max(n, Math.round((this.keepMs / 1000) * frame.sampleRate));
    while (this.chunks.length > 1 && this.frames - this.chunks[0]!.samples.length / this.channels >= keep) {
      this.frames -= this.chunks[0]!.samples.length / this.channels;
      this.chunks.shift();
    }
    const all = new Int16Array(this.frames * this.channels);
    let o = 0;
    for (const c of this.chunks) {
      all.set(c.samples, o);
      o += c.samples.length;
    }
    return { ...frame, samples: all };
  }

  reset(): void {
    this.chunks = [];
    this.frames = 0;
    this.nextStamp = undefined;
  }
}

export type AudioWindowFeatures = {
  /** Classifier input [classifierFrames, mels]. */
  input: Float32Array;
  /** GCC-PHAT over the bearing window; null when not asked for (see `computeBearing`). */
  bearing: BearingEstimate | null;
  /** Computes (once) the GCC-PHAT bearing over the window: the costly part, done only when needed. */
  computeBearing: () => BearingEstimate;
  /** RMS level of this chunk per channel (dBFS, −120 for digital silence). */
  levelDbfs: [number, number];
  /** Fraction of this chunk's samples at full scale, per channel. */
  clippedFraction: [number, number];
  /** How much history the window had (ms). */
  windowMs: number;
};

function chunkLevels(samples: Int16Array): { levelDbfs: [number, number]; clippedFraction: [number, number] } {
  const n = samples.length / 2;
  const sq = [0, 0];
  const clip = [0, 0];
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]!;
    sq[i & 1]! += (v / 32768) ** 2;
    if (v >= 32767 || v <= -32768) clip[i & 1]!++;
  }
  const db = (s: number): number => {
    const rms = Math.sqrt(s / Math.max(1, n));
    return rms > 1e-6 ? 20 * Math.log10(rms) : -120;
  };
  return { levelDbfs: [db(sq[0]!), db(sq[1]!)], clippedFraction: [clip[0]! / n, clip[1]! / n] };
}

/**
 * Features of the window ending with `frame`: the log-mel (preprocess.ts) of the mid signal over
 * the last `classifierMs` and, when `withBearing`, the GCC-PHAT bearing (preprocess.ts) over the
 * last `bearingMs`. A chunk with the wrong channel count, sample rate or sample count is an
 * `BadInputError` and never enters the history.
 */
export function windowFeatures(frame: AudioFrame, history: AudioHistory, o: AudioWindowOptions, withBearing = true): AudioWindowFeatures {
  checkChunk(frame, o);
  const win = history.push(frame);
  const [left, right] = deinterleavePcm16(win.samples, 2) as [Float32Array, Float32Array];
  const n = left.length;
  const clsN = Math.min(n, Math.round((o.classifierMs / 1000) * frame.sampleRate));
  const mid = new Float32Array(clsN);
  for (let i = 0; i < clsN; i++) mid[i] = (left[n - clsN + i]! + right[n - clsN + i]!) / 2;
  const logMel = logMelSpectrogram(mid, o.frontEnd.logMel);
  let memo: BearingEstimate | undefined;
  const computeBearing = (): BearingEstimate =>
    (memo ??= estimateBearing(left, right, {
      micSpacingM: o.frontEnd.micSpacingM,
      sampleRate: frame.sampleRate,
      speedOfSoundMps: o.frontEnd.speedOfSoundMps,
    }));
  return {
    input: classifierInput(logMel, classifierFrames(o)),
    bearing: withBearing ? computeBearing() : null,
    computeBearing,
    ...chunkLevels(frame.samples),
    windowMs: (n / frame.sampleRate) * 1000,
  };
}

function checkChunk(frame: AudioFrame, o: AudioWindowOptions): void {
  const where = describeFrame(frame);
  if (frame.channels !== 2) {
    throw new BadInputError({ where, what: `expected 2-channel pcm-s16 audio (left, right), got ${frame.channels} channel(s)` });
  }
  if (frame.sampleRate !== o.frontEnd.logMel.sampleRate) {
    throw new BadInputError({ where, what: `expected a sample rate of ${o.frontEnd.logMel.sampleRate} Hz, got ${frame.sampleRate} Hz` });
  }
  if (!(frame.samples instanceof Int16Array) || frame.samples.length === 0 || frame.samples.length % 2 !== 0) {
    throw new BadInputError({
      where,
      what: `expected a positive, even number of interleaved s16 samples, got ${frame.samples?.length ?? "none"}`,
    });
  }
}
