import { nsToSec, type Nanos, type SensorKind } from "../types";
import type { DegradationLevel, SceneState, SensorHealthStatus } from "./types";

/** A run of consecutive ticks with the same value; `to` is the last tick of the run (inclusive). */
export type Segment<T extends string> = { value: T; from: Nanos; to: Nanos; ticks: number; reason: string };

export type SensorTimeline = { sensorId: string; kind: SensorKind; segments: Segment<SensorHealthStatus>[] };

/**
 * Collects scene states into per-sensor status segments and the degradation time line, for the
 * replay summary and for checking a run against a fault schedule. O(changes) memory.
 */
export class HealthTimeline {
  private readonly sensors = new Map<string, SensorTimeline>();
  readonly degradation: Segment<DegradationLevel>[] = [];
  ticks = 0;
  first: Nanos | undefined;
  last: Nanos | undefined;

  add(state: SceneState): void {
    this.ticks++;
    this.first ??= state.stamp;
    this.last = state.stamp;
    for (const s of state.health.sensors) {
      let line = this.sensors.get(s.sensorId);
      if (!line) {
        line = { sensorId: s.sensorId, kind: s.kind, segments: [] };
        this.sensors.set(s.sensorId, line);
      }
      extend(line.segments, s.status, state.stamp, s.reason);
    }
    const h = state.health;
    extend(this.degradation, h.degradation, state.stamp, h.recommendedFallback);
  }

  /** Per sensor, in the order first seen. */
  get bySensor(): SensorTimeline[] {
    return [...this.sensors.values()];
  }

  /** Ticks spent in each status, per sensor. */
  ticksByStatus(sensorId: string): Partial<Record<SensorHealthStatus, number>> {
    const out: Partial<Record<SensorHealthStatus, number>> = {};
    for (const seg of this.sensors.get(sensorId)?.segments ?? []) out[seg.value] = (out[seg.value] ?? 0) + seg.ticks;
    return out;
  }

  /**
   * Text lines, times in seconds from `origin` (default: the first tick), e.g.
   * `radar_front (radar): OK 0.0–2.1 s, STALE 2.2–2.4 s (no frame used for 300 ms (> 250 ms)), ...`.
   * The reason shown is the one of each segment's first tick; OK segments show none.
   */
  format(origin: Nanos | undefined = this.first): string[] {
    const t = (ns: Nanos): string => nsToSec(ns - (origin ?? 0n)).toFixed(1);
    const seg = <T extends string>(s: Segment<T>, showReason: boolean): string =>
      `${s.value} ${t(s.from)}–${t(s.to)} s${showReason && s.reason && s.value !== "OK" ? ` (${s.reason})` : ""}`;
    return [
      ...this.bySensor.map((l) => `${l.sensorId} (${l.kind}): ${l.segments.map((s) => seg(s, true)).join(", ")}`),
      `degradation: ${this.degradation.map((s) => `${seg(s, false)}${s.value === "NOMINAL" ? "" : ` (${s.reason})`}`).join(", ")}`,
    ];
  }
}

function extend<T extends string>(segments: Segment<T>[], value: T, stamp: Nanos, reason: string): void {
  const lastSeg = segments[segments.length - 1];
  if (lastSeg && lastSeg.value === value) {
    lastSeg.to = stamp;
    lastSeg.ticks++;
  } else {
    segments.push({ value, from: stamp, to: stamp, ticks: 1, reason });
  }
}
