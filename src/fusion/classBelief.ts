import { OBJECT_CLASSES, type ObjectClass } from "../types";

/**
 * Class evidence as a Dempster–Shafer mass over the known classes plus `unknown`, where
 * `unknown` means "any class" (ignorance), not a class of its own. This keeps "no opinion"
 * neutral: a radar detection without a class is fully compatible with a pedestrian track and
 * a car track alike, and adds nothing to a track's class belief.
 *
 * - `classVectorOf`: a detection's probabilities → masses (unassigned probability → `unknown`);
 * - `discount`: trust a source only to degree r (the rest becomes `unknown`);
 * - `combine`: Dempster's rule (conflicting mass between different known classes is dropped);
 * - `pignistic`: masses → probabilities (the `unknown` mass shared evenly among known classes).
 */

/** Masses in `OBJECT_CLASSES` order; the `unknown` entry is the mass on "any class". Sums to 1. */
export type ClassVector = Float64Array;

const N = OBJECT_CLASSES.length;
const CLASS_INDEX = new Map<ObjectClass, number>(OBJECT_CLASSES.map((c, i) => [c, i]));
export const UNKNOWN_INDEX = CLASS_INDEX.get("unknown")!;
const KNOWN = N - 1;

export function classIndex(c: ObjectClass): number {
  return CLASS_INDEX.get(c)!;
}

/** Full ignorance. */
export function ignorance(): ClassVector {
  const v = new Float64Array(N);
  v[UNKNOWN_INDEX] = 1;
  return v;
}

/** A detection's class probabilities as masses; probability not given to a known class is `unknown`. */
export function classVectorOf(probs: Partial<Record<ObjectClass, number>>): ClassVector {
  const v = new Float64Array(N);
  let total = 0;
  for (let i = 0; i < N; i++) {
    if (i === UNKNOWN_INDEX) continue;
    const p = probs[OBJECT_CLASSES[i]!] ?? 0;
    v[i] = p;
    total += p;
  }
  if (total > 1) {
    for (let i = 0; i < N; i++) v[i] /= total;
    total = 1;
  }
  v[UNKNOWN_INDEX] = 1 - total;
  return v;
}

/** Trust the source to degree `reliability` (0..1); the rest of its mass becomes `unknown`. */
export function discount(v: ClassVector, reliability: number): ClassVector {
  const r = Math.min(1, Math.max(0, reliability));
  const out = new Float64Array(N);
  for (let i = 0; i < N; i++) out[i] = r * v[i]!;
  out[UNKNOWN_INDEX] = 1 - r + r * v[UNKNOWN_INDEX]!;
  return out;
}

/**
 * Dempster's rule: m(c) ∝ a(c)·b(c) + a(c)·b(u) + a(u)·b(c), m(u) ∝ a(u)·b(u), normalised by
 * 1 − conflict. When the sources contradict each other completely, the result is ignorance.
 */
export function combine(a: ClassVector, b: ClassVector): ClassVector {
  const au = a[UNKNOWN_INDEX]!;
  const bu = b[UNKNOWN_INDEX]!;
  const out = new Float64Array(N);
  let total = au * bu;
  out[UNKNOWN_INDEX] = total;
  for (let i = 0; i < N; i++) {
    if (i === UNKNOWN_INDEX) continue;
    const m = a[i]! * b[i]! + a[i]! * bu + au * b[i]!;
    out[i] = m;
    total += m;
  }
  if (!(total > 1e-12)) return ignorance();
  for (let i = 0; i < N; i++) out[i] /= total;
  return out;
}

/** Probabilities over the known classes (the `unknown` entry is 0). */
export function pignistic(v: ClassVector): Float64Array {
  const out = new Float64Array(N);
  const share = v[UNKNOWN_INDEX]! / KNOWN;
  for (let i = 0; i < N; i++) if (i !== UNKNOWN_INDEX) out[i] = v[i]! + share;
  return out;
}

/** Which known classes may be the same physical object (symmetric; each class with itself). */
const COMPATIBLE_GROUPS: readonly (readonly ObjectClass[])[] = [
  ["car", "truck", "emergency_vehicle"],
  ["car", "motorcycle"],
  ["motorcycle", "cyclist"],
  ["cyclist", "pedestrian"],
];

const COMPATIBILITY: Float64Array = (() => {
  const m = new Float64Array(N * N);
  for (let i = 0; i < N; i++) m[i * N + i] = 1;
  for (const group of COMPATIBLE_GROUPS) {
    for (const a of group) for (const b of group) m[classIndex(a) * N + classIndex(b)] = 1;
  }
  for (let i = 0; i < N; i++) {
    m[UNKNOWN_INDEX * N + i] = 1;
    m[i * N + UNKNOWN_INDEX] = 1;
  }
  return m;
})();

/**
 * Probability that two class beliefs describe compatible classes: Σᵢⱼ a(i)·b(j)·M(i,j) with M
 * the table above (`unknown` compatible with everything). 1 when either side has no opinion or
 * both agree, 0 for a certain car against a certain pedestrian.
 */
export function classCompatibility(a: ClassVector, b: ClassVector): number {
  let s = 0;
  for (let i = 0; i < N; i++) {
    const ai = a[i]!;
    if (ai === 0) continue;
    for (let j = 0; j < N; j++) s += ai * b[j]! * COMPATIBILITY[i * N + j]!;
  }
  return Math.min(1, s);
}
