import { fft, hannWindow, rfft } from "./fft";

/*
 * GCC-PHAT: the delay between the two microphones' signals, from their whitened cross spectrum.
 */

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
  const phat = whitenedSum(spectra, n);
  if (!phat) return { delaySamples: 0, peak: 0, correlation: new Float32Array(2 * maxLag + 1) };
  const { correlation, best } = integerLagCorrelation(phat, maxLag);
  const { delay, value } = refinePeak((tau) => correlationAt(phat, tau), best, Math.max(0, maxLagSamples));
  return { delaySamples: delay, peak: Math.max(0, Math.min(1, value)), correlation };
}

/** A summed cross spectrum whitened to unit magnitude (bins 0..n/2); `used` weighs its non-empty bins. */
type PhatSpectrum = { n: number; rr: Float64Array; ri: Float64Array; used: number };

/** The sum of the spectra, PHAT-whitened; undefined when it is all zero (silence). */
function whitenedSum(spectra: readonly CrossSpectrum[], n: number): PhatSpectrum | undefined {
  const h = n / 2;
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
  if (!(maxMag > 0)) return undefined;
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
  return { n, rr, ri, used };
}

/**
 * Correlation at a (fractional) lag τ: (1/used)·Σ_k w_k·Re(R[k]·e^{2πikτ/N}), w = 1 at DC and
 * Nyquist, else 2; the phasor is advanced by multiplication rather than a cos/sin per bin.
 */
function correlationAt(p: PhatSpectrum, tau: number): number {
  const { n, rr, ri, used } = p;
  const h = n / 2;
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
}

/** Correlation at the integer lags −maxLag..maxLag through one inverse FFT of the full Hermitian spectrum, and the best lag. */
function integerLagCorrelation(p: PhatSpectrum, maxLag: number): { correlation: Float32Array; best: number } {
  const { n, rr, ri, used } = p;
  const h = n / 2;
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
  return { correlation, best };
}

/**
 * Sub-sample refinement: golden-section search for the maximum of `corr` within ±1 sample of the
 * integer peak `best` (and within ±lim), to 1e-4 samples (about 20 evaluations).
 */
function refinePeak(corr: (tau: number) => number, best: number, lim: number): { delay: number; value: number } {
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
  const delay = (lo + hi) / 2;
  const fine = corr(delay);
  const atBest = corr(best);
  // The window was not unimodal (noise): keep the integer peak.
  if (atBest > fine) return { delay: best, value: atBest };
  return { delay, value: fine };
}

/** GCC-PHAT delay of `b` behind `a` in one chunk. */
export function gccPhat(a: Float32Array, b: Float32Array, maxLagSamples: number): DelayEstimate {
  return gccPhatFromSpectra([crossSpectrum(a, b)], maxLagSamples);
}
