import { nsToSec, type Nanos } from "../types/time";

/**
 * How far the recording clock may misbehave before a replay says so. Log time steps back a little
 * where chunks overlap in a file read in file order; the tolerance covers that. No message on any
 * topic for longer than `jumpSec` is a recorder paused, a clock reset or a corrupt time (a jump to
 * near 2^64 ns), and the tick grid (and the summary's span) runs across the gap.
 */
export const LOG_CLOCK_LIMITS = { backwardsToleranceSec: 1, jumpSec: 10 } as const;

type Event = { index: number; topic: string; logTime: Nanos; bySec: number };

/** Watches the log times of the messages a replay reads, in the order it reads them. */
export class LogClock {
  private count = 0;
  /** The latest log time so far: a step back is measured from it, so a reversed file counts every message. */
  private newest: Nanos | undefined;
  private oldest: Nanos | undefined;
  private readonly back = { count: 0, first: undefined as Event | undefined };
  private readonly jumps = { count: 0, first: undefined as Event | undefined, largest: undefined as Event | undefined };

  observe(message: { topic: string; logTime: Nanos }): void {
    const index = this.count++;
    const t = message.logTime;
    if (this.oldest === undefined || t < this.oldest) this.oldest = t;
    if (this.newest === undefined) {
      this.newest = t;
      return;
    }
    const bySec = nsToSec(t - this.newest);
    if (bySec < -LOG_CLOCK_LIMITS.backwardsToleranceSec) {
      this.back.count++;
      this.back.first ??= { index, topic: message.topic, logTime: t, bySec: -bySec };
    } else if (bySec > LOG_CLOCK_LIMITS.jumpSec) {
      const e = { index, topic: message.topic, logTime: t, bySec };
      this.jumps.count++;
      this.jumps.first ??= e;
      if (!this.jumps.largest || bySec > this.jumps.largest.bySec) this.jumps.largest = e;
    }
    if (t > this.newest) this.newest = t;
  }

  /** Seconds from the oldest to the newest log time read (0 before two messages). */
  spanSec(): number {
    return this.oldest === undefined || this.newest === undefined ? 0 : nsToSec(this.newest - this.oldest);
  }

  /** One line per kind of trouble, naming the first message (its index in read order, topic and log time) and the count. */
  warnings(): string[] {
    const at = (e: Event) => `message ${e.index} (${e.topic} @ ${e.logTime} ns)`;
    const out: string[] = [];
    const { first } = this.back;
    if (first) {
      out.push(
        `log time runs backwards: ${this.back.count} of ${this.count} messages are more than ${LOG_CLOCK_LIMITS.backwardsToleranceSec} s ` +
          `older than one read before them, first ${at(first)}, ${first.bySec.toFixed(1)} s back`,
      );
    }
    const { first: jump, largest } = this.jumps;
    if (jump && largest) {
      const most = largest === jump ? "" : `, the largest ${largest.bySec.toFixed(1)} s at ${at(largest)}`;
      out.push(
        `log time jumps ahead ${this.jumps.count} time(s) by more than ${LOG_CLOCK_LIMITS.jumpSec} s with no message on any topic: ` +
          `first ${jump.bySec.toFixed(1)} s at ${at(jump)}${most}; the ticks and the span run across the gap`,
      );
    }
    return out;
  }
}
