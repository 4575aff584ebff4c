import { RadarTracker } from "../src/sim/RadarTracker";
import { Prng } from "../src/sim/Prng";
import { RADAR_MOUNT } from "../src/sim/rig";
import { simulateRadarScan } from "../src/sim/simulateRadarScan";
import { buildWorld, snapshotAt } from "../src/sim/world";
import { scenario } from "./simHelpers";

function radarScene(visibilityM?: number, clutterPerScan = 0) {
  return scenario({
    durationS: 10,
    seed: 21,
    ego: { speedMps: 20 },
    weather: visibilityM ? { visibilityM } : {},
    clutter: { poleSpacingM: 40, guardRails: false, parkedCars: 0 },
    sensors: { radar: { rateHz: 20, clutterPerScan, multipathProbability: 0 } },
    actors: [
      { class: "car", motion: { type: "lane", lane: 0, startX: 45, speedMps: 15 } },
      { class: "truck", motion: { type: "lane", lane: 1, startX: 80, speedMps: 25 } },
    ],
  });
}

function scans(visibilityM: number | undefined, n: number, clutterPerScan = 0) {
  const s = radarScene(visibilityM, clutterPerScan);
  const world = buildWorld(s);
  const rng = new Prng(4);
  const out = [];
  for (let i = 0; i < n; i++) {
    const snap = snapshotAt(world, i / 20);
    out.push({ snap, scan: simulateRadarScan(snap, { rng, visibilityM, clutterPerScan, multipathProbability: 0 }) });
  }
  return out;
}

describe("radar", () => {
  it("keeps detecting in dense fog (≈1 dB loss at 50 m)", () => {
    const clear = scans(undefined, 100);
    const fog = scans(50, 100);
    const count = (xs: typeof clear, bi: number): number => xs.reduce((s, x) => s + x.scan.detectionsPerBody[bi]!, 0);
    // The lead car (~43 m from the radar) and the truck (~80 m) stay visible in V = 50 m fog.
    expect(count(fog, 0)).toBeGreaterThan(0.8 * count(clear, 0));
    expect(count(fog, 1)).toBeGreaterThan(0.7 * count(clear, 1));
    expect(count(fog, 0)).toBeGreaterThan(100);
    // SNR of the same scatterer geometry differs by the fog loss R/V dB (≈0.8 dB at 40 m).
    const meanSnr = (xs: typeof clear): number => {
      let s = 0;
      let n = 0;
      for (const x of xs) x.scan.detections.forEach((d, i) => x.scan.source[i] === 0 && ((s += d.snrDb), n++));
      return s / n;
    };
    const loss = meanSnr(clear) - meanSnr(fog);
    expect(loss).toBeGreaterThan(0);
    expect(loss).toBeLessThan(3);
  });

  it("measures range, azimuth and range rate including ego motion", () => {
    const xs = scans(undefined, 40);
    let n = 0;
    for (const { snap, scan } of xs) {
      scan.detections.forEach((d, i) => {
        const bi = scan.source[i]!;
        if (bi < 0) return;
        const b = snap.bodies[bi]!;
        const rx = b.x - snap.ego.x - RADAR_MOUNT.x;
        const ry = b.y - snap.ego.y;
        // Within the box footprint around the body's centre.
        const dx = d.rangeM * Math.cos(d.azimuthRad) - rx;
        const dy = d.rangeM * Math.sin(d.azimuthRad) - ry;
        expect(Math.hypot(dx, dy)).toBeLessThan(Math.hypot(b.body.length, b.body.width) / 2 + 1.5);
        // Range rate = relative velocity (object − ego) along the line of sight.
        const los = Math.atan2(d.rangeM * Math.sin(d.azimuthRad), d.rangeM * Math.cos(d.azimuthRad));
        const expected = (b.vx - snap.ego.speed) * Math.cos(los) + b.vy * Math.sin(los);
        expect(Math.abs(d.rangeRateMps - expected)).toBeLessThan(0.6);
        n++;
      });
    }
    expect(n).toBeGreaterThan(100);
    // Static poles close in at the ego speed: range rate ≈ −v_ego·cos(az).
    const poles = xs.flatMap(({ snap, scan }) =>
      scan.detections.filter((_, i) => scan.source[i]! >= 0 && snap.bodies[scan.source[i]!]!.body.classification === "static_clutter"),
    );
    expect(poles.length).toBeGreaterThan(5);
    for (const d of poles) expect(Math.abs(d.rangeRateMps + 20 * Math.cos(d.azimuthRad))).toBeLessThan(0.6);
  });

  it("adds clutter false alarms with low existence probability", () => {
    const xs = scans(undefined, 100, 10);
    const clutter = xs.flatMap(({ scan }) => scan.detections.filter((_, i) => scan.source[i] === -1));
    expect(clutter.length).toBeGreaterThan(600);
    expect(clutter.length).toBeLessThan(1400);
    const real = xs.flatMap(({ scan }) => scan.detections.filter((_, i) => scan.source[i]! >= 0 && scan.detections[i]!.rangeM < 60));
    const mean = (a: { existenceProbability: number }[]): number => a.reduce((s, d) => s + d.existenceProbability, 0) / a.length;
    expect(mean(clutter)).toBeLessThan(mean(real));
  });

  it("produces multipath ghosts beyond real targets", () => {
    const s = radarScene();
    const world = buildWorld(s);
    const rng = new Prng(8);
    let ghosts = 0;
    for (let i = 0; i < 50; i++) {
      const scan = simulateRadarScan(snapshotAt(world, i / 20), {
        rng,
        visibilityM: undefined,
        clutterPerScan: 0,
        multipathProbability: 0.5,
      });
      ghosts += scan.source.filter((x) => x === -2).length;
    }
    expect(ghosts).toBeGreaterThan(20);
  });

  it("tracks the lead car with the right position and over-ground velocity", () => {
    const xs = scans(undefined, 60, 3);
    const tracker = new RadarTracker();
    let objects: ReturnType<RadarTracker["update"]> = [];
    xs.forEach(({ snap, scan }, i) => {
      objects = tracker.update(scan.detections, i / 20, snap.ego.speed);
    });
    const { snap } = xs[xs.length - 1]!;
    const car = snap.bodies[0]!;
    const rx = car.x - snap.ego.x - RADAR_MOUNT.x;
    const match = objects.find((o) => Math.hypot(o.position.x - (rx - car.body.length / 2), o.position.y) < 3);
    expect(match).toBeDefined();
    expect(Math.abs(match!.velocity.x - 15)).toBeLessThan(1.5);
    expect(match!.ageMs).toBeGreaterThan(1000);
    expect(["car", "truck"]).toContain(match!.classification);
  });
});
