import { castLidarSweep, lidarModel } from "../src/sim/castLidarSweep";
import { extinction, lidarFogLimitedRange } from "../src/sim/fog";
import { insideBox } from "../src/sim/geometry";
import { Prng } from "../src/sim/Prng";
import { LIDAR_MOUNT, TOPICS } from "../src/sim/rig";
import { buildWorld, snapshotAt, type World, type WorldSnapshot } from "../src/sim/world";
import { decode, readMessages, scenario, simulateBytes, stampNs, type Stamp } from "./simHelpers";

function fogScene(visibilityM?: number) {
  return scenario({
    durationS: 1,
    seed: 9,
    ego: { speedMps: 0 },
    weather: visibilityM ? { visibilityM } : {},
    clutter: { poleSpacingM: 20, guardRails: true, parkedCars: 0 },
    actors: [
      { class: "truck", motion: { type: "static", x: 65, y: 0, yawDeg: 0 } },
      { class: "car", motion: { type: "static", x: 20, y: 3.5, yawDeg: 10 } },
      { class: "pedestrian", motion: { type: "static", x: 9, y: -2.5, yawDeg: 90 } },
    ],
  });
}

type Classified = { far: number; maxHardRange: number; strays: number; nearStrays: number; total: number };

/** Classifies points by geometry alone: on the ground, inside a box, or neither (fog). */
function classify(world: World, snap: WorldSnapshot, points: Float32Array, count: number): Classified {
  const ox = snap.ego.x + LIDAR_MOUNT.x;
  const oy = snap.ego.y + LIDAR_MOUNT.y;
  let far = 0;
  let maxHardRange = 0;
  let strays = 0;
  let nearStrays = 0;
  for (let i = 0; i < count; i++) {
    const x = points[i * 4]!;
    const y = points[i * 4 + 1]!;
    const z = points[i * 4 + 2]!;
    const r = Math.hypot(x, y, z);
    const wz = z + LIDAR_MOUNT.z;
    const onGround = Math.abs(wz) < 0.1;
    const inBox = snap.bodies.some((b) => insideBox(b, x + ox, y + oy, wz, 0.1));
    if (onGround || inBox) {
      maxHardRange = Math.max(maxHardRange, r);
      if (r > 45) far++;
    } else {
      strays++;
      if (r < 13) nearStrays++;
    }
  }
  void world;
  return { far, maxHardRange, strays, nearStrays, total: count };
}

function sweep(visibilityM?: number) {
  const s = fogScene(visibilityM);
  const world = buildWorld(s);
  const snap = snapshotAt(world, 0);
  const model = lidarModel(s.sensors.lidar);
  const result = castLidarSweep(world, snap, model, { beta: extinction(visibilityM), rng: new Prng(5), occludedSectors: [] });
  return { world, snap, result, cls: classify(world, snap, result.points, result.count) };
}

describe("LiDAR in fog (attenuation, threshold loss, backscatter)", () => {
  const clear = sweep();
  const fog50 = sweep(50);
  const fog150 = sweep(150);

  it("sees tens of thousands of points in clear air, far targets included, and no strays", () => {
    expect(clear.result.count).toBeGreaterThan(20_000);
    expect(clear.cls.far).toBeGreaterThan(50);
    expect(clear.result.hitsPerBody[0]).toBeGreaterThan(30); // the truck at 65 m
    expect(clear.cls.strays).toBe(0);
  });

  it.each([
    ["50", 50],
    ["150", 150],
  ])("loses every hard return beyond the fog-limited range at V=%s m", (_label, V) => {
    const r = V === 50 ? fog50 : fog150;
    const limit = lidarFogLimitedRange(0.8, extinction(V)); // 0.8 = the most reflective surface in the world
    expect(r.cls.maxHardRange).toBeLessThanOrEqual(limit + 0.1);
    expect(r.cls.maxHardRange).toBeGreaterThan(5);
    if (V === 50) {
      expect(limit).toBeLessThan(45);
      expect(r.cls.far).toBe(0);
      expect(r.result.hitsPerBody[0]).toBe(0); // the truck at 65 m is gone
      expect(r.result.count - r.cls.strays).toBeLessThan(clear.result.count - clear.cls.strays);
    }
  });

  it("adds fog backscatter close to the sensor, more in denser fog", () => {
    expect(fog50.cls.nearStrays).toBeGreaterThan(200);
    expect(fog50.cls.nearStrays).toBe(fog50.cls.strays); // all strays are near the sensor
    expect(fog50.cls.nearStrays).toBeGreaterThan(fog150.cls.nearStrays);
    expect(fog150.cls.nearStrays).toBeGreaterThan(0);
    expect(fog50.result.backscatterCount).toBe(fog50.cls.strays);
  });

  it("lowers intensity with the two-way attenuation", () => {
    // Mean intensity of points on the pedestrian at 9 m drops by about e^(−2βR).
    const meanOn = (r: ReturnType<typeof sweep>, bi: number): number => {
      let s = 0;
      let n = 0;
      for (let i = 0; i < r.result.count; i++) {
        if (r.result.source[i] !== bi) continue;
        s += r.result.points[i * 4 + 3]!;
        n++;
      }
      return s / n;
    };
    const ratio = meanOn(fog150, 2) / meanOn(clear, 2);
    const expected = Math.exp(-2 * extinction(150) * 8);
    expect(ratio).toBeGreaterThan(expected - 0.12);
    expect(ratio).toBeLessThan(Math.min(1, expected + 0.12));
  });
});

describe("LiDAR against ground truth in a recording", () => {
  it("every non-ground point lies inside a ground-truth box of the same tick", async () => {
    const s = scenario({
      name: "gt-check",
      durationS: 0.3,
      seed: 3,
      ego: { speedMps: 20 },
      clutter: { poleSpacingM: 30, guardRails: true, parkedCars: 2 },
      actors: [
        { class: "car", motion: { type: "lane", lane: 0, startX: 25, speedMps: 18 } },
        { class: "truck", motion: { type: "lane", lane: 1, startX: 10, speedMps: 22, laneChange: { atS: 0, toLane: 0, durationS: 4 } } },
        { class: "pedestrian", motion: { type: "crossing", startX: 30, startY: -5, headingDeg: 60, speedMps: 1.5 } },
        { class: "cyclist", motion: { type: "lane", lane: -1, startX: 15, speedMps: 6 } },
      ],
    });
    const { bytes } = await simulateBytes(s);
    const { messages } = await readMessages(bytes);
    type Gt = {
      timestamp: Stamp;
      objects: Array<{
        id: number;
        position: { x: number; y: number; z: number };
        size: { x: number; y: number; z: number };
        yaw_rad: number;
      }>;
    };
    type Pc = { timestamp: Stamp; data: Uint8Array; point_stride: number };
    const gts = new Map<bigint, Gt>();
    for (const m of messages.filter((m) => m.topic === TOPICS.groundTruth)) {
      const g = decode<Gt>(m);
      gts.set(stampNs(g.timestamp), g);
    }
    const clouds = messages.filter((m) => m.topic === TOPICS.lidar).map((m) => decode<Pc>(m));
    expect(clouds.length).toBe(3);
    let checked = 0;
    const outside: string[] = [];
    const perObject = new Map<number, number>();
    for (const pc of clouds) {
      const gt = gts.get(stampNs(pc.timestamp));
      expect(gt).toBeDefined();
      const view = new DataView(pc.data.buffer, pc.data.byteOffset, pc.data.byteLength);
      for (let o = 0; o + pc.point_stride <= pc.data.byteLength; o += pc.point_stride) {
        const x = view.getFloat32(o, true) + LIDAR_MOUNT.x;
        const y = view.getFloat32(o + 4, true) + LIDAR_MOUNT.y;
        const z = view.getFloat32(o + 8, true) + LIDAR_MOUNT.z;
        if (z < 0.2 || Math.hypot(x, y) > 90) continue;
        const inside = gt!.objects.filter((b) => {
          const c = Math.cos(b.yaw_rad);
          const sn = Math.sin(b.yaw_rad);
          const dx = x - b.position.x;
          const dy = y - b.position.y;
          const lx = c * dx + sn * dy;
          const ly = -sn * dx + c * dy;
          const m = 0.1; // range noise (2 cm σ) and 4 mm quantisation
          return Math.abs(lx) <= b.size.x / 2 + m && Math.abs(ly) <= b.size.y / 2 + m && Math.abs(z - b.position.z) <= b.size.z / 2 + m;
        });
        if (inside.length === 0) outside.push(`(${x.toFixed(2)}, ${y.toFixed(2)}, ${z.toFixed(2)})`);
        for (const b of inside) perObject.set(b.id, (perObject.get(b.id) ?? 0) + 1);
        checked++;
      }
    }
    expect(outside.slice(0, 5)).toEqual([]);
    expect(checked).toBeGreaterThan(5000);
    for (const id of [1, 2, 3, 4]) expect(perObject.get(id) ?? 0).toBeGreaterThan(20);
  });
});
