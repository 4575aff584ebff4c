import { HealthTimeline } from "./HealthTimeline";
import { fullSceneState } from "./testing/fullSceneState";
import type { SceneState, SensorHealthStatus } from "./types";

function state(ms: number, radar: SensorHealthStatus, level: SceneState["health"]["degradation"], fallback: string): SceneState {
  const s = fullSceneState();
  s.stamp = 1_000_000_000n + BigInt(ms) * 1_000_000n;
  s.health.sensors = s.health.sensors.filter((x) => x.sensorId !== "cam_front");
  s.health.sensors[1] = { ...s.health.sensors[1]!, status: radar, reason: radar === "OK" ? "ok" : `radar ${radar.toLowerCase()}` };
  s.health.degradation = level;
  s.health.recommendedFallback = fallback;
  return s;
}

describe("HealthTimeline", () => {
  it("turns per-tick states into status segments and the degradation time line", () => {
    const tl = new HealthTimeline();
    const radar: SensorHealthStatus[] = ["OK", "OK", "STALE", "MISSING", "MISSING", "OK"];
    radar.forEach((r, i) =>
      tl.add(state(i * 100, r, r === "OK" ? "NOMINAL" : "DEGRADED", r === "OK" ? "none" : "reduce speed to 60 km/h")),
    );
    expect(tl.ticks).toBe(6);
    const radarLine = tl.bySensor.find((l) => l.sensorId === "radar_front")!;
    expect(radarLine.segments.map((s) => [s.value, s.ticks])).toEqual([
      ["OK", 2],
      ["STALE", 1],
      ["MISSING", 2],
      ["OK", 1],
    ]);
    expect(tl.ticksByStatus("radar_front")).toEqual({ OK: 3, STALE: 1, MISSING: 2 });
    expect(tl.degradation.map((s) => [s.value, s.from - 1_000_000_000n, s.to - 1_000_000_000n])).toEqual([
      ["NOMINAL", 0n, 100_000_000n],
      ["DEGRADED", 200_000_000n, 400_000_000n],
      ["NOMINAL", 500_000_000n, 500_000_000n],
    ]);
    expect(tl.format()).toEqual([
      "lidar_top (lidar): OK 0.0–0.5 s",
      "radar_front (radar): OK 0.0–0.1 s, STALE 0.2–0.2 s (radar stale), MISSING 0.3–0.4 s (radar missing), OK 0.5–0.5 s",
      "degradation: NOMINAL 0.0–0.1 s, DEGRADED 0.2–0.4 s (reduce speed to 60 km/h), NOMINAL 0.5–0.5 s",
    ]);
  });
});
