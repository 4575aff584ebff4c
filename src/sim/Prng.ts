// Globals are looked up through a slow path inside Jest's sandbox; module constants are not.
const M = Math;
/**
 * Seeded pseudo-random numbers for the simulator. Every random draw in src/sim goes through a
 * `Prng` so that the same scenario and seed give byte-identical recordings. sfc32 is small,
 * fast and passes PractRand for the lengths we use; seeds are expanded with splitmix32.
 */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | undefined;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = M.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = M.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  /** An independent stream for a named sub-system, so adding draws in one does not shift another. */
  fork(label: string): Prng {
    let h = 2166136261;
    for (let i = 0; i < label.length; i++) h = M.imul(h ^ label.charCodeAt(i), 16777619);
    return new Prng((this.nextU32() ^ h) >>> 0);
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + M.floor(this.next() * (hi - lo + 1));
  }

  /** Standard normal (Box–Muller, caching the second value). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== undefined) {
      const v = this.spareNormal;
      this.spareNormal = undefined;
      return mean + std * v;
    }
    let u = this.next();
    while (u <= 1e-12) u = this.next();
    const v = this.next();
    const r = M.sqrt(-2 * M.log(u));
    this.spareNormal = r * M.sin(2 * M.PI * v);
    return mean + std * r * M.cos(2 * M.PI * v);
  }

  exponential(mean: number): number {
    let u = this.next();
    while (u <= 1e-12) u = this.next();
    return -mean * M.log(u);
  }

  /** Poisson-distributed count (Knuth for small means, normal approximation above 30). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 30) return M.max(0, M.round(this.normal(mean, M.sqrt(mean))));
    const limit = M.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("Prng.pick: expected a non-empty list");
    return items[M.floor(this.next() * items.length)] as T;
  }
}

/** Stateless hash noise in [0, 1) for textures: same inputs, same value, no stream to advance. */
export function hashNoise(ix: number, iy: number, seed: number): number {
  let h = M.imul(ix | 0, 374761393) ^ M.imul(iy | 0, 668265263) ^ M.imul(seed | 0, 2246822519);
  h = M.imul(h ^ (h >>> 13), 1274126177);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}
