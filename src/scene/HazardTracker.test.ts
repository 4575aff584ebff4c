import { msToNs, type AcousticHazard } from "../types";
import { HazardTracker } from "./HazardTracker";

const T0 = 10_000_000_000n;
const at = (ms: number) => T0 + msToNs(ms);
const siren = (probability: number, bearingRad: number | null, bearingConfidence: number): AcousticHazard => ({
  kind: "siren",
  probability,
  bearingRad,
  mirroredBearingRad: bearingRad === null ? null : Math.PI - bearingRad,
  bearingConfidence,
});

describe("HazardTracker", () => {
  it("merges sensors: highest probability, the most confident bearing", () => {
    const h = new HazardTracker();
    const out = h.update(at(0), [siren(0.6, 0.3, 0.9), siren(0.8, -0.2, 0.4), siren(0.7, null, 1), { ...siren(0.9, 1, 1), kind: "horn" }]);
    expect(out).toEqual([
      {
        kind: "siren",
        probability: 0.8,
        bearingRad: 0.3,
        mirroredBearingRad: Math.PI - 0.3,
        bearingConfidence: 0.9,
        firstHeard: at(0),
        lastHeard: at(0),
      },
      {
        kind: "horn",
        probability: 0.9,
        bearingRad: 1,
        mirroredBearingRad: Math.PI - 1,
        bearingConfidence: 1,
        firstHeard: at(0),
        lastHeard: at(0),
      },
    ]);
  });

  it("keeps firstHeard across gaps up to holdMs, and starts a new episode after a longer silence", () => {
    const h = new HazardTracker({ holdMs: 500 });
    const timeline: Array<[number, boolean]> = [
      [0, true],
      [100, false],
      [400, true], // gap 400 ms ≤ 500: same episode
      [800, false], // still held (400 ms since last heard)
      [1000, false], // 600 ms > 500: dropped
      [1100, true], // new episode
    ];
    const out = timeline.map(([ms, heard]) => h.update(at(ms), heard ? [siren(0.7, null, 0)] : []));
    expect(out.map((o) => o.map((z) => [Number((z.firstHeard - T0) / 1_000_000n), Number((z.lastHeard - T0) / 1_000_000n)]))).toEqual([
      [[0, 0]],
      [[0, 0]],
      [[0, 400]],
      [[0, 400]],
      [],
      [[1100, 1100]],
    ]);
    expect(out[0]![0]!.bearingRad).toBeNull();
  });

  it("ignores hazards below minProbability", () => {
    const h = new HazardTracker({ minProbability: 0.5 });
    expect(h.update(at(0), [siren(0.4, 0, 1)])).toEqual([]);
  });
});
