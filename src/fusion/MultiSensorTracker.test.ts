import { secToNs, type Detection, type EvidenceBundle, type SensorEvidence } from "../types";
import { MultiSensorTracker } from "./MultiSensorTracker";
import { advance, HONEST_SENSORS, observe, seededRandom, type SimSensor, type SimTarget } from "./syntheticEvidence";
import type { FusedTrack, TrackedObjects } from "../types/tracked";

const DT = 0.1;

const lidar = (over: Partial<SimSensor> = {}): SimSensor => ({
  sensorId: "lidar_top",
  kind: "lidar",
  positionStdM: 0.3,
  detectionProbability: 1,
  clutterPerTick: 0,
  clutterHalfWidthM: 80,
  reportsClass: true,
  quality: 1,
  ...over,
});
const radar = (over: Partial<SimSensor> = {}): SimSensor => ({
  sensorId: "radar_front",
  kind: "radar",
  positionStdM: 0.8,
  detectionProbability: 1,
  clutterPerTick: 0,
  clutterHalfWidthM: 80,
  rangeRateStdMps: 0.1,
  reportsClass: false,
  quality: 1,
  ...over,
});
const camera = (over: Partial<SimSensor> = {}): SimSensor => ({
  sensorId: "cam_front",
  kind: "camera",
  positionStdM: 1,
  detectionProbability: 1,
  clutterPerTick: 0,
  clutterHalfWidthM: 80,
  reportsClass: true,
  quality: 1,
  ...over,
});

function run(
  tracker: MultiSensorTracker,
  targets: SimTarget[],
  sensors: SimSensor[],
  ticks: number,
  seed: number,
  startTick = 0,
): TrackedObjects[] {
  const rng = seededRandom(seed);
  const outs: TrackedObjects[] = [];
  for (let k = startTick; k < startTick + ticks; k++) {
    outs.push(tracker.step(observe(targets, sensors, k * DT, k, rng)));
    advance(targets, DT);
  }
  return outs;
}

const confirmed = (o: TrackedObjects): FusedTrack[] => o.tracks.filter((t) => t.status === "confirmed");
const trace2 = (t: FusedTrack): number => t.positionCovariance[0]! + t.positionCovariance[4]!;
/** The confirmed track nearest to (x, y). */
const nearest = (o: TrackedObjects, x: number, y: number): FusedTrack =>
  confirmed(o).reduce((a, b) => (Math.hypot(a.position.x - x, a.position.y - y) <= Math.hypot(b.position.x - x, b.position.y - y) ? a : b));

describe("MultiSensorTracker", () => {
  it("tracks a constant-velocity target: one stable id, right velocity, converging covariance", () => {
    // A target that truly does not accelerate: a low process noise lets the velocity settle.
    const tracker = new MultiSensorTracker({ ...HONEST_SENSORS, accelerationNoise: 0.5 });
    const target: SimTarget = { x: 20, y: 5, vx: 6, vy: -1.5, cls: "car" };
    const outs = run(tracker, [target], [lidar()], 100, 1);
    const ids = new Set(outs.flatMap((o) => o.tracks.map((t) => t.id)));
    expect([...ids]).toEqual([1]);
    expect(outs[1]!.tracks[0]!.status).toBe("confirmed");
    const last = outs[99]!.tracks[0]!;
    // The state is reported at the tick stamp; the target moved after the last observation.
    expect(last.position.x).toBeCloseTo(20 + 6 * 9.9, 0);
    expect(last.position.y).toBeCloseTo(5 - 1.5 * 9.9, 0);
    // Unbiased over the last 40 ticks, and each estimate within 3 reported σ.
    const tail = outs.slice(60).map((o) => o.tracks[0]!);
    const meanVx = tail.reduce((s, t) => s + t.velocity.x, 0) / tail.length;
    const meanVy = tail.reduce((s, t) => s + t.velocity.y, 0) / tail.length;
    expect(Math.abs(meanVx - 6)).toBeLessThan(0.15);
    expect(Math.abs(meanVy + 1.5)).toBeLessThan(0.15);
    for (const t of tail) {
      expect(Math.abs(t.velocity.x - 6)).toBeLessThan(3 * Math.sqrt(t.velocityCovariance[0]!));
      expect(Math.abs(t.velocity.y + 1.5)).toBeLessThan(3 * Math.sqrt(t.velocityCovariance[3]!));
    }
    // Covariance shrinks below one measurement's (2·0.09 m²) and settles.
    const traces = outs.map((o) => trace2(o.tracks[0]!));
    expect(traces[2]!).toBeLessThan(traces[0]! + 1e-12);
    expect(traces[99]!).toBeLessThan(0.18);
    expect(Math.abs(traces[99]! - traces[60]!) / traces[99]!).toBeLessThan(0.01);
    const velVar = outs.map((o) => o.tracks[0]!.velocityCovariance[0]!);
    // From the 15 m/s prior down to the steady state the process noise allows (≈ 0.5 m/s).
    expect(velVar[99]!).toBeLessThan(velVar[0]! / 500);
    expect(Math.abs(velVar[99]! - velVar[60]!) / velVar[99]!).toBeLessThan(0.01);
    expect(last.classification).toBe("car");
    expect(last.sensors.map((s) => s.sensorId)).toEqual(["lidar_top"]);
  });

  it("keeps ids of two targets crossing each other", () => {
    for (let seed = 1; seed <= 10; seed++) {
      const tracker = new MultiSensorTracker(HONEST_SENSORS);
      // They meet at (30, 0) at t = 3 s, at right angles.
      const a: SimTarget = { x: 30 - 18, y: 0, vx: 6, vy: 0, cls: "car" };
      const b: SimTarget = { x: 30, y: -18, vx: 0, vy: 6, cls: "car" };
      const outs = run(tracker, [a, b], [lidar({ positionStdM: 0.4 }), radar()], 60, seed);
      const start = outs[5]!;
      const idA = nearest(start, a.x - 6 * 5.5, 0).id;
      const idB = nearest(start, 30, b.y - 6 * 5.5).id;
      expect(idA).not.toBe(idB);
      const end = outs[59]!;
      expect(confirmed(end)).toHaveLength(2);
      expect(nearest(end, a.x - 6 * DT, a.y).id).toBe(idA);
      expect(nearest(end, b.x, b.y - 6 * DT).id).toBe(idB);
      const trackA = end.tracks.find((t) => t.id === idA)!;
      expect(trackA.velocity.x).toBeGreaterThan(5);
      expect(Math.abs(trackA.velocity.y)).toBeLessThan(1);
    }
  });

  it("gets the velocity of a radar-only target from its range rate", () => {
    const target = (): SimTarget => ({ x: 60, y: 8, vx: -12, vy: -1.6, cls: "car" });
    const withDoppler = run(new MultiSensorTracker(HONEST_SENSORS), [target()], [radar()], 3, 3);
    const withoutDoppler = run(new MultiSensorTracker(HONEST_SENSORS), [target()], [radar({ rangeRateStdMps: undefined })], 3, 3);
    // Moving straight at the sensor: the range rate is the whole velocity.
    const v = withDoppler[0]!.tracks[0]!.velocity;
    expect(Math.abs(v.x + 12)).toBeLessThan(0.5);
    expect(Math.abs(v.y + 1.6)).toBeLessThan(0.5);
    const v2 = withoutDoppler[1]!.tracks[0]!.velocity;
    expect(Math.hypot(v2.x + 12, v2.y + 1.6)).toBeGreaterThan(2);
    expect(withDoppler[2]!.tracks[0]!.sensors[0]!.rangeRateMps).toBeCloseTo(-12.1, 0);
  });

  it("uses ego speed so that a parked car has zero over-ground velocity", () => {
    const tracker = new MultiSensorTracker(HONEST_SENSORS);
    const rng = seededRandom(4);
    const ego = { speedMps: 15, yawRateRadps: 0 };
    const outs: TrackedObjects[] = [];
    for (let k = 0; k < 30; k++) {
      // A parked car 80 m ahead; in the ego frame it approaches at 15 m/s.
      const t: SimTarget = { x: 80 - 15 * k * DT, y: 3, vx: 0, vy: 0, cls: "car" };
      outs.push(tracker.step(observe([t], [radar(), lidar()], k * DT, k, rng, ego)));
    }
    expect(outs[29]!.tracks).toHaveLength(1);
    expect(outs[29]!.tracks[0]!.position.x).toBeCloseTo(80 - 15 * 29 * DT, 0);
    // The range rate pins the longitudinal over-ground velocity at 0 (not −15) from the start.
    for (const o of outs) expect(Math.abs(o.tracks[0]!.velocity.x)).toBeLessThan(0.5);
    const tail = outs.slice(20).map((o) => o.tracks[0]!.velocity);
    expect(Math.abs(tail.reduce((s, v) => s + v.x, 0) / tail.length)).toBeLessThan(0.1);
    expect(Math.abs(tail.reduce((s, v) => s + v.y, 0) / tail.length)).toBeLessThan(0.3);
  });

  it("compensates ego turning: a static object stays put in the world", () => {
    const tracker = new MultiSensorTracker({ ...HONEST_SENSORS, accelerationNoise: 0.5 });
    const rng = seededRandom(5);
    const speed = 10;
    const omega = 0.2;
    const world = { x: 40, y: 10 };
    let out: TrackedObjects | undefined;
    let truth = { x: 0, y: 0 };
    for (let k = 0; k < 40; k++) {
      const t = k * DT;
      const heading = omega * t;
      const ex = (speed / omega) * Math.sin(heading);
      const ey = (speed / omega) * (1 - Math.cos(heading));
      const dx = world.x - ex;
      const dy = world.y - ey;
      truth = { x: Math.cos(heading) * dx + Math.sin(heading) * dy, y: -Math.sin(heading) * dx + Math.cos(heading) * dy };
      const target: SimTarget = { ...truth, vx: 0, vy: 0, cls: "car" };
      out = tracker.step(observe([target], [lidar({ positionStdM: 0.2 })], t, k, rng, { speedMps: speed, yawRateRadps: omega }));
    }
    const track = out!.tracks[0]!;
    expect(out!.tracks).toHaveLength(1);
    expect(Math.hypot(track.position.x - truth.x, track.position.y - truth.y)).toBeLessThan(0.3);
    expect(Math.hypot(track.velocity.x, track.velocity.y)).toBeLessThan(0.5);
  });

  it("raises existence with detections and lowers it when they stop, then deletes the track", () => {
    const tracker = new MultiSensorTracker(HONEST_SENSORS);
    const target: SimTarget = { x: 25, y: 0, vx: 0, vy: 0, cls: "car" };
    const seen = run(tracker, [target], [lidar()], 10, 6);
    const rising = seen.map((o) => o.tracks[0]!.existence);
    expect(rising[1]!).toBeGreaterThan(rising[0]!);
    expect(rising[9]!).toBeGreaterThan(0.95);
    // The LiDAR keeps reporting, but not this object.
    const gone = run(tracker, [target], [lidar({ detectionProbability: 0 })], 10, 7, 10);
    const falling = gone.filter((o) => o.tracks.length > 0).map((o) => o.tracks[0]!.existence);
    for (let i = 1; i < falling.length; i++) expect(falling[i]!).toBeLessThan(falling[i - 1]!);
    expect(falling[0]!).toBeLessThan(rising[9]!);
    expect(gone[9]!.tracks).toHaveLength(0);
    expect(gone.some((o) => o.diagnostics.deleted === 1)).toBe(true);
  });

  it("decays existence more slowly when the sensor is blinded or absent than when it sees nothing", () => {
    const after = (sensor: SimSensor | undefined): number => {
      const tracker = new MultiSensorTracker(HONEST_SENSORS);
      const target: SimTarget = { x: 25, y: 0, vx: 0, vy: 0, cls: "car" };
      run(tracker, [target], [lidar()], 10, 8);
      const outs = run(tracker, [target], sensor === undefined ? [] : [sensor], 3, 9, 10);
      return outs[2]!.tracks[0]?.existence ?? 0;
    };
    const missing = after(undefined);
    const blinded = after(lidar({ detectionProbability: 0, quality: 0 }));
    const seesNothing = after(lidar({ detectionProbability: 0 }));
    expect(missing).toBeGreaterThan(0.9);
    expect(blinded).toBeCloseTo(missing, 6);
    expect(seesNothing).toBeLessThan(0.1);
  });

  it("keeps tracks through a sensor dropout and re-admits the sensor to the same tracks", () => {
    const tracker = new MultiSensorTracker(HONEST_SENSORS);
    const targets: SimTarget[] = [
      { x: 25, y: 2, vx: 4, vy: 0, cls: "car" },
      { x: 40, y: -5, vx: -2, vy: 0.5, cls: "car" },
    ];
    const all = [lidar({ detectionProbability: 0.95 }), radar({ detectionProbability: 0.9 })];
    const before = run(tracker, targets, all, 20, 14);
    const ids = confirmed(before[19]!)
      .map((t) => t.id)
      .sort();
    expect(ids).toHaveLength(2);
    // The LiDAR is gone for 3 s: the radar alone carries the tracks.
    const during = run(tracker, targets, [all[1]!], 30, 15, 20);
    for (const o of during) {
      expect(
        confirmed(o)
          .map((t) => t.id)
          .sort(),
      ).toEqual(ids);
      for (const t of o.tracks) expect(t.existence).toBeGreaterThan(0.9);
    }
    // Back: its first detections update the existing tracks, no new track is born.
    const after = run(tracker, targets, all, 5, 16, 50);
    expect(after[0]!.diagnostics.created).toBe(0);
    expect(after[0]!.diagnostics.sensors.find((d) => d.sensorId === "lidar_top")!.associated).toBe(
      after[0]!.diagnostics.sensors.find((d) => d.sensorId === "lidar_top")!.detections,
    );
    for (const t of after[4]!.tracks) expect(t.sensors.find((s) => s.sensorId === "lidar_top")!.stamp).toBe(secToNs(54 * DT));
    expect(
      confirmed(after[4]!)
        .map((t) => t.id)
        .sort(),
    ).toEqual(ids);
  });

  it("keeps existence up in fog from the healthy sensors while the camera's quality drops", () => {
    const tracker = new MultiSensorTracker(HONEST_SENSORS);
    const targets: SimTarget[] = [{ x: 30, y: 0, vx: 3, vy: 0, cls: "car" }];
    run(tracker, targets, [lidar(), radar(), camera()], 10, 17);
    // Fog: the camera barely sees (p_D 0.1) but says so (quality 0.1); the LiDAR thins out too.
    const foggy = run(
      tracker,
      targets,
      [lidar({ detectionProbability: 0.6, quality: 0.6 }), radar(), camera({ detectionProbability: 0.1, quality: 0.1 })],
      50,
      18,
      10,
    );
    for (const o of foggy) expect(o.tracks.find((t) => t.status === "confirmed")!.existence).toBeGreaterThan(0.9);
    // Had the camera claimed full quality while seeing nothing, its misses would drag existence down.
    const overconfident = new MultiSensorTracker(HONEST_SENSORS);
    const targets2: SimTarget[] = [{ x: 30, y: 0, vx: 3, vy: 0, cls: "car" }];
    run(overconfident, targets2, [lidar(), radar(), camera()], 10, 17);
    const dragged = run(
      overconfident,
      targets2,
      [lidar({ detectionProbability: 0.6, quality: 0.6 }), radar(), camera({ detectionProbability: 0.1 })],
      50,
      18,
      10,
    );
    const minHonest = Math.min(...foggy.map((o) => o.tracks[0]!.existence));
    const minDragged = Math.min(...dragged.map((o) => o.tracks[0]?.existence ?? 0));
    expect(minDragged).toBeLessThan(minHonest);
  });

  it("does not confirm tracks from clutter, but confirms the real object among it", () => {
    const tracker = new MultiSensorTracker(HONEST_SENSORS);
    const sensors = [
      lidar({ detectionProbability: 0.9, clutterPerTick: 5 }),
      radar({ detectionProbability: 0.8, clutterPerTick: 8 }),
      camera({ detectionProbability: 0.85, clutterPerTick: 3 }),
    ];
    const real: SimTarget = { x: 30, y: -4, vx: 3, vy: 0, cls: "car" };
    const outs = run(tracker, [real], sensors, 300, 10);
    let clutterConfirmed = 0;
    for (const o of outs.slice(5)) {
      for (const t of confirmed(o)) {
        if (Math.hypot(t.position.x - (o.tick * DT * 3 + 30), t.position.y + 4) > 3) clutterConfirmed++;
      }
    }
    expect(clutterConfirmed).toBe(0);
    const realIds = new Set(outs.slice(5).flatMap((o) => confirmed(o).map((t) => t.id)));
    expect(realIds.size).toBe(1);
    // Tentative clutter tracks come and go; they do not pile up.
    expect(Math.max(...outs.map((o) => o.tracks.length))).toBeLessThan(40);
  });

  it("fuses the same object from four sensors into one track with all four in its provenance", () => {
    const tracker = new MultiSensorTracker(HONEST_SENSORS);
    const targets: SimTarget[] = [
      { x: 20, y: 0, vx: 2, vy: 0, cls: "car" },
      { x: 40, y: 10, vx: -3, vy: 0, cls: "truck" },
      { x: 15, y: -6, vx: 0, vy: 1, cls: "pedestrian" },
    ];
    const sensors = [lidar(), radar(), camera(), camera({ sensorId: "cam_left", positionStdM: 1.2 })];
    const outs = run(tracker, targets, sensors, 20, 11);
    const last = outs[19]!;
    expect(last.tracks).toHaveLength(3);
    expect(outs[0]!.diagnostics.created).toBe(3);
    for (const t of last.tracks) {
      expect(t.sensors.map((s) => s.sensorId)).toEqual(["cam_front", "cam_left", "lidar_top", "radar_front"]);
      expect(t.measurements.length).toBe(16);
    }
    const ped = nearest(last, 15, -6 + 1 * 1.9);
    expect(ped.classification).toBe("pedestrian");
    expect(ped.classProbabilities.pedestrian!).toBeGreaterThan(0.8);
    const truck = nearest(last, 40 - 3 * 1.9, 10);
    expect(truck.classification).toBe("truck");
  });

  it("fuses class evidence over time: stable under one contrary frame, blind to class-less and blinded sensors", () => {
    const tracker = new MultiSensorTracker(HONEST_SENSORS);
    const det = (cls: Partial<Record<"pedestrian" | "car", number>>): Detection => ({
      position: { x: 12, y: 2, z: 0 },
      positionCovariance: [0.1, 0, 0, 0.1],
      classProbabilities: cls,
      score: 0.9,
    });
    const tick = (k: number, evidence: { sensorId: string; kind: "camera" | "radar"; d: Detection; quality?: number }[]) =>
      tracker.step({
        stamp: secToNs(k * DT),
        tick: k,
        sync: [],
        evidence: evidence.map((e) => ({
          sensorId: e.sensorId,
          kind: e.kind,
          stamp: secToNs(k * DT),
          detections: [e.d],
          quality: e.quality ?? 1,
          encoder: { name: "t", modelVersion: "0", backend: "none" },
          timingMs: {},
        })),
      }).tracks[0]!;
    let t = tick(0, [{ sensorId: "cam", kind: "camera", d: det({ pedestrian: 0.8 }) }]);
    const afterOne = t.classProbabilities.pedestrian!;
    for (let k = 1; k < 10; k++) t = tick(k, [{ sensorId: "cam", kind: "camera", d: det({ pedestrian: 0.8 }) }]);
    expect(t.classProbabilities.pedestrian!).toBeGreaterThan(afterOne);
    expect(t.classProbabilities.pedestrian!).toBeGreaterThan(0.9);
    const settled = t.classProbabilities.pedestrian!;
    // Radar has no class opinion: only forgetting moves the belief, slightly.
    t = tick(10, [{ sensorId: "radar", kind: "radar", d: det({}) }]);
    expect(t.classProbabilities.pedestrian!).toBeLessThan(settled);
    expect(t.classProbabilities.pedestrian!).toBeGreaterThan(settled - 0.02);
    // One contrary frame dents the belief but does not flip it.
    t = tick(11, [{ sensorId: "cam", kind: "camera", d: det({ car: 0.9 }) }]);
    expect(t.classification).toBe("pedestrian");
    // A blinded camera (quality 0) says "car" with confidence: only forgetting moves the belief.
    const before = t.classProbabilities.car!;
    t = tick(12, [{ sensorId: "cam", kind: "camera", d: det({ car: 1 }), quality: 0 }]);
    expect(Math.abs(t.classProbabilities.car! - before)).toBeLessThan(0.005);
    expect(t.classification).toBe("pedestrian");
  });

  it("smooths size and yaw, treating a box 180° off as the same axis", () => {
    const tracker = new MultiSensorTracker(HONEST_SENSORS);
    const at = (k: number, yawRad: number, length: number): EvidenceBundle => ({
      stamp: secToNs(k * DT),
      tick: k,
      sync: [],
      evidence: [
        {
          sensorId: "lidar_top",
          kind: "lidar",
          stamp: secToNs(k * DT),
          quality: 1,
          encoder: { name: "t", modelVersion: "0", backend: "none" },
          timingMs: {},
          detections: [
            {
              position: { x: 15, y: 3, z: 0.8 },
              positionCovariance: [0.04, 0, 0, 0, 0.04, 0, 0, 0, 0.01],
              size: { x: length, y: 1.9, z: 1.5 },
              yawRad,
              classProbabilities: { car: 0.9 },
              score: 0.9,
            },
          ],
        },
      ],
    });
    tracker.step(at(0, 0.1, 4.4));
    let t = tracker.step(at(1, 0.1 + Math.PI, 4.6)).tracks[0]!;
    expect(t.yawRad).toBeCloseTo(0.1, 12);
    expect(t.size!.x).toBeCloseTo(4.4 + 0.3 * 0.2, 12);
    t = tracker.step(at(2, 0.3, 4.4)).tracks[0]!;
    expect(t.yawRad).toBeCloseTo(0.1 + 0.3 * 0.2, 12);
    expect(t.position.z).toBeCloseTo(0.8, 12);
    expect(t.positionCovariance[8]!).toBeLessThan(0.01);
  });

  it("rejects NaN and malformed detections with a count and a one-line reason, keeps the rest", () => {
    const tracker = new MultiSensorTracker(HONEST_SENSORS);
    const good: Detection = { position: { x: 10, y: 1, z: 0 }, positionCovariance: [0.1, 0, 0, 0.1], classProbabilities: {}, score: 0.9 };
    const detections: Detection[] = [
      good,
      { ...good, position: { x: NaN, y: 1, z: 0 } },
      { ...good, positionCovariance: [0.1, 0, 0, -0.1] },
      { ...good, positionCovariance: [0.1, 0, 0] },
      { ...good, score: 2 },
      { ...good, position: { x: 30, y: 1, z: 0 }, rangeRate: { rangeRateMps: Infinity, variance: 1, rangeM: 30, bearingRad: 0 } },
    ];
    const ev: SensorEvidence = {
      sensorId: "radar_front",
      kind: "radar",
      stamp: secToNs(1.5),
      detections,
      quality: 1,
      encoder: { name: "t", modelVersion: "0", backend: "none" },
      timingMs: {},
    };
    const bundle: EvidenceBundle = { stamp: secToNs(1.5), tick: 15, evidence: [ev], sync: [] };
    const out = tracker.step(bundle);
    expect(out.diagnostics.rejectedDetections).toBe(5);
    expect(out.diagnostics.rejectedTotal).toBe(5);
    expect(out.diagnostics.sensors[0]).toMatchObject({ sensorId: "radar_front", detections: 1, rejected: 5, births: 1 });
    expect(out.tracks).toHaveLength(1);
    expect(out.diagnostics.rejections).toEqual([
      "fusion: sensor radar_front (radar) detection 1 at 1500000000 ns: position.x is NaN; expected a finite number within ±100000 (m)",
      "fusion: sensor radar_front (radar) detection 2 at 1500000000 ns: positionCovariance has variance -0.1; expected variances in 1e-12..1000000000000 (m²)",
      "fusion: sensor radar_front (radar) detection 3 at 1500000000 ns: positionCovariance has 3 entries; expected 9 (3×3) or 4 (2×2) row-major (m²)",
      "fusion: sensor radar_front (radar) detection 4 at 1500000000 ns: score is 2; expected a number in 0..1",
      "fusion: sensor radar_front (radar) detection 5 at 1500000000 ns: rangeRate.rangeRateMps is Infinity; expected a finite number within ±1000 (m/s)",
    ]);
    const next = tracker.step({ ...bundle, stamp: secToNs(1.6), tick: 16, evidence: [{ ...ev, stamp: secToNs(1.6) }] });
    expect(next.diagnostics.rejectedTotal).toBe(10);
  });

  it("skips malformed evidence whole, with a reason, and keeps the other sensors", () => {
    const tracker = new MultiSensorTracker(HONEST_SENSORS);
    const good = observe([{ x: 10, y: 0, vx: 0, vy: 0, cls: "car" }], [lidar()], 0.1, 1, seededRandom(1));
    const broken = { ...good.evidence[0]!, sensorId: "cam_front", kind: "camera" as const, stamp: 100 as unknown as bigint };
    const out = tracker.step({ ...good, evidence: [good.evidence[0]!, broken] });
    expect(out.tracks).toHaveLength(1);
    expect(out.diagnostics.rejectedDetections).toBe(1);
    expect(out.diagnostics.rejections).toEqual([
      "fusion: tick 1 evidence of sensor cam_front (camera): stamp is number; expected bigint nanoseconds",
    ]);
  });

  it("ignores misses from a sensor whose field of view does not cover the track", () => {
    const tracker = new MultiSensorTracker(HONEST_SENSORS);
    const target: SimTarget = { x: -20, y: 0, vx: 0, vy: 0, cls: "car" };
    run(tracker, [target], [lidar()], 5, 12);
    const before = tracker.step(observe([target], [lidar()], 0.5, 5, seededRandom(1))).tracks[0]!.existence;
    const front = observe([], [camera()], 0.6, 6, seededRandom(2));
    front.evidence[0]!.fieldOfView = { originX: 2, originY: 0, azimuthMinRad: -0.6, azimuthMaxRad: 0.6, maxRangeM: 120 };
    const after = tracker.step(front).tracks[0]!.existence;
    expect(after).toBeCloseTo(before * Math.pow(0.9, 0.1), 6);
  });

  it("is deterministic: the same input gives the same output", () => {
    const make = () =>
      run(
        new MultiSensorTracker(HONEST_SENSORS),
        [{ x: 20, y: 2, vx: 1, vy: 0, cls: "car" }],
        [lidar({ clutterPerTick: 4 }), radar({ clutterPerTick: 4 })],
        50,
        13,
      );
    expect(JSON.stringify(make(), (_k, v) => (typeof v === "bigint" ? v.toString() : v))).toBe(
      JSON.stringify(make(), (_k, v) => (typeof v === "bigint" ? v.toString() : v)),
    );
  });

  it("rejects a tick stamp that goes backwards", () => {
    const tracker = new MultiSensorTracker(HONEST_SENSORS);
    tracker.step({ stamp: 2_000_000_000n, tick: 1, evidence: [], sync: [] });
    expect(() => tracker.step({ stamp: 1_000_000_000n, tick: 2, evidence: [], sync: [] })).toThrow(
      "fusion: tick 2 stamp 1000000000 ns is before the previous tick's 2000000000 ns",
    );
  });

  it("confirms what a degraded sensor still sees: its detections weigh quality^detectionQualityExponent, its misses pd × quality", () => {
    // A LiDAR in thick fog reads quality 0.005 yet still detects a near car every sweep.
    const fogged = lidar({ quality: 0.005 });
    const near = (): SimTarget => ({ x: 15, y: 1, vx: 0, vy: 0, cls: "car" });
    const weighFully = run(new MultiSensorTracker({ ...HONEST_SENSORS, detectionQualityExponent: 0.25 }), [near()], [fogged], 10, 21);
    const scaleAway = run(new MultiSensorTracker({ ...HONEST_SENSORS, detectionQualityExponent: 1 }), [near()], [fogged], 10, 21);
    expect(confirmed(weighFully.at(-1)!)).toHaveLength(1);
    expect(confirmed(scaleAway.at(-1)!)).toHaveLength(0);
    // A blinded sensor (quality 0) still counts for nothing, whatever the exponent.
    const blind = run(
      new MultiSensorTracker({ ...HONEST_SENSORS, detectionQualityExponent: 0.25 }),
      [near()],
      [lidar({ quality: 0 })],
      10,
      21,
    );
    expect(confirmed(blind.at(-1)!)).toHaveLength(0);
  });

  it("scales each kind's stated covariances by its calibration factor", () => {
    const target = (): SimTarget => ({ x: 30, y: 2, vx: 0, vy: 0, cls: "car" });
    const cov = (scale: number): number => {
      const t = new MultiSensorTracker({ ...HONEST_SENSORS, sensors: { lidar: { positionCovarianceScale: scale } } });
      return trace2(run(t, [target()], [lidar()], 1, 5)[0]!.tracks[0]!);
    };
    // A new track's covariance is its first measurement's: 4× the variance, 4× the trace.
    expect(cov(4) / cov(1)).toBeCloseTo(4, 6);
  });
});
