/**
 * Association + tracking time per tick: 50 moving objects seen by 4 sensors (LiDAR, radar with
 * range rate, two cameras), with and without clutter. Evidence is generated before each step,
 * outside the timed region, so only `MultiSensorTracker.step` is timed.
 *
 *   node --require ./bench/register.js bench/fusion.ts [--ticks N]
 */
import os from "node:os";
import { MultiSensorTracker } from "../src/fusion/MultiSensorTracker";
import { costMatrix, solveAssignment } from "../src/fusion/solveAssignment";
import { observe, seededRandom, type SimSensor, type SimTarget } from "../src/fusion/syntheticEvidence";
import type { EvidenceBundle } from "../src/types";

const argTicks = process.argv.indexOf("--ticks");
const TICKS = argTicks > 0 ? Number(process.argv[argTicks + 1]) : 1000;
const WARMUP = 100;
const DT = 0.1;

/**
 * Objects drive circles (radius 25–40 m for vehicles at 8 m/s, i.e. 1.6–2.6 m/s² lateral
 * acceleration; 5–10 m for pedestrians at 1.5 m/s), so motion is smooth and objects stay in view.
 */
function scenario(objects: number, clutterPerSensor: number, seed: number): (k: number) => { bundle: EvidenceBundle; truth: SimTarget[] } {
  const rng = seededRandom(seed);
  const classes = ["car", "truck", "pedestrian", "cyclist"] as const;
  const paths = Array.from({ length: objects }, (_, i) => {
    const cls = classes[i % classes.length]!;
    const speed = cls === "pedestrian" ? 1.5 : cls === "cyclist" ? 5 : 8;
    const radius = cls === "pedestrian" ? 5 + 5 * rng() : cls === "cyclist" ? 15 + 10 * rng() : 25 + 15 * rng();
    return {
      cls,
      speed,
      radius,
      cx: 45 + 50 * rng(),
      cy: -20 + 40 * rng(),
      phase: 2 * Math.PI * rng(),
      dir: rng() < 0.5 ? -1 : 1,
    };
  });
  const at = (t: number): SimTarget[] =>
    paths.map((p) => {
      const a = p.phase + (p.dir * p.speed * t) / p.radius;
      return {
        x: p.cx + p.radius * Math.cos(a),
        y: p.cy + p.radius * Math.sin(a),
        vx: -p.dir * p.speed * Math.sin(a),
        vy: p.dir * p.speed * Math.cos(a),
        cls: p.cls,
      };
    });
  const sensor = (sensorId: string, kind: SimSensor["kind"], std: number, pd: number, extra: Partial<SimSensor> = {}): SimSensor => ({
    sensorId,
    kind,
    positionStdM: std,
    detectionProbability: pd,
    clutterPerTick: clutterPerSensor,
    clutterHalfWidthM: 120,
    reportsClass: kind !== "radar",
    quality: 1,
    ...extra,
  });
  const sensors = [
    sensor("lidar_top", "lidar", 0.2, 0.95),
    sensor("radar_front", "radar", 0.8, 0.9, { rangeRateStdMps: 0.15 }),
    sensor("cam_front", "camera", 1.0, 0.85),
    sensor("cam_left", "camera", 1.2, 0.85),
  ];
  // Generated tick by tick (outside the timed region) rather than all up front, so that the
  // benchmark does not hold a large heap that slows the garbage collector down.
  return (k: number) => {
    const targets = at(k * DT);
    return { bundle: observe(targets, sensors, k * DT, k, rng), truth: targets };
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function runScenario(name: string, objects: number, clutter: number): void {
  const next = scenario(objects, clutter, 2024);
  const tracker = new MultiSensorTracker();
  const times: number[] = [];
  let cpuMicros = 0;
  let tracks = 0;
  let confirmed = 0;
  let found = 0;
  let detections = 0;
  let posSq = 0;
  let velSq = 0;
  let switches = 0;
  let lost = 0;
  const lastId = new Map<number, number>();
  for (let k = 0; k < WARMUP + TICKS; k++) {
    const { bundle: b, truth } = next(k);
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const out = tracker.step(b);
    const t1 = process.hrtime.bigint();
    const c1 = process.cpuUsage(c0);
    if (k < WARMUP) continue;
    times.push(Number(t1 - t0) / 1e6);
    cpuMicros += c1.user + c1.system;
    detections += b.evidence.reduce((n, e) => n + e.detections.length, 0);
    tracks += out.tracks.length;
    const conf = out.tracks.filter((t) => t.status === "confirmed");
    confirmed += conf.length;
    // Match true objects to confirmed tracks optimally (distance, gated at 2 m); as in CLEAR-MOT,
    // last tick's pairs are kept while they stay within the gate, so two objects passing close by
    // do not count as swaps unless their tracks really exchanged them.
    const m = costMatrix(truth.length, conf.length);
    truth.forEach((g, i) => {
      conf.forEach((t, j) => {
        const d = Math.hypot(t.position.x - g.x, t.position.y - g.y);
        if (d < 2) m.data[i * conf.length + j] = lastId.get(i) === t.id ? d - 10 : d;
      });
    });
    const match = solveAssignment(m).rowToCol;
    truth.forEach((g, i) => {
      const j = match[i]!;
      if (j < 0) return;
      const best = conf[j]!;
      found++;
      posSq += (best.position.x - g.x) ** 2 + (best.position.y - g.y) ** 2;
      velSq += (best.velocity.x - g.vx) ** 2 + (best.velocity.y - g.vy) ** 2;
      const prev = lastId.get(i);
      if (prev !== undefined && prev !== best.id) {
        // The old track either still lives on (an id swap) or died (the object was lost).
        if (conf.some((t) => t.id === prev)) switches++;
        else lost++;
      }
      lastId.set(i, best.id);
    });
  }
  const sorted = [...times].sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  console.log(
    [
      name.padEnd(28),
      (detections / TICKS).toFixed(0).padStart(6),
      mean.toFixed(3).padStart(8),
      (cpuMicros / 1000 / TICKS).toFixed(3).padStart(8),
      percentile(sorted, 0.5).toFixed(3).padStart(8),
      percentile(sorted, 0.99).toFixed(3).padStart(8),
      sorted[sorted.length - 1]!.toFixed(3).padStart(8),
      (tracks / TICKS).toFixed(1).padStart(8),
      (confirmed / TICKS).toFixed(1).padStart(8),
      ((100 * found) / (objects * TICKS)).toFixed(1).padStart(7),
      Math.sqrt(posSq / found)
        .toFixed(2)
        .padStart(7),
      Math.sqrt(velSq / found)
        .toFixed(2)
        .padStart(7),
      `${switches}/${lost}`.padStart(7),
    ].join(" "),
  );
}

function benchAssignment(n: number, density: number, reps: number): void {
  const rng = seededRandom(n);
  const m = costMatrix(n, n);
  for (let i = 0; i < m.data.length; i++) m.data[i] = rng() < density ? 100 * rng() : Infinity;
  solveAssignment(m);
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < reps; r++) solveAssignment(m);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6 / reps;
  console.log(`  solveAssignment ${n}×${n}, ${(density * 100).toFixed(0)} % feasible: ${ms.toFixed(3)} ms`);
}

console.log(
  `fusion bench: ${TICKS} ticks after ${WARMUP} warm-up, dt ${DT} s; node ${process.version}, ${os.cpus()[0]?.model ?? "unknown CPU"} (${os.cpus().length} cores), load average ${os.loadavg()[0]!.toFixed(1)}`,
);
console.log("wall-clock ms per step() (mean, p50, p99, max) and process CPU ms per step (mean; less sensitive to other load)");
console.log(
  "found%: true objects matched to a confirmed track (optimal assignment, gate 2 m); pos/vel rms over those (m, m/s); idsw/lost: changes of a true object's matched track id while the old track lives on (swaps) / after it died",
);
console.log(
  `${"scenario".padEnd(28)} ${"det/tk".padStart(6)} ${"mean ms".padStart(8)} ${"cpu ms".padStart(8)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"max ms".padStart(8)} ${"tracks".padStart(8)} ${"confirm".padStart(8)} ${"found%".padStart(7)} ${"pos rms".padStart(7)} ${"vel rms".padStart(7)} ${"idsw/lost".padStart(9)}`,
);
runScenario("50 obj × 4 sensors", 50, 0);
runScenario("50 obj × 4 sensors, clutter 5", 50, 5);
runScenario("100 obj × 4 sensors, clutter 5", 100, 5);
console.log("assignment alone:");
benchAssignment(50, 1, 50);
benchAssignment(200, 1, 5);
benchAssignment(200, 0.05, 50);
