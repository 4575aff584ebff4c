import type { RadarFrame } from "../../types";

/*
 * Radar self-assessed quality from its clutter level: the number of weak, low-existence returns
 * in the scan (false alarms, multipath ghosts). Fog attenuates 77 GHz radar by a fraction of a dB
 * per km, so this deliberately does not look at range or return count, which fog would not move
 * for a radar but which a drop-out or an empty road would.
 */

/** Low-confidence returns a nominal scan has anyway (road surface, signs) before quality drops. */
export const NOMINAL_CLUTTER_RETURNS = 15;
/** Extra low-confidence returns that halve the quality. */
export const CLUTTER_HALF_QUALITY = 25;

export type RadarQuality = { quality: number; clutterReturns: number };

export function radarQuality(frame: RadarFrame): RadarQuality {
  let clutter = 0;
  for (const d of frame.detections) {
    if (!(d.existenceProbability >= 0.5)) clutter++;
  }
  const quality = 1 / (1 + Math.max(0, clutter - NOMINAL_CLUTTER_RETURNS) / CLUTTER_HALF_QUALITY);
  return { quality, clutterReturns: clutter };
}
