import { stringifyLine } from "./jsonl/JsonLinesSink";
import { toSceneJson } from "./sceneJson";
import { fullSceneState } from "../scene/testing/fullSceneState";

describe("toSceneJson: the JSON-lines shape", () => {
  const json = toSceneJson(fullSceneState());
  const parsed = JSON.parse(stringifyLine(json)) as Record<string, unknown>;

  it("has every key issue 6 requires, with the stamp as a ns string", () => {
    expect(Object.keys(parsed).sort()).toEqual(["frameId", "hazards", "health", "latencyMs", "objects", "stamp", "tick"]);
    expect(parsed.stamp).toBe("1700000000123456789");
    const objects = parsed.objects as Record<string, unknown>[];
    for (const o of objects) {
      expect(Object.keys(o).sort()).toEqual(["class", "existence", "id", "position", "sensors", "size", "velocity", "yaw"]);
      expect(Object.keys(o.position as object).sort()).toEqual(["x", "y", "z"]);
      expect(Object.keys(o.velocity as object).sort()).toEqual(["x", "y", "z"]);
    }
    const hazards = parsed.hazards as Record<string, unknown>[];
    expect(Object.keys(hazards[0]!).sort()).toEqual(["bearingDeg", "kind", "mirroredBearingDeg", "probability"]);
    const health = parsed.health as Record<string, unknown>;
    expect(Object.keys(health).sort()).toEqual(["degradation", "fallback", "reason", "sensors", "syncSkewMs", "visibilityM"]);
    for (const s of health.sensors as Record<string, unknown>[]) {
      expect(Object.keys(s).sort()).toEqual(["ageMs", "included", "kind", "quality", "rateHz", "reason", "sensorId", "status"]);
    }
  });

  it("carries the values, in the documented units", () => {
    expect(json.objects[0]).toEqual({
      id: 7,
      class: "car",
      existence: 0.9375,
      position: { x: 23.5, y: -1.75, z: 0.8 },
      velocity: { x: -3.25, y: 0.5, z: 0 },
      size: { x: 4.5, y: 1.875, z: 1.5 },
      yaw: 0.1,
      sensors: ["camera", "radar"],
    });
    expect(json.objects[1]).toMatchObject({ class: "emergency_vehicle", size: null, yaw: null, sensors: ["lidar"] });
    expect(json.hazards).toEqual([
      { kind: "siren", probability: 0.875, bearingDeg: 90, mirroredBearingDeg: 90 },
      { kind: "horn", probability: 0.5, bearingDeg: null, mirroredBearingDeg: null },
    ]);
    expect(json.health.degradation).toBe("DEGRADED");
    expect(json.health.visibilityM).toBe(60);
    expect(json.health.sensors[2]).toEqual({
      sensorId: "radar_front",
      kind: "radar",
      status: "MISSING",
      reason: "never seen (sync: missing)",
      ageMs: null,
      rateHz: null,
      quality: null,
      included: false,
    });
    expect(json.latencyMs).toEqual({ decode: 0.5, sync: 0.25, encoders: 12.5, fusion: 1.5, scene: 0.125 });
  });

  it("has no bigint left and no non-finite number", () => {
    const state = fullSceneState();
    state.health.visibilityM = Number.POSITIVE_INFINITY;
    const line = JSON.stringify(toSceneJson(state)); // throws on a bigint
    expect(JSON.parse(line).health.visibilityM).toBeNull();
  });
});
