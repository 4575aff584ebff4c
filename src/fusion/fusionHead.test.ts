import type { Nanos } from "../types";
import type { CandidateRefinement, FusionCandidate, FusionHead } from "./fusionHead";
import { MultiSensorTracker } from "./MultiSensorTracker";
import { advance, HONEST_SENSORS, observe, seededRandom, type SimSensor, type SimTarget } from "./syntheticEvidence";

const sensor = (sensorId: string, kind: SimSensor["kind"], pd: number): SimSensor => ({
  sensorId,
  kind,
  positionStdM: 0.3,
  detectionProbability: pd,
  clutterPerTick: 0,
  clutterHalfWidthM: 50,
  reportsClass: kind !== "radar",
  quality: 1,
});

/** Records what it is shown and answers with a fixed refinement. */
class RecordingHead implements FusionHead {
  seen: FusionCandidate[][] = [];
  constructor(private readonly answer: (c: FusionCandidate) => CandidateRefinement | undefined) {}
  refine(_stamp: Nanos, candidates: readonly FusionCandidate[]): (CandidateRefinement | undefined)[] {
    this.seen.push(candidates.map((c) => structuredClone(c)));
    return candidates.map(this.answer);
  }
}

describe("fusion head hook", () => {
  it("shows each track with every sensor's outcome and the tracker's own existence", () => {
    const head = new RecordingHead(() => undefined);
    const tracker = new MultiSensorTracker(HONEST_SENSORS, head);
    const target: SimTarget = { x: 20, y: 0, vx: 0, vy: 0, cls: "car" };
    const rng = seededRandom(1);
    const first = tracker.step(observe([target], [sensor("lidar", "lidar", 1), sensor("radar", "radar", 0)], 0, 0, rng));
    const c = head.seen[0]![0]!;
    expect(c.trackId).toBe(first.tracks[0]!.id);
    expect(c.isNew).toBe(true);
    expect(c.priorExistence).toBe(0.1);
    expect(c.modelExistence).toBe(first.tracks[0]!.existence);
    expect(c.sensors.map((s) => [s.sensorId, s.outcome])).toEqual([
      ["lidar", "detected"],
      ["radar", "missed"],
    ]);
    expect(c.sensors[0]!.detection!.classProbabilities).toEqual({ car: expect.closeTo(0.8, 12) });
    expect(first.diagnostics.headInvalid).toBe(0);
  });

  it("lets the head set existence and class; malformed answers are ignored and counted", () => {
    let answer: CandidateRefinement = { existence: 0.5, classProbabilities: { truck: 0.9 } };
    const tracker = new MultiSensorTracker(HONEST_SENSORS, new RecordingHead(() => answer));
    const target: SimTarget = { x: 20, y: 0, vx: 0, vy: 0, cls: "car" };
    const rng = seededRandom(2);
    const lidar = [sensor("lidar", "lidar", 1)];
    let out = tracker.step(observe([target], lidar, 0, 0, rng));
    expect(out.tracks[0]!.existence).toBe(0.5);
    expect(out.tracks[0]!.classification).toBe("truck");
    // Existence 0.5 is below confirmation (0.8), whatever the detections say.
    advance([target], 0.1);
    out = tracker.step(observe([target], lidar, 0.1, 1, rng));
    expect(out.tracks[0]!.status).toBe("tentative");
    answer = { existence: Number.NaN, classProbabilities: { car: 2 } };
    out = tracker.step(observe([target], lidar, 0.2, 2, rng));
    expect(out.diagnostics.headInvalid).toBe(2);
    // The tracker's own update stands: the LiDAR hit raised existence from 0.5.
    expect(out.tracks[0]!.existence).toBeGreaterThan(0.9);
  });

  it("has no head diagnostics without a head", () => {
    const out = new MultiSensorTracker(HONEST_SENSORS).step(observe([], [], 0, 0, seededRandom(3)));
    expect(out.diagnostics.headInvalid).toBeUndefined();
  });
});

describe("fusion head position refinement", () => {
  const lidarOnly = [sensor("lidar", "lidar", 1)];
  const setup = (answer: (c: FusionCandidate) => CandidateRefinement | undefined) => {
    const head = new RecordingHead(answer);
    return { head, tracker: new MultiSensorTracker(HONEST_SENSORS, head) };
  };

  it("shows the candidate's stamp, its position at the tick, hits and age", () => {
    const { head, tracker } = setup(() => undefined);
    const target: SimTarget = { x: 20, y: 0, vx: 5, vy: 0, cls: "car" };
    const rng = seededRandom(4);
    tracker.step(observe([target], lidarOnly, 0, 0, rng));
    advance([target], 0.1);
    tracker.step(observe([target], lidarOnly, 0.1, 1, rng));
    const c = head.seen[1]![0]!;
    expect(c.hits).toBe(2);
    expect(c.ageSec).toBeCloseTo(0.1, 9);
    expect(typeof c.stamp).toBe("bigint");
    expect(c.tickPosition.x).toBeCloseTo(c.position.x, 6); // the tick and the LiDAR share the stamp here
    expect(c.sensors[0]!.sinceDetectedSec).toBe(0);
    // Not detected on the next tick (p_D 0): a miss, 0.1 s after its last detection.
    advance([target], 0.1);
    tracker.step(observe([target], [sensor("lidar", "lidar", 0)], 0.2, 2, rng));
    const m = head.seen[2]![0]!.sensors[0]!;
    expect(m.outcome).toBe("missed");
    expect(m.sinceDetectedSec).toBeCloseTo(0.1, 9);
  });

  it("applies a refined position as a pseudo-measurement weighted by its variance", () => {
    let variance = 0.01;
    const { tracker } = setup((c) => ({ position: { x: c.tickPosition.x + 0.5, y: c.tickPosition.y, varianceM2: variance } }));
    const plain = new MultiSensorTracker(HONEST_SENSORS);
    const target: SimTarget = { x: 20, y: 0, vx: 0, vy: 0, cls: "car" };
    const a = tracker.step(observe([target], lidarOnly, 0, 0, seededRandom(5)));
    const b = plain.step(observe([target], lidarOnly, 0, 0, seededRandom(5)));
    // LiDAR σ 0.3 m (variance 0.09) vs the head's 0.01: the track moves 0.09/(0.09+0.01) of the way.
    const px = b.tracks[0]!.positionCovariance[0]!;
    expect(a.tracks[0]!.position.x - b.tracks[0]!.position.x).toBeCloseTo((0.5 * px) / (px + variance), 6);
    expect(a.diagnostics.headInvalid).toBe(0);
    variance = 1e6;
    const t2 = setup((c) => ({ position: { x: c.tickPosition.x + 0.5, y: c.tickPosition.y, varianceM2: variance } })).tracker;
    const c = t2.step(observe([target], lidarOnly, 0, 0, seededRandom(5)));
    expect(Math.abs(c.tracks[0]!.position.x - b.tracks[0]!.position.x)).toBeLessThan(1e-6);
  });

  it("ignores and counts malformed positions; skips (uncounted) a position outside the gate", () => {
    const answers: (CandidateRefinement["position"] | null)[] = [
      { x: Number.NaN, y: 0, varianceM2: 1 },
      { x: 0, y: 0, varianceM2: -1 },
      { x: 1e9, y: 0, varianceM2: 1 },
      null,
    ];
    for (const p of answers) {
      const { tracker } = setup(() => ({ position: p as CandidateRefinement["position"] }));
      const plain = new MultiSensorTracker(HONEST_SENSORS);
      const target: SimTarget = { x: 20, y: 0, vx: 0, vy: 0, cls: "car" };
      const a = tracker.step(observe([target], lidarOnly, 0, 0, seededRandom(6)));
      const b = plain.step(observe([target], lidarOnly, 0, 0, seededRandom(6)));
      expect(a.diagnostics.headInvalid).toBe(1);
      expect(a.tracks[0]!.position).toEqual(b.tracks[0]!.position);
    }
    const far = setup((c) => ({ position: { x: c.tickPosition.x + 30, y: c.tickPosition.y, varianceM2: 0.01 } })).tracker;
    const target: SimTarget = { x: 20, y: 0, vx: 0, vy: 0, cls: "car" };
    const a = far.step(observe([target], lidarOnly, 0, 0, seededRandom(6)));
    const b = new MultiSensorTracker(HONEST_SENSORS).step(observe([target], lidarOnly, 0, 0, seededRandom(6)));
    expect(a.diagnostics.headInvalid).toBe(0);
    expect(a.tracks[0]!.position).toEqual(b.tracks[0]!.position);
  });
});
