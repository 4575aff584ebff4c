import type { Nanos, ObjectClass } from "../../types";
import type { CandidateRefinement, FusionCandidate, FusionHead } from "../fusionHead";

/**
 * The naive late-fusion baseline (the "score averaging" ablation): per track and tick,
 * existence = mean over the sensors that could see the track of their detection score (a miss
 * counts 0; out of view or absent sensors are ignored), class = the score-weighted mean of the
 * detections' class probabilities. No memory across ticks, no learned weights. A track no sensor
 * could see this tick keeps the tracker's values.
 */
export function naiveRefinement(c: FusionCandidate): CandidateRefinement | undefined {
  let n = 0;
  let sum = 0;
  let weight = 0;
  const classes: Partial<Record<ObjectClass, number>> = {};
  for (const s of c.sensors) {
    if (s.outcome === "outOfView") continue;
    n++;
    if (s.outcome !== "detected" || s.detection === undefined) continue;
    const score = Number.isFinite(s.detection.score) ? Math.min(1, Math.max(0, s.detection.score)) : 0;
    sum += score;
    weight += score;
    for (const [cls, p] of Object.entries(s.detection.classProbabilities) as [ObjectClass, number][]) {
      if (Number.isFinite(p)) classes[cls] = (classes[cls] ?? 0) + score * p;
    }
  }
  if (n === 0) return undefined;
  const out: CandidateRefinement = { existence: sum / n };
  if (weight > 0) {
    for (const cls of Object.keys(classes) as ObjectClass[]) classes[cls] = Math.min(1, classes[cls]! / weight);
    out.classProbabilities = classes;
  }
  return out;
}

export function createNaiveFusionHead(): FusionHead {
  return {
    refine: (_stamp: Nanos, candidates: readonly FusionCandidate[]) => candidates.map(naiveRefinement),
  };
}
