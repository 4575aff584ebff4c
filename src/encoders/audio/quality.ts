/*
 * Audio self-assessed quality from the chunk's levels: a dead or disconnected microphone (digital
 * silence), a blocked one (one channel far below the other: the bearing is then meaningless) and
 * clipping (wind buffeting, a horn right next to the array) all lower it.
 */

/** Below this RMS level (dBFS) a channel is taken as dead. */
export const DEAD_CHANNEL_DBFS = -90;
/** Channel level difference (dB) beyond which one microphone is taken as blocked. */
export const IMBALANCE_DB = 20;

export function audioQuality(levelDbfs: readonly [number, number], clippedFraction: readonly [number, number]): number {
  const [l, r] = levelDbfs;
  if (l <= DEAD_CHANNEL_DBFS && r <= DEAD_CHANNEL_DBFS) return 0;
  let q = 1;
  if (l <= DEAD_CHANNEL_DBFS || r <= DEAD_CHANNEL_DBFS || Math.abs(l - r) > IMBALANCE_DB) q = 0.4;
  const clip = Math.max(clippedFraction[0], clippedFraction[1]);
  return q * Math.max(0, 1 - 20 * clip);
}
