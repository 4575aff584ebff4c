import type { Nanos } from "./time";

/**
 * The last few values of each key in stamp order, looked up as of a time: a frame is encoded with
 * the calibration and mounting that were in force at its stamp, not with whatever the reader has
 * read by then (reading runs ahead of encoding; a recalibration, or a recording of unrelated
 * frames from several cameras, would otherwise apply to frames before it). `cap` values per key
 * bound the memory.
 */
export class StampedHistory<T extends { stamp: Nanos }> {
  private readonly byKey = new Map<string, T[]>();
  constructor(private readonly cap = 64) {}

  add(key: string, value: T): void {
    let list = this.byKey.get(key);
    if (!list) this.byKey.set(key, (list = []));
    let i = list.length;
    while (i > 0 && list[i - 1]!.stamp > value.stamp) i--;
    list.splice(i, 0, value);
    if (list.length > this.cap) list.shift();
  }

  /** The latest value stamped at or before `stamp`; the earliest one when all are later; undefined for an unknown key. */
  at(key: string, stamp: Nanos): T | undefined {
    const list = this.byKey.get(key);
    if (!list || list.length === 0) return undefined;
    for (let i = list.length - 1; i >= 0; i--) if (list[i]!.stamp <= stamp) return list[i];
    return list[0];
  }
}
