/**
 * Time is `bigint` nanoseconds at every boundary (MCAP log time, header stamps).
 * Convert to `number` seconds only inside math, never in stored or emitted data.
 */
export type Nanos = bigint;

export const NS_PER_SEC = 1_000_000_000n;
export const NS_PER_MS = 1_000_000n;

/** Seconds (float) from nanoseconds; for math only. */
export function nsToSec(ns: Nanos): number {
  return Number(ns) / 1e9;
}

/** Milliseconds (float) from nanoseconds; for math and display only. */
export function nsToMs(ns: Nanos): number {
  return Number(ns) / 1e6;
}

/** Nanoseconds from float seconds, rounded to the nearest nanosecond. */
export function secToNs(sec: number): Nanos {
  if (!Number.isFinite(sec)) throw new RangeError(`secToNs: expected a finite number of seconds, got ${sec}`);
  const whole = Math.trunc(sec);
  return BigInt(whole) * NS_PER_SEC + BigInt(Math.round((sec - whole) * 1e9));
}

/** Nanoseconds from float milliseconds, rounded to the nearest nanosecond. */
export function msToNs(ms: number): Nanos {
  return secToNs(ms / 1000);
}

/** `{sec, nsec}` stamps as used by ROS 2 headers and google.protobuf.Timestamp. */
export type SecNsec = { sec: number; nsec: number };

export function fromSecNsec(t: SecNsec): Nanos {
  return BigInt(t.sec) * NS_PER_SEC + BigInt(t.nsec);
}

export function toSecNsec(ns: Nanos): SecNsec {
  const sec = ns / NS_PER_SEC;
  return { sec: Number(sec), nsec: Number(ns - sec * NS_PER_SEC) };
}

export function absNs(a: Nanos): Nanos {
  return a < 0n ? -a : a;
}

export function maxNs(a: Nanos, b: Nanos): Nanos {
  return a > b ? a : b;
}

export function minNs(a: Nanos, b: Nanos): Nanos {
  return a < b ? a : b;
}
