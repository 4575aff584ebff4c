import type { WorldSnapshot } from "../../sim/world";
import type { Body } from "../../sim/world";
import { RADAR_MOUNT } from "../../sim/rig";
import type { RadarObject } from "../../types";
import { labelTrack, radarClassOf } from "./radarDataset";

function body(id: number, classification: Body["classification"], length: number, width: number): Body {
  return {
    id,
    classification,
    length,
    width,
    height: 1.5,
    parts: [],
    rcsDbsm: 10,
    scatterers: 4,
    isStatic: false,
    motion: { type: "static", x: 0, y: 0, yawDeg: 0 },
  };
}

const snap: WorldSnapshot = {
  t: 0,
  ego: { x: 100, y: 0, yaw: 0, speed: 10, accel: 0 },
  bodies: [
    { body: body(1, "car", 4.5, 1.8), x: 130, y: 0, z: 0.75, yaw: 0, vx: 10, vy: 0 },
    { body: body(2, "pedestrian", 0.5, 0.6), x: 120, y: 5, z: 0.9, yaw: Math.PI / 2, vx: 0, vy: 1 },
    { body: body(1001, "static_clutter", 19.8, 0.3), x: 125, y: -6, z: 0.4, yaw: 0, vx: 0, vy: 0 },
  ],
};

const track = (x: number, y: number): RadarObject => ({ position: { x: x - RADAR_MOUNT.x, y, z: 0 } }) as unknown as RadarObject;

describe("radar training labels", () => {
  it("labels a track by the body footprint it lies on (ego-relative positions)", () => {
    // the car's rear face, seen from behind: 2.25 m before its centre
    expect(labelTrack(track(27.8, 0.3), snap)).toBe("vehicle");
    expect(labelTrack(track(20, 5), snap)).toBe("pedestrian");
    expect(labelTrack(track(22, -6), snap)).toBe("clutter");
    // nothing within 2 m: a false track
    expect(labelTrack(track(60, 10), snap)).toBe("clutter");
  });

  it("maps object classes to the four radar classes", () => {
    expect(
      ["car", "truck", "motorcycle", "emergency_vehicle", "pedestrian", "cyclist", "static_clutter", "unknown"].map((c) =>
        radarClassOf(c as never),
      ),
    ).toEqual(["vehicle", "vehicle", "vehicle", "vehicle", "pedestrian", "cyclist", "clutter", "clutter"]);
  });
});
