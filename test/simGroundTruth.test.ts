import { TOPICS } from "../src/sim/rig";
import { SIM_START_NS } from "../src/sim/simulate";
import { decode, readMessages, scenario, simulateBytes, stampNs, type Stamp } from "./simHelpers";

type V3 = { x: number; y: number; z: number };
type GtObject = {
  id: number;
  classification: number;
  position: V3;
  size: V3;
  yaw_rad: number;
  velocity: V3;
  siren_on: boolean;
  visibility: { camera: number; lidar: number; radar: number; audio: number };
};
type Gt = {
  timestamp: Stamp;
  frame_id: string;
  objects: GtObject[];
  visibility_m: number;
  siren_active: boolean;
  siren_bearing_rad: number;
  ego_speed_mps: number;
};

async function groundTruth(visibilityM?: number): Promise<Gt[]> {
  const s = scenario({
    durationS: 1,
    seed: 41,
    ego: { speedMps: 10 },
    weather: visibilityM ? { visibilityM } : {},
    road: { lanesLeft: 2, lanesRight: 1 },
    clutter: { poleSpacingM: 0, guardRails: false, parkedCars: 0 },
    sensors: { camera: { rateHz: 10 } },
    actors: [
      { class: "car", motion: { type: "lane", lane: 0, startX: 22, speedMps: 10 } },
      { class: "truck", motion: { type: "lane", lane: 2, startX: 95, speedMps: 10 } },
      {
        class: "emergency_vehicle",
        motion: { type: "lane", lane: -1, startX: 40, speedMps: 10 },
        siren: { mode: "wail", on: [{ fromS: 0.5 }] },
      },
    ],
  });
  const { messages } = await readMessages((await simulateBytes(s)).bytes);
  return messages.filter((m) => m.topic === TOPICS.groundTruth).map((m) => decode<Gt>(m));
}

describe("ground truth", () => {
  let clear: Gt[];
  let fog: Gt[];
  beforeAll(async () => {
    clear = await groundTruth();
    fog = await groundTruth(60);
  });

  it("is published per tick in the ego frame with class, box, yaw and velocity", () => {
    expect(clear).toHaveLength(10);
    expect(clear.map((g) => stampNs(g.timestamp) - SIM_START_NS)).toEqual([...Array(10).keys()].map((i) => BigInt(i) * 100_000_000n));
    const g = clear[5]!;
    expect(g.frame_id).toBe("base_link");
    expect(g.ego_speed_mps).toBe(10);
    const car = g.objects.find((o) => o.id === 1)!;
    // Same speed as the ego: stays 22 m ahead of the rear axle; box centre at half height.
    expect(car.classification).toBe(1);
    expect(car.position.x).toBeCloseTo(22, 6);
    expect(car.position.y).toBeCloseTo(0, 6);
    expect(car.position.z).toBeCloseTo(0.75, 6);
    expect(car.size).toEqual({ x: 4.5, y: 1.85, z: 1.5 });
    expect(car.velocity.x).toBeCloseTo(10, 6);
    const truck = g.objects.find((o) => o.id === 2)!;
    expect(truck.classification).toBe(2);
    expect(truck.position.y).toBeCloseTo(7, 6);
    expect(g.objects.find((o) => o.id === 3)!.classification).toBe(6);
    expect(g.visibility_m).toBe(0);
  });

  it("states the siren and its bearing", () => {
    expect(clear[2]!.siren_active).toBe(false);
    const g = clear[7]!;
    expect(g.siren_active).toBe(true);
    const ev = g.objects.find((o) => o.id === 3)!;
    expect(ev.siren_on).toBe(true);
    expect(g.siren_bearing_rad).toBeCloseTo(Math.atan2(ev.position.y, ev.position.x), 9);
    expect(g.siren_bearing_rad).toBeLessThan(0); // right lane
    expect(ev.visibility.audio).toBe(1);
    expect(g.objects.find((o) => o.id === 1)!.visibility.audio).toBe(0);
  });

  it("rates per-sensor visibility: fog hides the far truck from camera and LiDAR, not from radar", () => {
    const last = (xs: Gt[], id: number) => xs[xs.length - 1]!.objects.find((o) => o.id === id)!.visibility;
    expect(last(clear, 2).camera).toBeGreaterThan(0.9);
    expect(last(clear, 2).radar).toBeGreaterThan(0);
    expect(last(clear, 2).lidar).toBe(1);
    expect(last(clear, 1).camera).toBeGreaterThan(0.9);
    const truckFog = last(fog, 2);
    expect(truckFog.camera).toBeLessThan(0.01); // e^(−3.912·95/60) ≈ 0.002
    expect(truckFog.lidar).toBe(0);
    expect(truckFog.radar).toBeGreaterThan(0);
    // The car at ~20 m from the camera keeps contrast e^(−3.912·20/60) ≈ 0.27.
    expect(last(fog, 1).camera).toBeGreaterThan(0.2);
    expect(last(fog, 1).camera).toBeLessThan(0.35);
    expect(fog[0]!.visibility_m).toBeCloseTo(60, 9);
  });
});
