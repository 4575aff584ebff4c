import type { AudioFrame } from "../../types";
import { rfft, hannWindow } from "./fft";
import { crossSpectrum, gccPhatFromSpectra, type CrossSpectrum } from "./gccPhat";
import { DEFAULT_LOG_MEL, melFilterbank, type LogMelOptions } from "./melFilterbank";

/*
 * Audio front end: pure functions over typed arrays, no tfjs.
 *
 * - log-mel spectrogram: Hann window → radix-2 real FFT → power → triangular mel filterbank →
 *   natural log with a floor.
 * - bearing: GCC-PHAT between the two channels → inter-channel delay τ → far-field bearing.
 *
 * The FFTs and the window are in fft.ts, the filterbank in melFilterbank.ts, GCC-PHAT in
 * gccPhat.ts; this file puts them together for one AudioFrame.
 *
 * Array geometry and sign conventions (the simulator's microphone model must match):
 *   channel 0 = left microphone at +y·d/2, channel 1 = right microphone at −y·d/2, in the ego
 *   frame (x forward, y left, z up). τ = t_right − t_left (s), positive when the sound reaches the
 *   left microphone first. Bearing θ = asin(c·τ/d) is measured from +x towards +y (counter-
 *   clockwise, like yaw), so a source on the left has θ > 0.
 *   A two-microphone array cannot tell front from back: a source at θ and one at π − θ give the
 *   same τ. We report the front solution, θ ∈ [−π/2, π/2]; `mirroredBearingRad` is the other.
 */

/** Speed of sound used for the bearing (m/s, dry air at about 20 °C). */
export const SPEED_OF_SOUND_MPS = 343;

export type LogMelSpectrogram = {
  /** Row-major [frames, mels]: ln(max(mel power, logFloor)); samples scaled to [−1, 1). */
  data: Float32Array;
  frames: number;
  mels: number;
};

/** Frames a signal of `length` samples yields: whole windows only, at least one (zero-padded). */
export function logMelFrameCount(length: number, options: LogMelOptions = DEFAULT_LOG_MEL): number {
  return length <= options.fftSize ? 1 : 1 + Math.floor((length - options.fftSize) / options.hopLength);
}

/**
 * Log-mel spectrogram of a mono signal in [−1, 1). Frame t covers samples
 * [t·hop, t·hop + fftSize); a signal shorter than one window is zero-padded to one frame.
 * Non-finite samples are an error (they would poison every band of the frame).
 */
export function logMelSpectrogram(signal: Float32Array, options: LogMelOptions = DEFAULT_LOG_MEL): LogMelSpectrogram {
  const fb = melFilterbank(options);
  const { fftSize, hopLength, numMels, logFloor } = options;
  for (let i = 0; i < signal.length; i++) {
    if (!Number.isFinite(signal[i])) {
      throw new RangeError(`logMelSpectrogram: sample ${i} is ${signal[i]}, expected a finite number`);
    }
  }
  const bins = fftSize / 2 + 1;
  const frames = logMelFrameCount(signal.length, options);
  const win = hannWindow(fftSize);
  const frame = new Float64Array(fftSize);
  const re = new Float64Array(bins);
  const im = new Float64Array(bins);
  const power = new Float64Array(bins);
  const out = new Float32Array(frames * numMels);
  for (let t = 0; t < frames; t++) {
    const start = t * hopLength;
    for (let i = 0; i < fftSize; i++) {
      const j = start + i;
      frame[i] = j < signal.length ? signal[j] * win[i] : 0;
    }
    rfft(frame, re, im);
    for (let k = 0; k < bins; k++) power[k] = re[k] * re[k] + im[k] * im[k];
    for (let m = 0; m < numMels; m++) {
      let s = 0;
      const row = m * bins;
      for (let k = 0; k < bins; k++) {
        const w = fb[row + k];
        if (w !== 0) s += w * power[k];
      }
      out[t * numMels + m] = Math.log(Math.max(s, logFloor));
    }
  }
  return { data: out, frames, mels: numMels };
}

// ---------------------------------------------------------------------------------------------
// Bearing

export type BearingOptions = {
  /** Distance between the two microphones (m). */
  micSpacingM: number;
  sampleRate: number;
  speedOfSoundMps?: number;
};

export type BearingEstimate = {
  /** τ = t_right − t_left (s); positive when the left microphone hears it first. */
  delaySec: number;
  delaySamples: number;
  /**
   * Front solution of θ = asin(c·τ/d) (rad, from +x towards +y), or null when the signal is
   * silent (no correlation peak). |c·τ/d| > 1 (noise, reflections) is clamped to ±π/2.
   */
  bearingRad: number | null;
  /** The back solution π − θ (wrapped to (−π, π]) that a 2-microphone array cannot rule out. */
  mirroredBearingRad: number | null;
  /** GCC-PHAT peak height 0..1, a confidence for the bearing. */
  confidence: number;
  /** PHAT correlation at integer lags −maxLag..maxLag, maxLag = ceil(d/c·fs) + 1. */
  correlation: Float32Array;
};

function checkBearingOptions(options: BearingOptions): { c: number; d: number; maxLag: number } {
  const c = options.speedOfSoundMps ?? SPEED_OF_SOUND_MPS;
  const { micSpacingM: d, sampleRate } = options;
  if (!(d > 0)) throw new RangeError(`estimateBearing: micSpacingM must be > 0 m, got ${d}`);
  if (!(sampleRate > 0)) throw new RangeError(`estimateBearing: sampleRate must be > 0 Hz, got ${sampleRate}`);
  if (!(c > 0)) throw new RangeError(`estimateBearing: speedOfSoundMps must be > 0 m/s, got ${c}`);
  // One extra sample of search range lets an end-fire source's peak be found and refined.
  return { c, d, maxLag: Math.ceil((d / c) * sampleRate) + 1 };
}

/**
 * Bearing of a far-field source from the summed cross spectra of one or more chunks of a
 * left/right microphone pair (see the conventions at the top of this file).
 */
export function estimateBearingFromSpectra(spectra: readonly CrossSpectrum[], options: BearingOptions): BearingEstimate {
  const { c, d, maxLag } = checkBearingOptions(options);
  const { delaySamples, peak, correlation } = gccPhatFromSpectra(spectra, maxLag);
  if (peak === 0) {
    return { delaySec: 0, delaySamples: 0, bearingRad: null, mirroredBearingRad: null, confidence: 0, correlation };
  }
  const delaySec = delaySamples / options.sampleRate;
  const theta = Math.asin(Math.max(-1, Math.min(1, (c * delaySec) / d)));
  const mirrored = theta >= 0 ? Math.PI - theta : -Math.PI - theta;
  return { delaySec, delaySamples, bearingRad: theta, mirroredBearingRad: mirrored, confidence: peak, correlation };
}

/** Bearing of a far-field source from one chunk of a left/right microphone pair. */
export function estimateBearing(left: Float32Array, right: Float32Array, options: BearingOptions): BearingEstimate {
  checkBearingOptions(options);
  return estimateBearingFromSpectra([crossSpectrum(left, right)], options);
}

// ---------------------------------------------------------------------------------------------
// AudioFrame → features

export type AudioFrontEndOptions = {
  logMel: LogMelOptions;
  /** Distance between the two microphones (m); the simulator's rig uses 0.3 m. */
  micSpacingM: number;
  speedOfSoundMps: number;
};

export const DEFAULT_AUDIO_FRONT_END: AudioFrontEndOptions = {
  logMel: DEFAULT_LOG_MEL,
  micSpacingM: 0.3,
  speedOfSoundMps: SPEED_OF_SOUND_MPS,
};

export type AudioFeatures = {
  /** Log-mel spectrogram of the mid signal (left + right) / 2. */
  logMel: LogMelSpectrogram;
  /** Bearing from this chunk's cross spectrum summed with those in `history`. */
  bearing: BearingEstimate;
  /** This chunk's cross spectrum: keep the last few and pass them back as `history`. */
  crossSpectrum: CrossSpectrum;
  /** RMS level per channel (dBFS; digital silence is reported as −120). */
  levelDbfs: [number, number];
  /** Fraction of samples at full scale (±32767/−32768), per channel: a clipping indicator. */
  clippedFraction: [number, number];
};

/** Splits interleaved signed 16-bit PCM into per-channel float signals in [−1, 1). */
export function deinterleavePcm16(samples: Int16Array, channels: number): Float32Array[] {
  if (!Number.isInteger(channels) || channels < 1) {
    throw new RangeError(`deinterleavePcm16: channels must be a positive integer, got ${channels}`);
  }
  if (samples.length % channels !== 0) {
    throw new RangeError(`deinterleavePcm16: ${samples.length} samples is not a whole number of ${channels}-channel frames`);
  }
  const n = samples.length / channels;
  const out: Float32Array[] = [];
  for (let ch = 0; ch < channels; ch++) {
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = samples[i * channels + ch] / 32768;
    out.push(x);
  }
  return out;
}

function levelDbfs(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  const rms = Math.sqrt(s / Math.max(1, x.length));
  return rms > 1e-6 ? 20 * Math.log10(rms) : -120;
}

function clipped(samples: Int16Array, channels: number, ch: number): number {
  let c = 0;
  const n = samples.length / channels;
  for (let i = 0; i < n; i++) {
    const v = samples[i * channels + ch];
    if (v >= 32767 || v <= -32768) c++;
  }
  return n === 0 ? 0 : c / n;
}

/**
 * Features of one 2-channel pcm-s16 AudioFrame: a log-mel spectrogram and a GCC-PHAT bearing.
 * `history` holds earlier chunks' `crossSpectrum`s (the caller keeps them; about 0.5 s is a good
 * span): with d = 0.3 m every siren frequency above c/2d = 572 Hz is spatially aliased within one
 * chunk, and summing chunks lets the siren's sweep pick the true delay. Spectra of another chunk
 * length are ignored. Wrong channel count, sample rate or sample count is a one-line error naming
 * the topic.
 */
export function preprocessAudio(
  frame: AudioFrame,
  options: AudioFrontEndOptions = DEFAULT_AUDIO_FRONT_END,
  history: readonly CrossSpectrum[] = [],
): AudioFeatures {
  const where = `audio frame on ${frame.topic} (sensor ${frame.sensorId}, stamp ${frame.stamp} ns)`;
  if (frame.channels !== 2) {
    throw new RangeError(`${where}: expected 2-channel pcm-s16 audio (left, right), got ${frame.channels} channel(s)`);
  }
  if (frame.sampleRate !== options.logMel.sampleRate) {
    throw new RangeError(`${where}: expected a sample rate of ${options.logMel.sampleRate} Hz, got ${frame.sampleRate} Hz`);
  }
  if (frame.samples.length < 4 || frame.samples.length % 2 !== 0) {
    throw new RangeError(`${where}: expected an even number (≥ 4) of interleaved samples, got ${frame.samples.length}`);
  }
  const [left, right] = deinterleavePcm16(frame.samples, 2) as [Float32Array, Float32Array];
  const mid = new Float32Array(left.length);
  for (let i = 0; i < mid.length; i++) mid[i] = (left[i] + right[i]) / 2;
  const cs = crossSpectrum(left, right);
  const spectra = [...history.filter((h) => h.n === cs.n), cs];
  return {
    logMel: logMelSpectrogram(mid, options.logMel),
    bearing: estimateBearingFromSpectra(spectra, {
      micSpacingM: options.micSpacingM,
      sampleRate: frame.sampleRate,
      speedOfSoundMps: options.speedOfSoundMps,
    }),
    crossSpectrum: cs,
    levelDbfs: [levelDbfs(left), levelDbfs(right)],
    clippedFraction: [clipped(frame.samples, 2, 0), clipped(frame.samples, 2, 1)],
  };
}
