import { nsToMs, secToNs, type Nanos, type SensorKind } from "../types";
import type { SceneState, SensorHealthStatus } from "./types";

/**
 * A sensor fault as a scenario schedules it (the shape of src/sim's `FaultSpec` dropout and
 * frozen entries; other types, e.g. a clock offset, are ignored): seconds from the start of the
 * run; `fromS` absent = from the start, `toS` absent = to the end.
 */
export type ScheduledFault = { type: string; sensor: SensorKind; fromS?: number | undefined; toS?: number | undefined };

/** How the health report followed one scheduled dropout or freeze of one sensor. Times in ms from the fault's start (`…AfterStartMs`) or end (`…AfterEndMs`); null = never. */
export type FaultResponse = {
  sensorId: string;
  kind: SensorKind;
  type: "dropout" | "frozen";
  fromS: number;
  toS: number | null;
  /** Dropout: first tick at or after the start reporting STALE, MISSING or FAILED. Freeze: FAILED. */
  detectedAfterStartMs: number | null;
  detectedAs: SensorHealthStatus | null;
  /** Dropout: first tick at or after the start reporting MISSING. */
  missingAfterStartMs: number | null;
  /** First tick at or after the end whose frame was used again (`included`). */
  includedAfterEndMs: number | null;
  /** First tick at or after the end reported OK or DEGRADED again (usable for the degradation level). */
  readmittedAfterEndMs: number | null;
  readmittedAs: SensorHealthStatus | null;
};

/** A change of a sensor's status that no scheduled fault explains. */
export type UnscheduledTransition = { sensorId: string; atMs: number; from: SensorHealthStatus; to: SensorHealthStatus; reason: string };

export type FaultScheduleCheck = {
  /** Scene states checked, and the largest gap between consecutive stamps (ms). */
  ticks: number;
  maxGapMs: number;
  responses: FaultResponse[];
  /**
   * Status changes outside every scheduled fault of the sensor's kind, widened by `graceMs` after
   * its end (the return to health). In clear air with no other fault, each one is a false transition.
   */
  unscheduled: UnscheduledTransition[];
};

const DOWN: readonly SensorHealthStatus[] = ["STALE", "MISSING", "FAILED"];

/**
 * Checks a run's scene states against the fault schedule it was made with (pure; `start` is the
 * recording time of the schedule's 0 s, e.g. the simulator's `SIM_START_NS`). Only `dropout` and
 * `frozen` faults are followed; the others (latency, jitter, ...) are not expected to change a status.
 */
export function checkFaultSchedule(
  states: readonly SceneState[],
  faults: readonly ScheduledFault[],
  start: Nanos,
  options: { graceMs?: number } = {},
): FaultScheduleCheck {
  const grace = secToNs((options.graceMs ?? 1000) / 1000);
  const at = (s: number): Nanos => start + secToNs(s);
  const ms = (from: Nanos, to: Nanos): number => nsToMs(to - from);
  let maxGap = 0n;
  for (let i = 1; i < states.length; i++) {
    const gap = states[i]!.stamp - states[i - 1]!.stamp;
    if (gap > maxGap) maxGap = gap;
  }
  const followed = faults
    .filter((f) => f.type === "dropout" || f.type === "frozen")
    .map((f) => ({ type: f.type as "dropout" | "frozen", sensor: f.sensor, fromS: f.fromS ?? 0, toS: f.toS }));
  const sensors = states[0]?.health.sensors.map((s) => ({ sensorId: s.sensorId, kind: s.kind })) ?? [];
  const series = (id: string) =>
    states.map((s) => ({ stamp: s.stamp, r: s.health.sensors.find((x) => x.sensorId === id) })).filter((x) => x.r !== undefined);

  const responses: FaultResponse[] = [];
  for (const f of followed) {
    const from = at(f.fromS);
    const to = f.toS === undefined ? undefined : at(f.toS);
    for (const s of sensors.filter((x) => x.kind === f.sensor)) {
      const line = series(s.sensorId);
      const first = (since: Nanos | undefined, ok: (st: SensorHealthStatus, included: boolean) => boolean) => {
        if (since === undefined) return undefined;
        return line.find((x) => x.stamp >= since && ok(x.r!.status, x.r!.included));
      };
      const detected = first(from, (st) => (f.type === "frozen" ? st === "FAILED" : DOWN.includes(st)));
      const missing = f.type === "dropout" ? first(from, (st) => st === "MISSING") : undefined;
      const included = first(to, (_, inc) => inc);
      const back = first(to, (st) => st === "OK" || st === "DEGRADED");
      responses.push({
        sensorId: s.sensorId,
        kind: s.kind,
        type: f.type,
        fromS: f.fromS,
        toS: f.toS ?? null,
        detectedAfterStartMs: detected ? ms(from, detected.stamp) : null,
        detectedAs: detected?.r!.status ?? null,
        missingAfterStartMs: missing ? ms(from, missing.stamp) : null,
        includedAfterEndMs: included && to !== undefined ? ms(to, included.stamp) : null,
        readmittedAfterEndMs: back && to !== undefined ? ms(to, back.stamp) : null,
        readmittedAs: back?.r!.status ?? null,
      });
    }
  }

  const unscheduled: UnscheduledTransition[] = [];
  for (const s of sensors) {
    const windows = followed
      .filter((f) => f.sensor === s.kind)
      .map((f) => ({ from: at(f.fromS), to: f.toS === undefined ? undefined : at(f.toS) + grace }));
    const line = series(s.sensorId);
    // Start-up is not a transition: a sensor's status counts from the first tick that used its data
    // (a LiDAR sweep or an audio chunk is only usable a period after the recording starts).
    const firstUsed = Math.max(
      0,
      line.findIndex((p) => p.r!.included),
    );
    for (let i = firstUsed + 1; i < line.length; i++) {
      const prev = line[i - 1]!.r!;
      const cur = line[i]!;
      if (cur.r!.status === prev.status) continue;
      if (windows.some((w) => cur.stamp >= w.from && (w.to === undefined || cur.stamp <= w.to))) continue;
      unscheduled.push({ sensorId: s.sensorId, atMs: ms(start, cur.stamp), from: prev.status, to: cur.r!.status, reason: cur.r!.reason });
    }
  }
  return { ticks: states.length, maxGapMs: nsToMs(maxGap), responses, unscheduled };
}
