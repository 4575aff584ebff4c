import { tap } from "rxjs";
import type { DecodeStats } from "../decode/createDecoder";
import { recordingFeed, type MessageFeed, type PipelinePlan, type SceneTick } from "../pipeline";
import type { Pacing } from "../sources/mcap/readRecording";
import type { RecordingReadable } from "../sources/mcap/types";
import type { Nanos } from "../types";
import { FailureTally } from "./FailureTally";
import { judgeRun, type RunVerdict, type TickFacts } from "./judgeRun";
import { LogClock } from "./LogClock";

/**
 * What a replay watches while it runs, for its verdict: the log time of every message read, why
 * sensors gave no evidence (counted), the ticks' span, each sensor's stamps against log time, and
 * the aligner's totals in the last tick.
 */
export class RunWatch {
  private readonly clock = new LogClock();
  private readonly failures = new FailureTally();
  private readonly facts: TickFacts = {
    ticks: 0,
    firstTick: undefined,
    lastTick: undefined,
    lastBundle: undefined,
    clockOffset: new Map(),
  };

  /** The recording as the pipeline's feed, each message's log time watched as it is read. */
  feed(source: RecordingReadable, pacing: Pacing): MessageFeed {
    const feed = recordingFeed(source, { pacing });
    return { ...feed, messages: (waitForRoom) => feed.messages(waitForRoom).pipe(tap((m) => this.clock.observe(m))) };
  }

  tick(tick: SceneTick): void {
    const f = this.facts;
    f.ticks++;
    f.firstTick ??= tick.synced.tick;
    f.lastTick = tick.synced.tick;
    f.lastBundle = tick.synced;
    for (const frame of tick.synced.frames) {
      // Sensor clock minus log time; the largest one seen, by magnitude.
      const offset: Nanos = frame.stamp - frame.receivedAt;
      const seen = f.clockOffset.get(frame.sensorId);
      if (seen === undefined || (offset < 0n ? -offset : offset) > (seen < 0n ? -seen : seen)) f.clockOffset.set(frame.sensorId, offset);
    }
    for (const [sensor, why] of tick.failures) this.failures.add(sensor, why);
  }

  /** `<sensor>: no evidence in N ticks: <first reason>`, once per sensor and kind of failure. */
  failureLines(): string[] {
    return this.failures.lines();
  }

  verdict(file: string, plan: PipelinePlan, decodeStats: DecodeStats): RunVerdict {
    return judgeRun({ file, plan, decodeStats, logClock: this.clock, ...this.facts });
  }
}
