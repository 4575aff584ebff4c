import { isPowerOfTwo } from "./fft";

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
