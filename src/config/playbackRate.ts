import { BadInputError } from "../types/errors";

/**
 * The real-time factors `replay --rate` and `play --rate` accept. Pacing waits `gap / rate`
 * between messages on timers, and Node's timers hold at most 2^31 − 1 ms (24.8 days): beyond
 * that they warn (TimeoutOverflowWarning) and fire after 1 ms, so a tiny rate would play at full
 * speed. At 1e-3 a gap of 35 minutes in the recording still fits; above 1e3 pacing is pointless
 * (`replay --max` reads as fast as the pipeline goes).
 */
export const PLAYBACK_RATE = { min: 1e-3, max: 1e3 } as const;

/** `--rate <r>` as given on the command line; outside PLAYBACK_RATE it is a usage error naming the flag. */
export function parsePlaybackRate(text: string, flag = "--rate"): number {
  const rate = Number(text);
  if (text.trim() === "" || !Number.isFinite(rate) || rate < PLAYBACK_RATE.min || rate > PLAYBACK_RATE.max)
    throw new BadInputError({
      where: `${flag} ${text}`,
      what: "",
      expected: `a real-time factor from ${PLAYBACK_RATE.min} to ${PLAYBACK_RATE.max}`,
      code: "usage",
    });
  return rate;
}
