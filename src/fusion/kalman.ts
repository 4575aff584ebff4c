/**
 * Constant-velocity Kalman filter in the ego frame, with ego-motion compensation.
 *
 * State `x = [px, py, vx, vy]`: position (m) in the ego frame and the object's **over-ground**
 * velocity (m/s) expressed in ego axes. Keeping over-ground velocity means a parked car has zero
 * velocity whatever the ego does, so the constant-velocity model holds in the world, and the ego
 * motion enters only through the change of frame between ticks.
 *
 * Why constant velocity and not CTRV: the detections we fuse carry no reliable yaw rate, and
 * most carry no heading at all (radar, early camera boxes), so CTRV's turn-rate state would be
 * unobservable for most objects; the CV model keeps the filter linear (an exact Kalman filter for
 * position and velocity updates) and white-noise acceleration absorbs moderate turns.
 *
 * Matrices are row-major `Float64Array`s. Measurement dimensions are 1 or 2.
 */

export const STATE_DIM = 4;

export type KalmanState = {
  /** [px, py, vx, vy] (m, m, m/s, m/s). */
  x: Float64Array;
  /** 4×4 covariance. */
  P: Float64Array;
};

export type EgoStep = {
  speedMps: number;
  yawRateRadps: number;
  /** 1-σ uncertainty of the ego speed (m/s) and yaw rate (rad/s). */
  speedStdMps: number;
  yawRateStdRadps: number;
};

/**
 * Predict by `dt` seconds, then re-express the state in the ego frame at the end of the step.
 * `accelNoise` is the spectral density of the white-noise acceleration (m²/s³) on each axis.
 */
export function predict(state: KalmanState, dt: number, accelNoise: number, ego?: EgoStep): void {
  const { x, P } = state;
  if (dt !== 0) {
    // x ← F x with F = [[I, dt·I], [0, I]].
    x[0] = x[0]! + dt * x[2]!;
    x[1] = x[1]! + dt * x[3]!;
    // P ← F P Fᵀ, expanded for the block structure.
    const f = SCRATCH_A;
    for (let r = 0; r < 4; r++) {
      for (let c = 0; c < 4; c++) {
        let v = P[r * 4 + c]!;
        if (r < 2) v += dt * P[(r + 2) * 4 + c]!;
        f[r * 4 + c] = v;
      }
    }
    for (let r = 0; r < 4; r++) {
      for (let c = 0; c < 4; c++) {
        let v = f[r * 4 + c]!;
        if (c < 2) v += dt * f[r * 4 + c + 2]!;
        P[r * 4 + c] = v;
      }
    }
    // Continuous white-noise acceleration: q·[[dt³/3, dt²/2], [dt²/2, dt]] per axis. Uncertainty
    // grows with |dt| also when extrapolating backwards (reporting at a tick slightly earlier).
    const h = Math.abs(dt);
    const q11 = (accelNoise * h * h * h) / 3;
    const q12 = (accelNoise * h * h * (dt > 0 ? 1 : -1)) / 2;
    const q22 = accelNoise * h;
    P[0] += q11;
    P[5] += q11;
    P[2] += q12;
    P[8] += q12;
    P[7] += q12;
    P[13] += q12;
    P[10] += q22;
    P[15] += q22;
  }
  if (ego !== undefined && dt !== 0) changeEgoFrame(state, dt, ego);
  symmetrize(P, 4);
}

/** Move the state from the ego frame at t to the ego frame at t + dt. */
function changeEgoFrame(state: KalmanState, dt: number, ego: EgoStep): void {
  const { x, P } = state;
  const theta = ego.yawRateRadps * dt;
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  // Ego displacement during the step, in the old ego frame (constant speed and yaw rate).
  let dx: number;
  let dy: number;
  if (Math.abs(theta) < 1e-9) {
    dx = ego.speedMps * dt;
    dy = 0;
  } else {
    const radius = ego.speedMps / ego.yawRateRadps;
    dx = radius * s;
    dy = radius * (1 - c);
  }
  // New = Rᵀ·(old − d) for position, Rᵀ·old for velocity.
  const px = x[0]! - dx;
  const py = x[1]! - dy;
  x[0] = c * px + s * py;
  x[1] = -s * px + c * py;
  const vx = x[2]!;
  const vy = x[3]!;
  x[2] = c * vx + s * vy;
  x[3] = -s * vx + c * vy;
  // P ← G P Gᵀ with G = blockdiag(Rᵀ, Rᵀ).
  // G = blockdiag(Rᵀ, Rᵀ) acts on the (px, vx) and (py, vy) coordinate pairs alike.
  const g = SCRATCH_A;
  g.fill(0);
  g[0] = c;
  g[1] = s;
  g[4] = -s;
  g[5] = c;
  g[10] = c;
  g[11] = s;
  g[14] = -s;
  g[15] = c;
  mulInto(SCRATCH_B, g, P, 4, 4, 4);
  mulTransposeBInto(P, SCRATCH_B, g, 4, 4, 4);
  // Ego-motion uncertainty: a speed error shifts positions along the old ego x axis; a yaw-rate
  // error rotates everything by δθ = σω·dt, whose Jacobian is (y, −x) for positions and velocities.
  const sv2 = ego.speedStdMps * ego.speedStdMps * dt * dt;
  const jx = -c;
  const jy = s;
  P[0] += sv2 * jx * jx;
  P[1] += sv2 * jx * jy;
  P[4] += sv2 * jx * jy;
  P[5] += sv2 * jy * jy;
  const st2 = ego.yawRateStdRadps * ego.yawRateStdRadps * dt * dt;
  const j = [x[1]!, -x[0]!, x[3]!, -x[2]!];
  for (let r = 0; r < 4; r++) for (let k = 0; k < 4; k++) P[r * 4 + k] += st2 * j[r]! * j[k]!;
}

export type UpdateResult = {
  /** Squared Mahalanobis distance of the innovation (normalised innovation squared). */
  nis: number;
  /**
   * False when the innovation covariance was not positive definite (only possible through
   * extreme conditioning); the state is then left unchanged and `nis` is Infinity.
   */
  applied: boolean;
};

/**
 * Linear update with `m` (1 or 2) measurements: `z ≈ H·x + offset`, noise covariance `R`.
 * Joseph form, so that P stays symmetric positive definite under rounding.
 */
export function update(
  state: KalmanState,
  H: Float64Array,
  z: ArrayLike<number>,
  R: ArrayLike<number>,
  offset?: ArrayLike<number>,
): UpdateResult {
  const m = z.length;
  if (m !== 1 && m !== 2) throw new RangeError(`kalman: expected measurement dimension 1 or 2, got ${m}`);
  const { x, P } = state;
  const y = SCRATCH_Y;
  for (let i = 0; i < m; i++) {
    let hx = offset === undefined ? 0 : offset[i]!;
    for (let k = 0; k < 4; k++) hx += H[i * 4 + k]! * x[k]!;
    y[i] = z[i]! - hx;
  }
  const PHt = mulTransposeBInto(SCRATCH_PHT, P, H, 4, 4, m); // 4×m
  const S = mulInto(SCRATCH_S, H, PHt, m, 4, m); // m×m
  for (let i = 0; i < m * m; i++) S[i] += R[i]!;
  const Sinv = SCRATCH_SINV;
  if (m === 1) {
    if (!(S[0]! > 0) || !Number.isFinite(S[0]!)) return { nis: Infinity, applied: false };
    Sinv[0] = 1 / S[0]!;
  } else {
    const det = S[0]! * S[3]! - S[1]! * S[2]!;
    if (!(det > 0) || !Number.isFinite(det) || !(S[0]! > 0)) return { nis: Infinity, applied: false };
    Sinv[0] = S[3]! / det;
    Sinv[1] = -S[1]! / det;
    Sinv[2] = -S[2]! / det;
    Sinv[3] = S[0]! / det;
  }
  const K = mulInto(SCRATCH_K, PHt, Sinv, 4, m, m); // 4×m
  let nis = 0;
  for (let i = 0; i < m; i++) for (let k = 0; k < m; k++) nis += y[i]! * Sinv[i * m + k]! * y[k]!;
  for (let r = 0; r < 4; r++) {
    let dx = 0;
    for (let i = 0; i < m; i++) dx += K[r * m + i]! * y[i]!;
    x[r] += dx;
  }
  // Joseph form: P ← (I − K H) P (I − K H)ᵀ + K R Kᵀ.
  const A = mulInto(SCRATCH_A, K, H, 4, m, 4);
  for (let i = 0; i < 16; i++) A[i] = (i % 5 === 0 ? 1 : 0) - A[i]!;
  const AP = mulInto(SCRATCH_B, A, P, 4, 4, 4);
  mulTransposeBInto(P, AP, A, 4, 4, 4);
  for (let i = 0; i < m * m; i++) SCRATCH_R[i] = R[i]!;
  const KR = mulInto(SCRATCH_KR, K, SCRATCH_R, 4, m, m);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      let v = 0;
      for (let t = 0; t < m; t++) v += KR[r * m + t]! * K[c * m + t]!;
      P[r * 4 + c] += v;
    }
  }
  symmetrize(P, 4);
  return { nis, applied: true };
}

// Scratch buffers: the filter runs thousands of small updates per tick; reusing them keeps the
// garbage collector out of the tick latency. Single-threaded, and no function here re-enters.
const SCRATCH_A = new Float64Array(16);
const SCRATCH_B = new Float64Array(16);
const SCRATCH_Y = new Float64Array(2);
const SCRATCH_PHT = new Float64Array(8);
const SCRATCH_S = new Float64Array(4);
const SCRATCH_SINV = new Float64Array(4);
const SCRATCH_K = new Float64Array(8);
const SCRATCH_R = new Float64Array(4);
const SCRATCH_KR = new Float64Array(8);

/** Squared Mahalanobis distance yᵀ S⁻¹ y, or Infinity when S is not positive definite. */
export function mahalanobis2(y: ArrayLike<number>, S: ArrayLike<number>): number {
  const m = y.length;
  if (m === 1) return S[0]! > 0 ? (y[0]! * y[0]!) / S[0]! : Infinity;
  if (m === 2) {
    const det = S[0]! * S[3]! - S[1]! * S[2]!;
    if (!(det > 0) || !(S[0]! > 0)) return Infinity;
    return (S[3]! * y[0]! * y[0]! - (S[1]! + S[2]!) * y[0]! * y[1]! + S[0]! * y[1]! * y[1]!) / det;
  }
  throw new RangeError(`mahalanobis2: expected dimension 1 or 2, got ${m}`);
}

/** C = A (n×k) · B (k×p). */
export function mul(A: Float64Array, B: Float64Array, n: number, k: number, p: number): Float64Array {
  const C = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += A[i * k + t]! * B[t * p + j]!;
      C[i * p + j] = s;
    }
  }
  return C;
}

/** C = A (n×k) · Bᵀ where B is p×k. */
export function mulTransposeB(A: Float64Array, B: Float64Array, n: number, k: number, p: number): Float64Array {
  const C = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += A[i * k + t]! * B[j * k + t]!;
      C[i * p + j] = s;
    }
  }
  return C;
}

/** out = A (n×k) · B (k×p); `out` must not alias A or B. Returns `out`. */
function mulInto(out: Float64Array, A: Float64Array, B: Float64Array, n: number, k: number, p: number): Float64Array {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += A[i * k + t]! * B[t * p + j]!;
      out[i * p + j] = s;
    }
  }
  return out;
}

/** out = A (n×k) · Bᵀ where B is p×k; `out` must not alias A or B. Returns `out`. */
function mulTransposeBInto(out: Float64Array, A: Float64Array, B: Float64Array, n: number, k: number, p: number): Float64Array {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += A[i * k + t]! * B[j * k + t]!;
      out[i * p + j] = s;
    }
  }
  return out;
}

export function symmetrize(P: Float64Array, n: number): void {
  for (let r = 0; r < n; r++) {
    for (let c = r + 1; c < n; c++) {
      const v = 0.5 * (P[r * n + c]! + P[c * n + r]!);
      P[r * n + c] = v;
      P[c * n + r] = v;
    }
  }
}

/** True when the symmetric matrix has a Cholesky factorisation (is positive definite). */
export function isPositiveDefinite(P: ArrayLike<number>, n: number): boolean {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = P[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) return false;
        L[i * n + i] = Math.sqrt(s);
      } else {
        L[i * n + j] = s / L[j * n + j]!;
      }
    }
  }
  return true;
}

/** Position (H = [I 0]) and velocity (H = [0 I]) measurement matrices. */
export const H_POSITION = Float64Array.from([1, 0, 0, 0, 0, 1, 0, 0]);
export const H_VELOCITY = Float64Array.from([0, 0, 1, 0, 0, 0, 0, 1]);
