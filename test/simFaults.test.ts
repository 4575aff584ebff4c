import { TOPICS } from "../src/sim/rig";
import { SIM_START_NS } from "../src/sim/simulate";
import { decode, readMessages, scenario, simulateBytes, stampNs, type Stamp } from "./simHelpers";

const cheapSensors = { camera: { width: 64, height: 48, rateHz: 10 }, lidar: { azimuthResolutionDeg: 2 } } as const;
const NS = 1_000_000_000n;
const MS = 1_000_000n;

describe("fault injection", () => {
  it("drops a sensor inside a dropout window and freezes the camera (same pixels, fresh stamps)", async () => {
    const s = scenario({
      durationS: 2,
      seed: 31,
      ego: { speedMps: 15 },
      sensors: cheapSensors,
      actors: [{ class: "car", motion: { type: "lane", lane: 0, startX: 15, speedMps: 10 } }],
      faults: [
        { type: "dropout", sensor: "lidar", fromS: 0.5, toS: 1.0 },
        { type: "dropout", sensor: "radar", fromS: 1.2, toS: 1.5 },
        { type: "frozen", sensor: "camera", fromS: 1.0, toS: 1.6 },
      ],
    });
    const { messages } = await readMessages((await simulateBytes(s)).bytes);
    const stampsOf = (topic: string): bigint[] =>
      messages.filter((m) => m.topic === topic).map((m) => stampNs(decode<{ timestamp: Stamp }>(m).timestamp) - SIM_START_NS);
    const lidar = stampsOf(TOPICS.lidar);
    expect(lidar.filter((t) => t >= NS / 2n && t < NS)).toEqual([]);
    expect(lidar.length).toBe(20 - 5);
    const radar = stampsOf(TOPICS.radar);
    expect(radar.filter((t) => t >= 1200n * MS && t < 1500n * MS)).toEqual([]);
    expect(radar.length).toBe(40 - 6);
    const images = messages.filter((m) => m.topic === TOPICS.camera).map((m) => decode<{ timestamp: Stamp; data: Uint8Array }>(m));
    expect(images.length).toBe(20);
    const key = (d: Uint8Array): string => Buffer.from(d).toString("base64");
    const frozen = images.filter((im) => stampNs(im.timestamp) - SIM_START_NS >= NS && stampNs(im.timestamp) - SIM_START_NS < 1600n * MS);
    expect(frozen.length).toBe(6);
    const lastBefore = images.filter((im) => stampNs(im.timestamp) - SIM_START_NS < NS).pop()!;
    for (const im of frozen) expect(key(im.data)).toBe(key(lastBefore.data));
    const stamps = new Set(frozen.map((im) => stampNs(im.timestamp)));
    expect(stamps.size).toBe(6);
    // Outside the window the camera sees the world move: consecutive frames differ.
    expect(key(images[2]!.data)).not.toBe(key(images[3]!.data));
  });

  it("blocks a LiDAR sector", async () => {
    const s = scenario({
      durationS: 0.3,
      seed: 32,
      sensors: cheapSensors,
      faults: [{ type: "sectorOcclusion", sensor: "lidar", azimuthFromDeg: 20, azimuthToDeg: 100 }],
    });
    const { messages } = await readMessages((await simulateBytes(s)).bytes);
    let inSector = 0;
    let total = 0;
    for (const m of messages.filter((m) => m.topic === TOPICS.lidar)) {
      const pc = decode<{ data: Uint8Array; point_stride: number }>(m);
      const v = new DataView(pc.data.buffer, pc.data.byteOffset, pc.data.byteLength);
      for (let o = 0; o < pc.data.byteLength; o += pc.point_stride) {
        const az = (Math.atan2(v.getFloat32(o + 4, true), v.getFloat32(o, true)) * 180) / Math.PI;
        if (az > 21 && az < 99) inSector++;
        total++;
      }
    }
    expect(total).toBeGreaterThan(1000);
    expect(inSector).toBe(0);
  });

  it("applies clock offset, jitter, delivery latency and out-of-order delivery", async () => {
    const s = scenario({
      durationS: 3,
      seed: 33,
      sensors: cheapSensors,
      faults: [
        { type: "clockOffset", sensor: "radar", offsetMs: 120 },
        { type: "jitter", sensor: "camera", stdMs: 5 },
        { type: "latency", sensor: "camera", meanMs: 60, stdMs: 10 },
        { type: "outOfOrder", sensor: "radar", probability: 0.3, delayMs: 120 },
      ],
    });
    const { messages } = await readMessages((await simulateBytes(s)).bytes);
    const radar = messages.filter((m) => m.topic === TOPICS.radar);
    const radarStamps = radar.map((m) => stampNs(decode<{ timestamp: Stamp }>(m).timestamp));
    // Header stamps run 120 ms ahead of the true 50 ms grid.
    const offsets = radarStamps.map((t) => (t - SIM_START_NS - 120n * MS) % (50n * MS));
    expect(offsets.every((o) => o === 0n)).toBe(true);
    // Some radar messages are delivered after a later one: stamps out of order in log order.
    let inversions = 0;
    for (let i = 1; i < radarStamps.length; i++) if (radarStamps[i]! < radarStamps[i - 1]!) inversions++;
    expect(inversions).toBeGreaterThan(3);
    // The MCAP publishTime carries the header stamp, logTime the arrival.
    for (let i = 0; i < radar.length; i++) expect(radar[i]!.publishTime).toBe(radarStamps[i]);
    // Camera: log time later than the stamp by ~60 ms; stamps jitter around the 100 ms grid.
    const cam = messages
      .filter((m) => m.topic === TOPICS.camera)
      .map((m) => ({ log: m.logTime, stamp: stampNs(decode<{ timestamp: Stamp }>(m).timestamp) }));
    const lat = cam.map((c) => Number(c.log - c.stamp) / 1e6);
    const meanLat = lat.reduce((a, b) => a + b, 0) / lat.length;
    expect(meanLat).toBeGreaterThan(50);
    expect(meanLat).toBeLessThan(80);
    const jitter = cam.map((c) => Number((c.stamp - SIM_START_NS + 50n * MS) % (100n * MS)) / 1e6 - 50);
    const sd = Math.sqrt(jitter.reduce((a, b) => a + b * b, 0) / jitter.length);
    expect(sd).toBeGreaterThan(2);
    expect(sd).toBeLessThan(9);
    // Without faults, stamps sit exactly on the grid (LiDAR here).
    const lidarStamps = messages
      .filter((m) => m.topic === TOPICS.lidar)
      .map((m) => stampNs(decode<{ timestamp: Stamp }>(m).timestamp) - SIM_START_NS);
    expect(lidarStamps.every((t) => t % (100n * MS) === 0n)).toBe(true);
  });
});
