/**
 * Health measurements of the suite's runs: the scene cadence, how soon a missing sensor is
 * reported MISSING, and how soon a sensor back from an outage is re-admitted. Pure: no IO, no clock.
 */
import type { Nanos, SceneState, SensorKind } from "../types";

const msBetween = (a: Nanos, b: Nanos): number => Number(b - a) / 1e6;

/** Scene cadence of one run: scene states emitted against the drive's length × tick rate. */
export type CadenceMeasure = { scenes: number; expectedScenes: number; ratio: number };

export function sceneCadence(scenes: readonly SceneState[], durationS: number, tickHz: number): CadenceMeasure {
  const expectedScenes = Math.round(durationS * tickHz);
  return { scenes: scenes.length, expectedScenes, ratio: expectedScenes > 0 ? scenes.length / expectedScenes : 0 };
}

/** How a sensor missing from the start of a drive is reported. */
export type MissingMeasure = {
  kind: SensorKind;
  /** Stamp of the first scene reporting it MISSING, minus the drive start (ms); null if never. */
  firstMissingMs: number | null;
  /** First scene's stamp minus the drive start (ms). */
  firstSceneMs: number | null;
  /** Share of the scenes that report it MISSING. */
  missingShare: number;
  /** Its statuses over the run, in order of first appearance. */
  statuses: string[];
};

export function missingSensorMeasure(scenes: readonly SceneState[], kind: SensorKind, start: Nanos): MissingMeasure {
  let firstMissingMs: number | null = null;
  let missing = 0;
  const statuses: string[] = [];
  for (const s of scenes) {
    const h = s.health.sensors.find((x) => x.kind === kind);
    const status = h?.status ?? "absent";
    if (!statuses.includes(status)) statuses.push(status);
    if (status === "MISSING") {
      missing++;
      if (firstMissingMs === null) firstMissingMs = msBetween(start, s.stamp);
    }
  }
  return {
    kind,
    firstMissingMs,
    firstSceneMs: scenes.length ? msBetween(start, scenes[0]!.stamp) : null,
    missingShare: scenes.length ? missing / scenes.length : 0,
    statuses,
  };
}

/** One outage of the recovery drive: when the health noticed it and when the sensor was re-admitted. */
export type RecoveryMeasure = {
  kind: SensorKind;
  fromS: number;
  toS: number;
  /** First scene after `fromS` with the sensor not OK, minus fromS (ms); null if never. */
  detectedAfterMs: number | null;
  /** Its status then. */
  detectedStatus: string | null;
  /** First scene after `toS` with the sensor OK and included, minus toS (ms); null if never. */
  readmittedAfterMs: number | null;
};

export function recoveryMeasure(
  scenes: readonly SceneState[],
  kind: SensorKind,
  start: Nanos,
  fromS: number,
  toS: number,
): RecoveryMeasure {
  const from = start + BigInt(Math.round(fromS * 1e9));
  const to = start + BigInt(Math.round(toS * 1e9));
  let detectedAfterMs: number | null = null;
  let detectedStatus: string | null = null;
  let readmittedAfterMs: number | null = null;
  for (const s of scenes) {
    const h = s.health.sensors.find((x) => x.kind === kind);
    if (!h) continue;
    if (detectedAfterMs === null && s.stamp >= from && s.stamp < to && h.status !== "OK") {
      detectedAfterMs = msBetween(from, s.stamp);
      detectedStatus = h.status;
    }
    if (readmittedAfterMs === null && s.stamp >= to && h.status === "OK" && h.included) readmittedAfterMs = msBetween(to, s.stamp);
  }
  return { kind, fromS, toS, detectedAfterMs, detectedStatus, readmittedAfterMs };
}
