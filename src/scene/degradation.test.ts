import type { SensorKind } from "../types";
import { assessDegradation, DegradationHold, sightSpeedKmh, DEFAULT_DEGRADATION_CONFIG } from "./degradation";
import { parseDegradationConfig } from "./sceneConfig";
import type { SensorHealthReport, SensorHealthStatus } from "./types";

function report(sensorId: string, kind: SensorKind, status: SensorHealthStatus): SensorHealthReport {
  return {
    sensorId,
    kind,
    status,
    reason: "",
    since: 0n,
    ageMs: 0,
    rateHz: null,
    quality: 1,
    included: status === "OK",
    skewMs: null,
    dropped: 0,
    malformed: 0,
  };
}

/** A rig with one camera, one LiDAR, one radar and one microphone in the given states. */
function rig(
  camera: SensorHealthStatus,
  lidar: SensorHealthStatus,
  radar: SensorHealthStatus,
  audio: SensorHealthStatus = "OK",
): SensorHealthReport[] {
  return [
    report("cam_front", "camera", camera),
    report("lidar_top", "lidar", lidar),
    report("radar_front", "radar", radar),
    report("mic", "audio", audio),
  ];
}

describe("assessDegradation: the rule table", () => {
  it.each<[string, SensorHealthReport[], number | null, string, string]>([
    ["all healthy, clear", rig("OK", "OK", "OK"), null, "NOMINAL", "none"],
    ["all healthy, 2 km visibility", rig("OK", "OK", "OK"), 2000, "NOMINAL", "none"],
    ["camera lost, LiDAR + radar healthy", rig("MISSING", "OK", "OK"), null, "NOMINAL", "none"],
    [
      "two cameras do not make two modalities",
      [report("c1", "camera", "OK"), report("c2", "camera", "OK"), report("r", "radar", "DEGRADED")],
      null,
      "DEGRADED",
      "reduce speed to 60 km/h and increase following distance",
    ],
    [
      "camera degraded, LiDAR healthy, radar stale",
      rig("DEGRADED", "OK", "STALE"),
      null,
      "DEGRADED",
      "reduce speed to 60 km/h and increase following distance",
    ],
    [
      "fog: camera and LiDAR degraded, radar healthy, V = 50 m",
      rig("DEGRADED", "DEGRADED", "OK"),
      50,
      "DEGRADED",
      "reduce speed to 50 km/h and increase following distance",
    ],
    // As in test/sceneFaultSchedule's fog run while the camera is frozen (V estimated 43 m).
    [
      "fog, camera frozen: LiDAR degraded, radar healthy, V = 43 m",
      rig("FAILED", "DEGRADED", "OK"),
      43,
      "DEGRADED",
      "reduce speed to 40 km/h and increase following distance",
    ],
    [
      "fog, LiDAR dropped: camera degraded, radar healthy, V = 36 m",
      rig("DEGRADED", "MISSING", "OK"),
      36,
      "DEGRADED",
      "reduce speed to 40 km/h and increase following distance",
    ],
    ["all healthy but V = 80 m", rig("OK", "OK", "OK"), 80, "DEGRADED", "reduce speed to 70 km/h"],
    ["V = 10 m", rig("OK", "OK", "OK"), 10, "MINIMAL_RISK", "stop in lane (minimal risk manoeuvre)"],
    ["only radar left", rig("FAILED", "MISSING", "OK"), null, "MINIMAL_RISK", "stop in lane (minimal risk manoeuvre)"],
    ["only radar left, degraded", rig("MISSING", "STALE", "DEGRADED"), null, "MINIMAL_RISK", "stop in lane (minimal risk manoeuvre)"],
    ["only LiDAR left", rig("MISSING", "OK", "FAILED"), null, "MINIMAL_RISK", "pull over to the shoulder (minimal risk manoeuvre)"],
    ["nothing forward left", rig("MISSING", "FAILED", "STALE"), 5000, "MINIMAL_RISK", "emergency stop in lane"],
    [
      "microphone missing",
      rig("OK", "OK", "OK", "MISSING"),
      null,
      "DEGRADED",
      "increase following distance (sirens and horns cannot be heard)",
    ],
    ["no microphone configured", rig("OK", "OK", "OK").slice(0, 3), null, "NOMINAL", "none"],
  ])("%s", (_name, sensors, visibility, level, fallback) => {
    const a = assessDegradation(sensors, visibility);
    expect([a.level, a.fallback]).toEqual([level, fallback]);
  });

  it("names the rule and the sensor states in the reason", () => {
    expect(assessDegradation(rig("FAILED", "MISSING", "OK"), null).reason).toBe(
      "only radar is usable for forward perception (healthy: radar; degraded: none; down: camera, lidar)",
    );
    expect(assessDegradation(rig("OK", "OK", "OK"), 80).reason).toBe(
      "visibility 80 m is below the nominal limit 150 m (healthy: camera, lidar, radar; degraded: none; down: none)",
    );
    expect(assessDegradation(rig("OK", "OK", "OK"), null).reason).toBe("healthy: camera, lidar, radar; degraded: none; down: none");
  });

  it("follows its configuration", () => {
    const c = parseDegradationConfig({ nominalVisibilityM: 60, degradedSpeedKmh: 40 });
    expect(assessDegradation(rig("OK", "OK", "OK"), 80, c).level).toBe("NOMINAL");
    expect(assessDegradation(rig("DEGRADED", "OK", "MISSING"), null, c).fallback).toBe(
      "reduce speed to 40 km/h and increase following distance",
    );
    expect(() => parseDegradationConfig({ nominalVisibilityM: 10, minimalRiskVisibilityM: 20 })).toThrow(
      "scene degradation config: minimalRiskVisibilityM: must be < nominalVisibilityM (10 m)",
    );
  });
});

describe("sightSpeedKmh", () => {
  it("stops within the sight distance: v·t + v²/2a ≤ V, rounded down to 10 km/h", () => {
    // V = 50 m, t = 1.5 s, a = 4 m/s²: v = 14.88 m/s = 53.6 km/h → 50.
    expect(sightSpeedKmh(50, DEFAULT_DEGRADATION_CONFIG)).toBe(50);
    // V = 100 m: v = 22.9 m/s = 82.5 km/h → 80.
    expect(sightSpeedKmh(100, DEFAULT_DEGRADATION_CONFIG)).toBe(80);
    expect(sightSpeedKmh(1e6, DEFAULT_DEGRADATION_CONFIG)).toBe(130);
    expect(sightSpeedKmh(0, DEFAULT_DEGRADATION_CONFIG)).toBe(0);
  });
});

describe("DegradationHold: the level does not flap", () => {
  const T0 = 1_000_000_000n;
  const tick = (i: number): bigint => T0 + BigInt(i) * 100_000_000n; // 10 Hz
  const all = rig("OK", "OK", "OK");

  it("a visibility estimate hovering around the nominal limit gives one DEGRADED episode, not one per dip", () => {
    const hold = new DegradationHold(1000);
    // 148..160 m, like the estimate measured in 250 m fog (health-fog-dropout without faults), then clear.
    const v = [160, 149, 152, 155, 148, 151, 153, 149, 150, 156, 152, 149, ...Array(12).fill(400)];
    const levels = v.map((x, i) => hold.step(tick(i), assessDegradation(all, x)).level);
    const raw = v.map((x) => assessDegradation(all, x).level);
    const changes = (ls: string[]) => ls.filter((l, i) => i > 0 && l !== ls[i - 1]).length;
    expect(changes(raw)).toBe(8);
    // DEGRADED from the first dip (tick 1) until 1 s of clear air (ticks 12..22) has passed.
    expect(levels).toEqual(["NOMINAL", ...Array(21).fill("DEGRADED"), "NOMINAL", "NOMINAL"]);
  });

  it("a worse level or a lower speed is adopted at once; a higher speed waits like a better level, and the reason says so", () => {
    const hold = new DegradationHold(300);
    const a = (x: number) => assessDegradation(all, x);
    expect(hold.step(tick(0), a(100)).fallback).toBe("reduce speed to 80 km/h");
    expect(hold.step(tick(1), a(50)).fallback).toBe("reduce speed to 50 km/h"); // lower speed: at once
    const waiting = hold.step(tick(2), a(100));
    expect(waiting.fallback).toBe("reduce speed to 50 km/h");
    expect(waiting.reason).toBe(
      "visibility 50 m is below the nominal limit 150 m (healthy: camera, lidar, radar; degraded: none; down: none); recovering (DEGRADED at 80 km/h for 0/300 ms)",
    );
    expect(hold.step(tick(3), a(2000)).fallback).toBe("reduce speed to 50 km/h");
    expect(hold.step(tick(4), a(2000)).fallback).toBe("reduce speed to 50 km/h");
    // 300 ms after the streak began (tick 2): the worst of the streak (80 km/h) is adopted, not NOMINAL.
    expect(hold.step(tick(5), a(2000)).fallback).toBe("reduce speed to 80 km/h");
    expect(hold.step(tick(6), a(10)).level).toBe("MINIMAL_RISK"); // worse: at once
    expect(new DegradationHold(0).step(tick(0), a(2000)).level).toBe("NOMINAL");
  });

  it("recoverMs is part of the degradation config, 1000 ms by default", () => {
    expect(DEFAULT_DEGRADATION_CONFIG.recoverMs).toBe(1000);
    expect(() => parseDegradationConfig({ recoverMs: -1 })).toThrow("scene degradation config: recoverMs: must be ≥ 0 ms");
  });
});
