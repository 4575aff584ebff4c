import { msToNs, type Nanos } from "../types";
import { checkFaultSchedule } from "./faultSchedule";
import type { SceneState, SensorHealthStatus } from "./types";

const T0 = 1_000_000_000_000n;
const at = (ms: number): Nanos => T0 + msToNs(ms);

/** One state per 100 ms; `lidar(ms)` gives the LiDAR's status and whether its frame was used. */
function run(durationMs: number, lidar: (ms: number) => [SensorHealthStatus, boolean]): SceneState[] {
  const out: SceneState[] = [];
  for (let ms = 0; ms < durationMs; ms += 100) {
    const [status, included] = lidar(ms);
    const r = (sensorId: string, kind: "lidar" | "radar", st: SensorHealthStatus, inc: boolean) => ({
      sensorId,
      kind,
      status: st,
      reason: st === "OK" ? "ok" : `why ${st}`,
      since: at(0),
      ageMs: 0,
      rateHz: null,
      quality: 1,
      included: inc,
      skewMs: inc ? 0 : null,
      dropped: 0,
      malformed: 0,
    });
    out.push({
      stamp: at(ms),
      tick: ms / 100,
      frameId: "base_link",
      objects: [],
      hazards: [],
      latencyMs: {},
      health: {
        sensors: [r("lidar_top", "lidar", status, included), r("radar_front", "radar", "OK", true)],
        degradation: "NOMINAL",
        recommendedFallback: "none",
        degradationReason: "",
        visibilityM: null,
        syncSkewMs: 0,
      },
    });
  }
  return out;
}

describe("checkFaultSchedule", () => {
  it("measures detection, MISSING, use and re-admission of a dropout from the schedule, and lists unexplained changes", () => {
    const states = run(4000, (ms) =>
      ms < 1000
        ? ["OK", true]
        : ms < 1200
          ? ["OK", false]
          : ms < 1900
            ? ["STALE", false]
            : ms < 2000
              ? ["MISSING", false]
              : ms < 2200
                ? ["MISSING", true]
                : ms === 3600
                  ? ["DEGRADED", true] // flaps long after the return: not explained by the schedule
                  : ["OK", true],
    );
    const c = checkFaultSchedule(
      states,
      [
        { type: "dropout", sensor: "lidar", fromS: 1, toS: 2 },
        { type: "latency", sensor: "radar" },
      ],
      T0,
    );
    expect(c.ticks).toBe(40);
    expect(c.maxGapMs).toBe(100);
    expect(c.responses).toEqual([
      {
        sensorId: "lidar_top",
        kind: "lidar",
        type: "dropout",
        fromS: 1,
        toS: 2,
        detectedAfterStartMs: 200,
        detectedAs: "STALE",
        missingAfterStartMs: 900,
        includedAfterEndMs: 0,
        readmittedAfterEndMs: 200,
        readmittedAs: "OK",
      },
    ]);
    // The change to OK at 2200 ms is within the 1 s grace after the return; 3600 and 3700 ms are not.
    expect(c.unscheduled).toEqual([
      { sensorId: "lidar_top", atMs: 3600, from: "OK", to: "DEGRADED", reason: "why DEGRADED" },
      { sensorId: "lidar_top", atMs: 3700, from: "DEGRADED", to: "OK", reason: "ok" },
    ]);
  });

  it("reports never (null) for what did not happen, and a fault without an end", () => {
    const c = checkFaultSchedule(
      run(1000, () => ["OK", true]),
      [{ type: "frozen", sensor: "lidar", fromS: 0.5 }],
      T0,
    );
    expect(c.responses[0]).toMatchObject({
      detectedAfterStartMs: null,
      detectedAs: null,
      missingAfterStartMs: null,
      includedAfterEndMs: null,
      readmittedAfterEndMs: null,
      toS: null,
    });
    expect(c.unscheduled).toEqual([]);
  });
});
