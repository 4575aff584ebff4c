import { map } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { secToNs, type EvidenceBundle, type SensorEvidence } from "../types";
import { trackObjects } from "./trackObjects";
import type { TrackedObjects } from "../types/tracked";

const evidence = (t: number, x: number): SensorEvidence => ({
  sensorId: "lidar_top",
  kind: "lidar",
  stamp: secToNs(t),
  detections: [{ position: { x, y: 0, z: 0 }, positionCovariance: [0.04, 0, 0, 0.04], classProbabilities: { car: 0.9 }, score: 0.9 }],
  quality: 1,
  encoder: { name: "t", modelVersion: "0", backend: "none" },
  timingMs: {},
});
const bundle = (tick: number, x: number): EvidenceBundle => ({
  stamp: secToNs(tick / 10),
  tick,
  evidence: [evidence(tick / 10, x)],
  sync: [{ sensorId: "lidar_top", kind: "lidar", status: "included", skew: 0n }],
});

describe("trackObjects", () => {
  const summary = map((o: TrackedObjects) => `${o.tick}:${o.tracks.map((t) => `${t.id}${t.status[0]}`).join(",")}`);

  it("emits one tracked state per bundle, in step, with a stable id", () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      const input = cold("a-b-c|", { a: bundle(0, 10), b: bundle(1, 10.5), c: bundle(2, 11) });
      const expected = " x-y-z|";
      expectObservable(input.pipe(trackObjects(), summary)).toBe(expected, { x: "0:1t", y: "1:1c", z: "2:1c" });
    });
  });

  it("starts each subscription from a fresh tracker", () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      const stage = cold("a-b|", { a: bundle(0, 10), b: bundle(1, 40) }).pipe(trackObjects(), summary);
      // Both subscribers see ids 1 then 2: no state leaks between them.
      expectObservable(stage).toBe("x-y|", { x: "0:1t", y: "1:1t,2t" });
      expectObservable(stage).toBe("x-y|", { x: "0:1t", y: "1:1t,2t" });
    });
  });

  it("rejects a bad config when the pipeline is built", () => {
    expect(() => trackObjects({ gateProbability: 2 })).toThrow("fusion.tracker.gateProbability");
  });
});
