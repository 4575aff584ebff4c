import { createNaiveFusionHead, naiveRefinement } from "./naiveHead";
import { cam, candidate, lidar, radar } from "./testCandidates";

describe("naive (score-averaging) fusion head", () => {
  it("averages detection scores over the sensors that could see the track; a miss counts 0", () => {
    const r = naiveRefinement(candidate([cam("detected", 0.8), lidar("detected", 0.6), radar("missed")]))!;
    expect(r.existence).toBeCloseTo((0.8 + 0.6 + 0) / 3, 12);
    // class: score-weighted mean of the detections' probabilities (camera car .6 truck .2, LiDAR car 1)
    expect(r.classProbabilities!.car).toBeCloseTo((0.8 * 0.6 + 0.6 * 1) / 1.4, 12);
    expect(r.classProbabilities!.truck).toBeCloseTo((0.8 * 0.2) / 1.4, 12);
  });

  it("ignores sensors out of view; keeps the tracker's values when no sensor could see it", () => {
    expect(naiveRefinement(candidate([cam("outOfView"), lidar("detected", 0.6)]))!.existence).toBeCloseTo(0.6, 12);
    expect(naiveRefinement(candidate([cam("outOfView"), lidar("outOfView")]))).toBeUndefined();
    expect(naiveRefinement(candidate([]))).toBeUndefined();
    const missedOnly = naiveRefinement(candidate([cam("missed"), radar("missed")]))!;
    expect(missedOnly.existence).toBe(0);
    expect(missedOnly.classProbabilities).toBeUndefined();
  });

  it("answers one refinement per candidate, in order", () => {
    const head = createNaiveFusionHead();
    const out = head.refine(0n, [candidate([radar("detected", 0.5)]), candidate([])]);
    expect(out).toHaveLength(2);
    expect(out[0]!.existence).toBeCloseTo(0.5, 12);
    expect(out[1]).toBeUndefined();
  });
});
