/*
 * Radix-2 FFTs and the Hann window: the spectral core of the audio front end (pure, no tfjs).
 * Twiddle factors, bit-reversal tables and windows are cached per length, so a stream of
 * same-length chunks allocates only its outputs.
 */

export function isPowerOfTwo(n: number): boolean {
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
