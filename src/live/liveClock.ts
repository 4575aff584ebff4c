import type { PipelinePlan } from "../pipeline";
import { clockSyncSensors, createClockSync, type ClockMode, type ClockSync, type ClockSyncEvent } from "../sync/clockSync";

/** A duration for a person: days, hours or seconds as its size asks. */
function span(ns: bigint): string {
  const s = Math.abs(Number(ns)) / 1e9;
  if (s >= 2 * 86_400) return `${(s / 86_400).toFixed(1)} d`;
  if (s >= 2 * 3_600) return `${(s / 3_600).toFixed(1)} h`;
  return s >= 1 ? `${s.toFixed(1)} s` : `${(s * 1000).toFixed(0)} ms`;
}

const seconds = (ms: number): string => `${ms >= 0 ? "+" : ""}${(ms / 1000).toFixed(3)} s`;

/**
 * One line per clock event. `kept` starts with `warning:` (the sensor will read MISSING and nothing
 * else would say why); the others with `clock:`.
 */
export function clockEventLine(e: ClockSyncEvent): string {
  const where = e.disagreementNs >= 0n ? "behind" : "ahead of";
  const off = `${e.sensorId}: stamps are ${span(e.disagreementNs)} ${where} receive time`;
  switch (e.kind) {
    case "kept":
      return `warning: clock: ${off}, beyond its ${Math.round(e.windowMs)} ms window, and --clock stamp keeps them: the sensor will read MISSING (--clock auto aligns it on receive time)`;
    case "detected":
      return e.mode === "receive"
        ? `clock: ${e.sensorId}: aligned on receive time (--clock receive); its ${off.slice(e.sensorId.length + 2)}`
        : `clock: ${off} (beyond its ${Math.round(e.windowMs)} ms window): clock offset ${seconds(e.offsetMs)} applied`;
    case "changed":
      return `clock: ${e.sensorId}: clock offset changed from ${seconds(e.previousMs ?? 0)} to ${seconds(e.offsetMs)}`;
  }
}

/**
 * The live session's clock sync for a plan: per-sensor offsets (see src/sync/clockSync.ts) applied
 * to every frame before the aligner, each event one notice line.
 */
export function createLiveClockSync(plan: PipelinePlan, mode: ClockMode, notice: (line: string) => void): ClockSync {
  return createClockSync({ mode, sensors: clockSyncSensors(plan.aligner), onEvent: (e) => notice(clockEventLine(e)) });
}
