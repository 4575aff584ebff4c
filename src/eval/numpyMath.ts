/**
 * Float64 arithmetic that reproduces numpy / Python bit for bit where the nuScenes devkit
 * depends on it: numpy's pairwise summation (used by `sum` and `mean`), `numpy.interp`,
 * `numpy.linspace(0, 1, 101)`, Python's `round` (half to even) and Python's float `%`.
 * A sequential port drifts from the devkit in the last bits; these do not.
 */

/** numpy's unrolled block size for pairwise summation (PW_BLOCKSIZE in loops_utils.h). */
const PW_BLOCKSIZE = 128;

/**
 * numpy's `pairwise_sum` for float64 over `a[start, start + n)`: below 8 elements a plain loop,
 * up to 128 eight accumulators combined as a tree, above that split in halves (multiple of 8).
 */
export function pairwiseSum(a: ArrayLike<number>, start = 0, n = a.length - start): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i]!;
    return res;
  }
  if (n <= PW_BLOCKSIZE) {
    const r = [a[start]!, a[start + 1]!, a[start + 2]!, a[start + 3]!, a[start + 4]!, a[start + 5]!, a[start + 6]!, a[start + 7]!];
    let i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (let j = 0; j < 8; j++) r[j]! += a[start + i + j]!;
    }
    let res = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < n; i++) res += a[start + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** `numpy.sum` of a 1-D float64 array. */
export function npSum(a: ArrayLike<number>): number {
  return 0 + pairwiseSum(a);
}

/** `numpy.mean` of a 1-D float64 array (NaN for an empty one, as numpy gives with a warning). */
export function npMean(a: ArrayLike<number>): number {
  if (a.length === 0) return NaN;
  return npSum(a) / a.length;
}

/** `numpy.nanmean`: NaNs count as 0 in the sum and not at all in the count; all-NaN gives NaN. */
export function npNanMean(a: ArrayLike<number>): number {
  const replaced = new Float64Array(a.length);
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (Number.isNaN(v)) continue;
    replaced[i] = v;
    count++;
  }
  if (count === 0) return NaN;
  return npSum(replaced) / count;
}

/** numpy's `binary_search_with_guess` result: the last j with xp[j] <= x; -1 left of xp[0]; len right of the end. */
function searchLastLessOrEqual(x: number, xp: ArrayLike<number>): number {
  const len = xp.length;
  if (x > xp[len - 1]!) return len;
  if (x < xp[0]!) return -1;
  let lo = 0;
  let hi = len;
  while (lo < hi) {
    const mid = lo + ((hi - lo) >> 1);
    if (x >= xp[mid]!) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * `numpy.interp(x, xp, fp, left, right)` for non-decreasing `xp`: `left` (default fp[0]) left of
 * xp[0], `right` (default fp[-1]) right of xp[-1], fp of the LAST duplicate at a repeated xp, and
 * linear in between with numpy's slope formula.
 */
export function npInterp(x: ArrayLike<number>, xp: ArrayLike<number>, fp: ArrayLike<number>, left?: number, right?: number): Float64Array {
  const lenxp = xp.length;
  if (lenxp === 0) throw new RangeError("npInterp: xp is empty, expected at least one sample point");
  if (fp.length !== lenxp) throw new RangeError(`npInterp: fp has ${fp.length} values, expected ${lenxp} (one per xp)`);
  const lval = left ?? fp[0]!;
  const rval = right ?? fp[lenxp - 1]!;
  const out = new Float64Array(x.length);
  if (lenxp === 1) {
    const xp0 = xp[0]!;
    const fp0 = fp[0]!;
    for (let i = 0; i < x.length; i++) {
      const xv = x[i]!;
      out[i] = xv < xp0 ? lval : xv > xp0 ? rval : fp0;
    }
    return out;
  }
  for (let i = 0; i < x.length; i++) {
    const xv = x[i]!;
    if (Number.isNaN(xv)) {
      out[i] = xv;
      continue;
    }
    const j = searchLastLessOrEqual(xv, xp);
    if (j === -1) out[i] = lval;
    else if (j === lenxp) out[i] = rval;
    else if (j === lenxp - 1) out[i] = fp[j]!;
    else if (xp[j] === xv) out[i] = fp[j]!;
    else {
      const slope = (fp[j + 1]! - fp[j]!) / (xp[j + 1]! - xp[j]!);
      let v = slope * (xv - xp[j]!) + fp[j]!;
      if (Number.isNaN(v)) {
        v = slope * (xv - xp[j + 1]!) + fp[j + 1]!;
        if (Number.isNaN(v) && fp[j] === fp[j + 1]) v = fp[j]!;
      }
      out[i] = v;
    }
  }
  return out;
}

/** `numpy.linspace(0, 1, n)`: entries are exactly `i * (1 / (n - 1))` in float64, the last one 1.0. */
export function linspace01(n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 1) return out;
  const step = 1 / (n - 1);
  for (let i = 0; i < n; i++) out[i] = i * step;
  out[n - 1] = 1;
  return out;
}

/** Python 3 `round(x)` to an integer: halves go to the even neighbour. */
export function pyRound(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff < 0.5) return floor;
  if (diff > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Python's float `x % p`: the result takes the sign of `p` (JS `%` takes the sign of `x`). */
export function pyMod(x: number, p: number): number {
  let m = x % p;
  if (m !== 0) {
    if (p < 0 !== m < 0) m += p;
  } else {
    m = p < 0 ? -0 : 0;
  }
  return m;
}
