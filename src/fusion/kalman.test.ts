import { MultiSensorTracker } from "./MultiSensorTracker";
import { H_POSITION, H_VELOCITY, isPositiveDefinite, mahalanobis2, mul, mulTransposeB, predict, update, type KalmanState } from "./kalman";
import { gaussian, observe, seededRandom, type SimTarget, HONEST_SENSORS } from "./syntheticEvidence";

const diag = (...d: number[]): Float64Array => {
  const n = d.length;
  const m = new Float64Array(n * n);
  d.forEach((v, i) => (m[i * n + i] = v));
  return m;
};

const isSymmetric = (P: ArrayLike<number>, n: number): boolean => {
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (P[r * n + c] !== P[c * n + r]) return false;
  return true;
};

describe("kalman", () => {
  it("predicts with F P Fᵀ + Q of the white-noise-acceleration model", () => {
    const s: KalmanState = { x: Float64Array.of(1, 2, 3, -4), P: diag(1, 2, 3, 4) };
    s.P[2] = s.P[8] = 0.5;
    const P0 = Float64Array.from(s.P);
    predict(s, 0.5, 2);
    expect(Array.from(s.x)).toEqual([2.5, 0, 3, -4]);
    const F = Float64Array.from([1, 0, 0.5, 0, 0, 1, 0, 0.5, 0, 0, 1, 0, 0, 0, 0, 1]);
    const expected = mulTransposeB(mul(F, P0, 4, 4, 4), F, 4, 4, 4);
    const q = [(2 * 0.125) / 3, (2 * 0.25) / 2, 2 * 0.5];
    expected[0] += q[0]!;
    expected[5] += q[0]!;
    expected[2] += q[1]!;
    expected[8] += q[1]!;
    expected[7] += q[1]!;
    expected[13] += q[1]!;
    expected[10] += q[2]!;
    expected[15] += q[2]!;
    for (let i = 0; i < 16; i++) expect(s.P[i]).toBeCloseTo(expected[i]!, 12);
  });

  it("updates position like the scalar Kalman formula on independent axes", () => {
    const s: KalmanState = { x: Float64Array.of(0, 0, 0, 0), P: diag(4, 1, 9, 9) };
    const { nis } = update(s, H_POSITION, [2, 3], [1, 0, 0, 1]);
    // x: gain 4/5 → 1.6, variance 0.8; y: gain 1/2 → 1.5, variance 0.5.
    expect(s.x[0]).toBeCloseTo(1.6, 12);
    expect(s.x[1]).toBeCloseTo(1.5, 12);
    expect(s.P[0]).toBeCloseTo(0.8, 12);
    expect(s.P[5]).toBeCloseTo(0.5, 12);
    expect(nis).toBeCloseTo(4 / 5 + 9 / 2, 12);
    // Velocity is uncorrelated here, so it is untouched.
    expect(s.x[2]).toBe(0);
    expect(s.P[10]).toBeCloseTo(9, 12);
  });

  it("leaves the state unchanged and says so when the innovation covariance is not positive definite", () => {
    const s: KalmanState = { x: Float64Array.of(1, 2, 3, 4), P: diag(1, 1, 1, 1) };
    const r = update(s, H_POSITION, [5, 5], [-2, 0, 0, 1]);
    expect(r).toEqual({ nis: Infinity, applied: false });
    expect(Array.from(s.x)).toEqual([1, 2, 3, 4]);
    expect(Array.from(s.P)).toEqual(Array.from(diag(1, 1, 1, 1)));
    expect(update(s, H_POSITION, [1, 2], [1, 0, 0, 1]).applied).toBe(true);
  });

  it("moves a static point into the new ego frame after the ego drives and turns", () => {
    // Ego drives a quarter circle of radius 10 m in 1 s: it ends at (10, 10) facing +y.
    const s: KalmanState = { x: Float64Array.of(10, 20, 0, 0), P: diag(1e-6, 1e-6, 1e-6, 1e-6) };
    const omega = Math.PI / 2;
    predict(s, 1, 1e-9, { speedMps: 10 * omega, yawRateRadps: omega, speedStdMps: 0, yawRateStdRadps: 0 });
    // World point (10, 20) seen from (10, 10) facing +y: 10 m straight ahead.
    expect(s.x[0]).toBeCloseTo(10, 9);
    expect(s.x[1]).toBeCloseTo(0, 9);
  });

  it("rotates an over-ground velocity into the new ego axes", () => {
    const s: KalmanState = { x: Float64Array.of(0, 0, 5, 0), P: diag(1, 1, 1, 1) };
    const omega = 0.5;
    predict(s, 1, 1e-9, { speedMps: 0, yawRateRadps: omega, speedStdMps: 0, yawRateStdRadps: 0 });
    expect(s.x[2]).toBeCloseTo(5 * Math.cos(0.5), 12);
    expect(s.x[3]).toBeCloseTo(-5 * Math.sin(0.5), 12);
  });

  it("computes Mahalanobis distances and rejects non-positive-definite S", () => {
    expect(mahalanobis2([2], [4])).toBe(1);
    expect(mahalanobis2([1, 1], [2, 0, 0, 0.5])).toBeCloseTo(0.5 + 2, 12);
    expect(mahalanobis2([1, 1], [1, 2, 2, 1])).toBe(Infinity);
  });

  it("keeps the covariance symmetric positive definite over 10k random steps", () => {
    const rng = seededRandom(42);
    const s: KalmanState = { x: Float64Array.of(10, -5, 1, 0), P: diag(1, 1, 100, 100) };
    const logUniform = (lo: number, hi: number): number => Math.exp(Math.log(lo) + rng() * (Math.log(hi) - Math.log(lo)));
    let maxVar = 0;
    let minVar = Infinity;
    for (let k = 0; k < 10_000; k++) {
      const dt = rng() < 0.01 ? logUniform(1, 5) : logUniform(1e-4, 0.2);
      predict(s, dt, logUniform(0.01, 10), {
        speedMps: 30 * rng(),
        yawRateRadps: gaussian(rng) * 0.3,
        speedStdMps: 0.1,
        yawRateStdRadps: 0.005,
      });
      const kind = rng();
      // Variances from 1e-6 (an almost perfect sensor) to 1e3 (nearly no information), correlated.
      const a = logUniform(1e-6, 1e3);
      const b = logUniform(1e-6, 1e3);
      const rho = 0.99 * (2 * rng() - 1);
      const R = [a, rho * Math.sqrt(a * b), rho * Math.sqrt(a * b), b];
      if (kind < 0.6) update(s, H_POSITION, [s.x[0]! + gaussian(rng), s.x[1]! + gaussian(rng)], R);
      else if (kind < 0.8) update(s, H_VELOCITY, [s.x[2]! + gaussian(rng), s.x[3]! + gaussian(rng)], R);
      else {
        const bearing = 2 * Math.PI * rng();
        update(s, Float64Array.of(0, 0, Math.cos(bearing), Math.sin(bearing)), [gaussian(rng)], [a]);
      }
      // Keep the state near the origin so that the test is about P, not about a runaway mean.
      s.x[0] = 10 * Math.tanh(s.x[0]! / 10);
      s.x[1] = 10 * Math.tanh(s.x[1]! / 10);
      expect(isSymmetric(s.P, 4)).toBe(true);
      if (!isPositiveDefinite(s.P, 4)) throw new Error(`P lost positive definiteness at step ${k}: ${Array.from(s.P).join(", ")}`);
      for (let i = 0; i < 4; i++) {
        maxVar = Math.max(maxVar, s.P[i * 5]!);
        minVar = Math.min(minVar, s.P[i * 5]!);
      }
    }
    expect(Number.isFinite(maxVar)).toBe(true);
    expect(minVar).toBeGreaterThan(0);
  });

  it("keeps a tracked object's reported covariances positive definite over 10k ticks", () => {
    const tracker = new MultiSensorTracker(HONEST_SENSORS);
    const rng = seededRandom(43);
    const target: SimTarget = { x: 30, y: 0, vx: 0, vy: 0, cls: "car" };
    const ids = new Set<number>();
    for (let k = 0; k < 10_000; k++) {
      // Weave: a sinusoidal path keeps the filter working through accelerations.
      // Over ground: the ego's 5 m/s plus a sinusoidal weave, so it stays near (30, 0) in the ego frame.
      target.vx = 5 + 3 * Math.sin(k / 200);
      target.vy = 3 * Math.cos(k / 150);
      const sensors = [
        {
          sensorId: "lidar",
          kind: "lidar" as const,
          positionStdM: k % 1000 < 500 ? 0.001 : 2,
          detectionProbability: 0.9,
          clutterPerTick: 0,
          clutterHalfWidthM: 50,
          reportsClass: true,
          quality: 1,
        },
        {
          sensorId: "radar",
          kind: "radar" as const,
          positionStdM: 1.5,
          detectionProbability: 0.8,
          clutterPerTick: 0,
          clutterHalfWidthM: 50,
          rangeRateStdMps: 0.05,
          reportsClass: false,
          quality: 1,
        },
      ];
      const out = tracker.step(observe([target], sensors, k * 0.05, k, rng, { speedMps: 5, yawRateRadps: 0 }));
      target.x += (target.vx - 5) * 0.05;
      target.y += target.vy * 0.05;
      for (const t of out.tracks) {
        if (t.status === "confirmed") ids.add(t.id);
        if (!isPositiveDefinite(t.positionCovariance, 3) || !isPositiveDefinite(t.velocityCovariance, 2)) {
          throw new Error(`track ${t.id} covariance not positive definite at tick ${k}`);
        }
      }
    }
    // One object the whole time: one confirmed id. (The 0.3 % of detections that fall outside the
    // 99.7 % gate start tentative tracks that die again; they are not confirmed.)
    expect(ids.size).toBe(1);
  });
});
