// Globals are looked up through a slow path inside Jest's sandbox; module constants are not.
const M = Math;
/**
 * One visibility value drives all degradation. Meteorological visibility V is the distance at
 * which a black object's contrast against the horizon falls to 2 %, so the extinction
 * coefficient is β = −ln(0.02) / V = 3.912 / V (Koschmieder).
 */
export const KOSCHMIEDER = 3.912;

/** Extinction coefficient (1/m); 0 in clear air (visibility undefined or infinite). */
export function extinction(visibilityM: number | undefined): number {
  if (visibilityM === undefined || !Number.isFinite(visibilityM) || visibilityM <= 0) return 0;
  return KOSCHMIEDER / visibilityM;
}

/** Koschmieder's law for one channel: I = J·e^(−βd) + A·(1 − e^(−βd)). */
export function koschmieder(J: number, A: number, beta: number, d: number): number {
  const t = M.exp(-beta * d);
  return J * t + A * (1 - t);
}

// LiDAR link budget in normalised units: received power P = ρ·cosθ·e^(−2βR) / R² for a
// Lambertian target of reflectivity ρ at incidence θ. The threshold puts a 10 % target at
// normal incidence at ~316 m (the sensor's `maxRangeM` clips before that) and grazing asphalt
// at ~50 m, as on a 32-beam automotive unit.
export const LIDAR_POWER_THRESHOLD = 1e-6;

export function lidarReturnPower(reflectivity: number, cosIncidence: number, rangeM: number, beta: number): number {
  return (reflectivity * cosIncidence * M.exp(-2 * beta * rangeM)) / (rangeM * rangeM);
}

/** Largest range at which a target of reflectivity ρ at normal incidence stays above threshold in fog β. */
export function lidarFogLimitedRange(reflectivity: number, beta: number): number {
  // Solve ρ e^(−2βR) / R² = P_th by bisection on the monotone left side.
  let lo = 0.01;
  let hi = 10_000;
  if (lidarReturnPower(reflectivity, 1, hi, beta) >= LIDAR_POWER_THRESHOLD) return hi;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (lidarReturnPower(reflectivity, 1, mid, beta) >= LIDAR_POWER_THRESHOLD) lo = mid;
    else hi = mid;
  }
  return lo;
}

// Fog backscatter (after Hahner et al., "Fog Simulation on Real LiDAR Point Clouds", ICCV 2021):
// the fog itself is a soft target whose echo is strongest a few metres from the sensor and grows
// with β. Per ray a soft-target echo is drawn; it replaces the hard return when it is stronger.
export const BACKSCATTER_GAIN = 2e-3;
/** Probability that a ray sees a soft-target echo at all, per unit β. */
export const BACKSCATTER_RATE_PER_BETA = 4;
/** Soft-target echoes are drawn at 0.8 m + Exp(mean) but never beyond this range. */
export const BACKSCATTER_MAX_RANGE_M = 12;
export const BACKSCATTER_MEAN_EXTRA_M = 1.8;

/**
 * Two-way 77 GHz attenuation in fog (dB) over range R. Fitted to ≈1 dB round trip at 50 m in
 * dense fog (V = 50 m) and scaled with the liquid water content, taken ∝ 1/V.
 */
export function radarFogLossDb(rangeM: number, visibilityM: number | undefined): number {
  if (visibilityM === undefined || !Number.isFinite(visibilityM) || visibilityM <= 0) return 0;
  return rangeM / visibilityM;
}
