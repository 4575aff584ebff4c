import { decodeProto, encodeProto, protoRoot } from "../schemas/protoRegistry";
import { fromSceneProto, toSceneProto, type SceneStateProto } from "./sceneProto";
import { fullSceneState } from "../scene/testing/fullSceneState";

describe("SceneState ↔ avfusion.SceneState", () => {
  it("round-trips a full scene state through encodeProto / decodeProto", () => {
    const state = fullSceneState();
    const bytes = encodeProto("avfusion.SceneState", toSceneProto(state));
    const back = fromSceneProto(decodeProto<SceneStateProto>("avfusion.SceneState", bytes));
    expect(back).toEqual(state);
  });

  it("writes enums, timestamps and unknowns as the schema says", () => {
    const type = protoRoot().lookupType("avfusion.SceneState");
    const state = fullSceneState();
    const msg = type.toObject(type.decode(encodeProto("avfusion.SceneState", toSceneProto(state))), {
      enums: String,
      longs: String,
      defaults: true,
    }) as {
      timestamp: { seconds: string; nanos: number };
      objects: { classification: string; size: unknown; yaw_rad: number; class_probabilities: { classification: string }[] }[];
      hazards: { kind: string }[];
      health: {
        degradation: string;
        visibility_m: number;
        visibility_estimated: boolean;
        sensors: { status: string; age_ms: number; quality: number; malformed: string; status_since: { seconds: string; nanos: number } }[];
      };
      latency: { stage: string; ms: number }[];
      tick: string;
    };
    expect(msg.timestamp).toEqual({ seconds: "1700000000", nanos: 123_456_789 });
    expect(msg.tick).toBe("42");
    expect(msg.objects.map((o) => o.classification)).toEqual(["OBJECT_CLASS_CAR", "OBJECT_CLASS_EMERGENCY_VEHICLE"]);
    // Class probabilities in enum order.
    expect(msg.objects[0]!.class_probabilities.map((c) => c.classification)).toEqual([
      "OBJECT_CLASS_UNKNOWN",
      "OBJECT_CLASS_CAR",
      "OBJECT_CLASS_TRUCK",
    ]);
    expect(msg.objects[1]!.size).toBeNull();
    expect(msg.objects[1]!.yaw_rad).toBeNaN();
    expect(msg.hazards.map((z) => z.kind)).toEqual(["HAZARD_KIND_SIREN", "HAZARD_KIND_HORN"]);
    expect(msg.health.degradation).toBe("DEGRADATION_LEVEL_DEGRADED");
    expect(msg.health.sensors.map((s) => s.status)).toEqual(["SENSOR_STATUS_DEGRADED", "SENSOR_STATUS_OK", "SENSOR_STATUS_MISSING"]);
    expect(msg.health.sensors[2]!.age_ms).toBeNaN();
    expect(msg.health.sensors[2]!.quality).toBeNaN();
    expect(msg.health.sensors[2]!.malformed).toBe("12");
    expect(msg.health.sensors[1]!.status_since).toEqual({ seconds: "1699999990", nanos: 0 });
    expect([msg.health.visibility_m, msg.health.visibility_estimated]).toEqual([60, true]);
    expect(msg.latency.map((l) => l.stage)).toEqual(["decode", "sync", "encoders", "fusion", "scene"]);
  });

  it("marks a missing visibility estimate and keeps pre-1970 stamps valid", () => {
    const state = fullSceneState();
    state.health.visibilityM = null;
    state.stamp = -1_500_000_000n;
    const p = toSceneProto(state);
    expect([p.health.visibility_m, p.health.visibility_estimated]).toEqual([0, false]);
    expect(p.timestamp).toEqual({ seconds: "-2", nanos: 500_000_000 });
    expect(fromSceneProto(decodeProto<SceneStateProto>("avfusion.SceneState", encodeProto("avfusion.SceneState", p)))).toEqual(state);
  });
});
