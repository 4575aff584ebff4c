import type { AudioFrame } from "../../types";

/*
 * Audio front end: pure functions over typed arrays, no tfjs.
 *
 * - log-mel spectrogram: Hann window → radix-2 real FFT → power → triangular mel filterbank →
 *   natural log with a floor.
 * - bearing: GCC-PHAT between the two channels → inter-channel delay τ → far-field bearing.
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

export type MelScale = "htk" | "slaney";

export type LogMelOptions = {
  /** Sample rate the filterbank is built for (Hz). */
  sampleRate: number;
  /** FFT and window length (samples), a power of two. */
  fftSize: number;
  /** Hop between frames (samples). */
  hopLength: number;
  /** Number of mel bands. */
  numMels: number;
  /** Lowest and highest filter edges (Hz); fMax ≤ sampleRate / 2. */
  fMinHz: number;
  fMaxHz: number;
  /**
   * `htk`: mel = 2595·log10(1 + f/700). `slaney`: linear below 1 kHz, logarithmic above (as the
   * Auditory Toolbox and librosa's default). Filters are triangles of peak 1 (no area norm).
   */
  melScale: MelScale;
  /** Mel power below this is clamped before the log, so silence gives ln(floor), never −∞. */
  logFloor: number;
};

/** 32 ms window, 10 ms hop, 64 HTK mel bands from 50 Hz to 8 kHz, for 16 kHz audio. */
export const DEFAULT_LOG_MEL: LogMelOptions = {
  sampleRate: 16000,
  fftSize: 512,
  hopLength: 160,
  numMels: 64,
  fMinHz: 50,
  fMaxHz: 8000,
  melScale: "htk",
  logFloor: 1e-10,
};

export type LogMelSpectrogram = {
  /** Row-major [frames, mels]: ln(max(mel power, logFloor)); samples scaled to [−1, 1). */
  data: Float32Array;
  frames: number;
  mels: number;
};

// ---------------------------------------------------------------------------------------------
// FFT

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 2 && (n & (n - 1)) === 0;
}

type Twiddles = { cos: Float64Array; sin: Float64Array; rev: Uint32Array };
const twiddleCache = new Map<number, Twiddles>();

function twiddles(n: number): Twiddles {
  let t = twiddleCache.get(n);
  if (t) return t;
  const cos = new Float64Array(n / 2);
  const sin = new Float64Array(n / 2);
  for (let k = 0; k < n / 2; k++) {
    cos[k] = Math.cos((2 * Math.PI * k) / n);
    sin[k] = Math.sin((2 * Math.PI * k) / n);
  }
  const rev = new Uint32Array(n);
  const bits = Math.log2(n);
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >>> b) & 1) << (bits - 1 - b);
    rev[i] = r;
  }
  t = { cos, sin, rev };
  twiddleCache.set(n, t);
  return t;
}

/**
 * In-place iterative radix-2 complex FFT of length `re.length` (a power of two).
 * Forward: X[k] = Σ x[n]·e^{−2πikn/N}. Inverse (`inverse = true`) includes the 1/N.
 */
export function fft(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  if (!isPowerOfTwo(n) || im.length !== n) {
    throw new RangeError(`fft: expected re and im of the same power-of-two length, got ${re.length} and ${im.length}`);
  }
  const { cos, sin, rev } = twiddles(n);
  for (let i = 0; i < n; i++) {
    const j = rev[i];
    if (j > i) {
      let t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  const sign = inverse ? 1 : -1;
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >>> 1;
    const step = n / size;
    for (let start = 0; start < n; start += size) {
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step];
        const wi = sign * sin[k * step];
        const a = start + k;
        const b = a + half;
        const xr = re[b] * wr - im[b] * wi;
        const xi = re[b] * wi + im[b] * wr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
    }
  }
  if (inverse) {
    for (let i = 0; i < n; i++) {
      re[i] /= n;
      im[i] /= n;
    }
  }
}

/**
 * Real FFT of `x` (length N, a power of two ≥ 4) through one complex FFT of length N/2 on the
 * even/odd samples packed as real/imaginary parts. Writes bins 0..N/2 into outRe/outIm (N/2 + 1).
 */
export function rfft(x: ArrayLike<number>, outRe: Float64Array, outIm: Float64Array): void {
  const n = x.length;
  if (!isPowerOfTwo(n) || n < 4) throw new RangeError(`rfft: expected a power-of-two length ≥ 4, got ${n}`);
  const h = n / 2;
  if (outRe.length < h + 1 || outIm.length < h + 1) {
    throw new RangeError(`rfft: output arrays need ${h + 1} bins, got ${outRe.length} and ${outIm.length}`);
  }
  const zr = new Float64Array(h);
  const zi = new Float64Array(h);
  for (let i = 0; i < h; i++) {
    zr[i] = x[2 * i];
    zi[i] = x[2 * i + 1];
  }
  fft(zr, zi);
  // X[k] = E[k] + e^{−2πik/N}·O[k], with E = (Z[k] + conj Z[h−k]) / 2 and O = (Z[k] − conj Z[h−k]) / 2i.
  const { cos, sin } = twiddles(n);
  for (let k = 0; k <= h; k++) {
    const a = k % h;
    const b = (h - k) % h;
    const er = (zr[a] + zr[b]) / 2;
    const ei = (zi[a] - zi[b]) / 2;
    const or = (zi[a] + zi[b]) / 2;
    const oi = -(zr[a] - zr[b]) / 2;
    const wr = k < h ? cos[k] : -1;
    const wi = k < h ? -sin[k] : 0;
    outRe[k] = er + wr * or - wi * oi;
    outIm[k] = ei + wr * oi + wi * or;
  }
}

// ---------------------------------------------------------------------------------------------
// Mel filterbank and log-mel spectrogram

export function hzToMel(hz: number, scale: MelScale): number {
  if (scale === "htk") return 2595 * Math.log10(1 + hz / 700);
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logStep = Math.log(6.4) / 27;
  return hz < minLogHz ? hz / fSp : minLogMel + Math.log(hz / minLogHz) / logStep;
}

export function melToHz(mel: number, scale: MelScale): number {
  if (scale === "htk") return 700 * (10 ** (mel / 2595) - 1);
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logStep = Math.log(6.4) / 27;
  return mel < minLogMel ? mel * fSp : minLogHz * Math.exp(logStep * (mel - minLogMel));
}

function checkOptions(o: LogMelOptions): void {
  const bad = (what: string) => {
    throw new RangeError(`log-mel options: ${what}`);
  };
  if (!isPowerOfTwo(o.fftSize) || o.fftSize < 4) bad(`fftSize must be a power of two ≥ 4, got ${o.fftSize}`);
  if (!Number.isInteger(o.hopLength) || o.hopLength < 1) bad(`hopLength must be a positive integer, got ${o.hopLength}`);
  if (!Number.isInteger(o.numMels) || o.numMels < 1) bad(`numMels must be a positive integer, got ${o.numMels}`);
  if (!(o.sampleRate > 0)) bad(`sampleRate must be > 0 Hz, got ${o.sampleRate}`);
  if (!(o.fMinHz >= 0 && o.fMinHz < o.fMaxHz && o.fMaxHz <= o.sampleRate / 2)) {
    bad(`expected 0 ≤ fMinHz < fMaxHz ≤ sampleRate/2 (${o.sampleRate / 2}), got ${o.fMinHz}..${o.fMaxHz} Hz`);
  }
  if (!(o.logFloor > 0)) bad(`logFloor must be > 0, got ${o.logFloor}`);
}

/** Band centre frequencies (Hz) of the filterbank, lowest first. */
export function melCenters(options: LogMelOptions = DEFAULT_LOG_MEL): Float64Array {
  const { numMels, fMinHz, fMaxHz, melScale } = options;
  const lo = hzToMel(fMinHz, melScale);
  const hi = hzToMel(fMaxHz, melScale);
  const out = new Float64Array(numMels);
  for (let m = 0; m < numMels; m++) out[m] = melToHz(lo + ((hi - lo) * (m + 1)) / (numMels + 1), melScale);
  return out;
}

const filterbankCache = new Map<string, Float32Array>();

/**
 * Triangular filters, row-major [numMels, fftSize/2 + 1]; filter m rises from edge m to its
 * centre (edge m+1) and falls to edge m+2, edges equally spaced on the mel scale.
 * Throws when a filter is narrower than the FFT bin spacing and covers no bin.
 */
export function melFilterbank(options: LogMelOptions = DEFAULT_LOG_MEL): Float32Array {
  checkOptions(options);
  const key = JSON.stringify(options);
  const cached = filterbankCache.get(key);
  if (cached) return cached;
  const { numMels, fftSize, sampleRate, fMinHz, fMaxHz, melScale } = options;
  const bins = fftSize / 2 + 1;
  const lo = hzToMel(fMinHz, melScale);
  const hi = hzToMel(fMaxHz, melScale);
  const edges = new Float64Array(numMels + 2);
  for (let i = 0; i < numMels + 2; i++) edges[i] = melToHz(lo + ((hi - lo) * i) / (numMels + 1), melScale);
  const fb = new Float32Array(numMels * bins);
  for (let m = 0; m < numMels; m++) {
    const [l, c, r] = [edges[m], edges[m + 1], edges[m + 2]];
    let any = false;
    for (let k = 0; k < bins; k++) {
      const f = (k * sampleRate) / fftSize;
      const w = Math.max(0, Math.min((f - l) / (c - l), (r - f) / (r - c)));
      fb[m * bins + k] = w;
      if (w > 0) any = true;
    }
    if (!any) {
      throw new RangeError(
        `log-mel options: mel band ${m} (${l.toFixed(1)}–${r.toFixed(1)} Hz) covers no FFT bin ` +
          `(bin spacing ${(sampleRate / fftSize).toFixed(2)} Hz); use fewer mels, a higher fMinHz or a larger fftSize`,
      );
    }
  }
  filterbankCache.set(key, fb);
  return fb;
}

const hannCache = new Map<number, Float64Array>();

/** Periodic Hann window (the STFT convention: it sums to a constant at 50 % overlap). */
export function hannWindow(n: number): Float64Array {
  let w = hannCache.get(n);
  if (!w) {
    w = new Float64Array(n);
    for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
    hannCache.set(n, w);
  }
  return w;
}

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
// GCC-PHAT delay and bearing

/**
 * Cross-power spectrum B·conj(A) of one chunk (bins 0..n/2): both channels Hann-windowed, then
 * zero-padded to n ≥ 2·length so the correlation does not wrap. Spectra of consecutive chunks of
 * the same length can be summed (`gccPhatFromSpectra`): a siren's sweep then moves the aliased
 * peaks of a periodic signal while the true one stays.
 */
export type CrossSpectrum = { n: number; re: Float64Array; im: Float64Array };

export type DelayEstimate = {
  /** Delay of `b` relative to `a` (samples, fractional): b[n] ≈ a[n − delay]. */
  delaySamples: number;
  /** Height of the PHAT-weighted cross-correlation peak, 0..1 (1 = one clean path); 0 for silence. */
  peak: number;
  /** PHAT-weighted correlation at the integer lags −maxLag..maxLag (a feature for a learned head). */
  correlation: Float32Array;
};

/** Relative spectral magnitude below which a bin is treated as empty (PHAT divides by it). */
const PHAT_EPS = 1e-12;

export function crossSpectrum(a: Float32Array, b: Float32Array): CrossSpectrum {
  if (a.length !== b.length) throw new RangeError(`gccPhat: channels differ in length (${a.length} vs ${b.length})`);
  if (a.length < 2) throw new RangeError(`gccPhat: need at least 2 samples per channel, got ${a.length}`);
  let n = 4;
  while (n < 2 * a.length) n *= 2;
  const h = n / 2;
  // Without the window, the chunk edges (different samples in each channel) leak into every bin,
  // and PHAT, which weights all bins alike, lets that leakage swamp a narrowband source.
  const w = hannWindow(a.length);
  const pa = new Float64Array(n);
  const pb = new Float64Array(n);
  for (let i = 0; i < a.length; i++) {
    pa[i] = a[i] * w[i];
    pb[i] = b[i] * w[i];
  }
  const ar = new Float64Array(h + 1);
  const ai = new Float64Array(h + 1);
  const br = new Float64Array(h + 1);
  const bi = new Float64Array(h + 1);
  rfft(pa, ar, ai);
  rfft(pb, br, bi);
  const re = new Float64Array(h + 1);
  const im = new Float64Array(h + 1);
  for (let k = 0; k <= h; k++) {
    re[k] = br[k] * ar[k] + bi[k] * ai[k];
    im[k] = bi[k] * ar[k] - br[k] * ai[k];
  }
  return { n, re, im };
}

/**
 * GCC-PHAT over the sum of one or more chunks' cross spectra (all of the same `n`): the summed
 * spectrum is whitened to unit magnitude, so the correlation peak is sharp whatever the source
 * spectrum. The search is limited to |lag| ≤ maxLagSamples; the integer peak is refined by a
 * golden-section search on the band-limited correlation at sub-sample lags.
 */
export function gccPhatFromSpectra(spectra: readonly CrossSpectrum[], maxLagSamples: number): DelayEstimate {
  if (spectra.length === 0) throw new RangeError("gccPhat: no cross spectra given");
  const n = spectra[0].n;
  for (const s of spectra) {
    if (s.n !== n) throw new RangeError(`gccPhat: cross spectra differ in size (${s.n} vs ${n}); sum only chunks of one length`);
  }
  const h = n / 2;
  const maxLag = Math.max(0, Math.min(Math.floor(maxLagSamples), h - 1));
  const rr = new Float64Array(h + 1);
  const ri = new Float64Array(h + 1);
  for (const s of spectra) {
    for (let k = 0; k <= h; k++) {
      rr[k] += s.re[k];
      ri[k] += s.im[k];
    }
  }
  const mags = new Float64Array(h + 1);
  let maxMag = 0;
  for (let k = 0; k <= h; k++) {
    mags[k] = Math.hypot(rr[k], ri[k]);
    if (mags[k] > maxMag) maxMag = mags[k];
  }
  if (!(maxMag > 0)) return { delaySamples: 0, peak: 0, correlation: new Float32Array(2 * maxLag + 1) };
  let used = 0;
  for (let k = 0; k <= h; k++) {
    if (mags[k] > PHAT_EPS * maxMag) {
      rr[k] /= mags[k];
      ri[k] /= mags[k];
      used += k === 0 || k === h ? 1 : 2;
    } else {
      rr[k] = 0;
      ri[k] = 0;
    }
  }
  // Correlation at a (fractional) lag τ: (1/used)·Σ_k w_k·Re(R[k]·e^{2πikτ/N}), w = 1 at DC and
  // Nyquist, else 2; the phasor is advanced by multiplication rather than a cos/sin per bin.
  const corr = (tau: number): number => {
    const wr = Math.cos((2 * Math.PI * tau) / n);
    const wi = Math.sin((2 * Math.PI * tau) / n);
    let pr = 1;
    let pi = 0;
    let s = 0;
    for (let k = 0; k <= h; k++) {
      const v = rr[k] * pr - ri[k] * pi;
      s += k === 0 || k === h ? v : 2 * v;
      const t = pr * wr - pi * wi;
      pi = pr * wi + pi * wr;
      pr = t;
    }
    return s / used;
  };
  // Integer lags through one inverse FFT of the full Hermitian spectrum.
  const fr = new Float64Array(n);
  const fi = new Float64Array(n);
  for (let k = 0; k <= h; k++) {
    fr[k] = rr[k];
    fi[k] = ri[k];
    if (k > 0 && k < h) {
      fr[n - k] = rr[k];
      fi[n - k] = -ri[k];
    }
  }
  fft(fr, fi, true);
  const scale = n / used; // the inverse FFT's 1/n, rescaled so a clean single path peaks at 1
  const correlation = new Float32Array(2 * maxLag + 1);
  let best = 0;
  let bestVal = -Infinity;
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    const v = fr[(lag + n) % n];
    correlation[lag + maxLag] = v * scale;
    if (v > bestVal) {
      bestVal = v;
      best = lag;
    }
  }
  // Sub-sample refinement: golden-section search for the maximum within ±1 sample of the integer
  // peak (to 1e-4 samples, about 20 evaluations).
  const lim = Math.max(0, maxLagSamples);
  let lo = Math.max(best - 1, -lim);
  let hi = Math.min(best + 1, lim);
  const g = (Math.sqrt(5) - 1) / 2;
  let x1 = hi - g * (hi - lo);
  let x2 = lo + g * (hi - lo);
  let f1 = corr(x1);
  let f2 = corr(x2);
  while (hi - lo > 1e-4) {
    if (f1 < f2) {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + g * (hi - lo);
      f2 = corr(x2);
    } else {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - g * (hi - lo);
      f1 = corr(x1);
    }
  }
  let delay = (lo + hi) / 2;
  let fineVal = corr(delay);
  const atBest = corr(best);
  if (atBest > fineVal) {
    // The window was not unimodal (noise); keep the integer peak.
    delay = best;
    fineVal = atBest;
  }
  return { delaySamples: delay, peak: Math.max(0, Math.min(1, fineVal)), correlation };
}

/** GCC-PHAT delay of `b` behind `a` in one chunk. */
export function gccPhat(a: Float32Array, b: Float32Array, maxLagSamples: number): DelayEstimate {
  return gccPhatFromSpectra([crossSpectrum(a, b)], maxLagSamples);
}

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
