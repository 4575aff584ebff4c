import { POINT_STRIDE } from "../../types";
import { BadInputError } from "../../types/errors";
import { VelodyneDecoder, VelodyneRotationAssembler, velodyneModelOf } from "./velodyne";

const ctx = { sensorId: "lidar_top", topic: "/velodyne_packets", frameId: "velodyne", receivedAt: 99n };

/**
 * A VLP-16 packet (strongest return) whose 12 blocks all sit at `azimuth` (0.01°) and hold one
 * return each: laser 0 (−15°) at `rawDistance` × 2 mm.
 */
function vlp16Packet(azimuth: number, rawDistance = 5000): Uint8Array {
  const data = new Uint8Array(1206);
  const view = new DataView(data.buffer);
  for (let b = 0; b < 12; b++) {
    const at = b * 100;
    view.setUint16(at, 0xeeff, true);
    view.setUint16(at + 2, azimuth, true);
    if (b === 0) {
      view.setUint16(at + 4, rawDistance, true);
      data[at + 6] = 80;
    }
  }
  view.setUint32(1200, 123456, true);
  data[1204] = 0x37;
  data[1205] = 0x22;
  return data;
}

describe("VelodyneDecoder", () => {
  it("reads the model from the factory byte", () => {
    expect(velodyneModelOf(vlp16Packet(0))).toBe("VLP16");
    const vls = vlp16Packet(0);
    vls[1205] = 0xa1;
    expect(velodyneModelOf(vls)).toBe("VLS128");
    expect(velodyneModelOf(new Uint8Array(100))).toBeUndefined();
  });

  it("unpacks one return of laser 0 at 10 m into x forward, y left, z up", () => {
    const { frame, model, errors } = new VelodyneDecoder().decodeScan([{ stamp: 7n, data: vlp16Packet(0) }], ctx);
    expect(errors).toEqual([]);
    expect(model).toBe("VLP16");
    expect(frame).toMatchObject({ kind: "lidar", count: 1, stamp: 7n, receivedAt: 99n, frameId: "velodyne" });
    const [x, y, z, intensity] = frame.points.subarray(0, POINT_STRIDE);
    expect(Math.hypot(x!, y!, z!)).toBeCloseTo(10, 2);
    // laser 0 of a VLP-16 points 15° down; azimuth 0 is straight ahead
    expect(z!).toBeCloseTo(-10 * Math.sin((15 * Math.PI) / 180), 2);
    expect(x!).toBeGreaterThan(9.6);
    expect(Math.abs(y!)).toBeLessThan(0.05);
    expect(intensity!).toBeGreaterThan(0);
    expect(frame.ring![0]).toBe(0);
  });

  it("skips a truncated packet with a one-line reason and keeps the rest", () => {
    const packets = [
      { stamp: 1n, data: vlp16Packet(0) },
      { stamp: 2n, data: vlp16Packet(100).subarray(0, 600) },
      { stamp: 3n, data: vlp16Packet(200) },
    ];
    const { frame, errors } = new VelodyneDecoder().decodeScan(packets, ctx);
    expect(frame.count).toBe(2);
    expect(errors).toEqual(["/velodyne_packets: Velodyne packet 1: 600 bytes, expected 1206"]);
  });

  it("skips a packet of an unknown product and names the factory byte", () => {
    const odd = vlp16Packet(0);
    odd[1205] = 0x31; // Velarray
    const { frame, errors } = new VelodyneDecoder().decodeScan([{ stamp: 1n, data: odd }], ctx);
    expect(frame.count).toBe(0);
    expect(errors[0]).toMatch(/^\/velodyne_packets: Velodyne packet 0: factory byte 0x31 at offset 1205 is not a supported model/);
  });

  it("skips a packet with a corrupt block azimuth instead of producing NaN points", () => {
    const bad = vlp16Packet(0);
    new DataView(bad.buffer).setUint16(502, 40000, true);
    const { frame, errors } = new VelodyneDecoder().decodeScan(
      [
        { stamp: 1n, data: bad },
        { stamp: 2n, data: vlp16Packet(0) },
      ],
      ctx,
    );
    expect(frame.count).toBe(1);
    expect(errors).toEqual([
      "/velodyne_packets: Velodyne packet 0: block 5 at offset 500 has flag 0xeeff and azimuth 40000, expected flag 0xeeff/0xddff/0xccff/0xbbff and azimuth below 36000 (0.01°)",
    ]);
  });

  it("unpacks with a forced model regardless of the factory byte", () => {
    const odd = vlp16Packet(0);
    odd[1205] = 0x31;
    const { frame } = new VelodyneDecoder({ model: "VLP16" }).decodeScan([{ stamp: 1n, data: odd }], ctx);
    expect(frame.count).toBe(1);
  });

  it("drops returns outside the configured range", () => {
    const { frame } = new VelodyneDecoder({ maxRangeM: 5 }).decodeScan([{ stamp: 1n, data: vlp16Packet(0) }], ctx);
    expect(frame.count).toBe(0);
  });
});

describe("VelodyneRotationAssembler", () => {
  it("emits a rotation when the azimuth wraps, stamped by its first packet", () => {
    const asm = new VelodyneRotationAssembler(new VelodyneDecoder(), ctx);
    expect(asm.push({ stamp: 10n, data: vlp16Packet(35000) }, 100n)).toBeUndefined();
    expect(asm.push({ stamp: 11n, data: vlp16Packet(35800) }, 101n)).toBeUndefined();
    const done = asm.push({ stamp: 12n, data: vlp16Packet(50) }, 102n);
    expect(done?.frame.count).toBe(2);
    expect(done?.frame.stamp).toBe(10n);
    expect(done?.frame.receivedAt).toBe(101n);
    expect(asm.flush()?.frame.stamp).toBe(12n);
    expect(asm.flush()).toBeUndefined();
  });

  it("cuts at the configured angle", () => {
    const asm = new VelodyneRotationAssembler(new VelodyneDecoder(), ctx, { cutAngleDeg: 180 });
    // 185° → 359° → 1° → 170° is one rotation when it is cut at 180°; 181° starts the next
    expect(asm.push({ stamp: 1n, data: vlp16Packet(18500) }, 1n)).toBeUndefined();
    expect(asm.push({ stamp: 2n, data: vlp16Packet(35900) }, 2n)).toBeUndefined();
    expect(asm.push({ stamp: 3n, data: vlp16Packet(100) }, 3n)).toBeUndefined();
    expect(asm.push({ stamp: 4n, data: vlp16Packet(17000) }, 4n)).toBeUndefined();
    expect(asm.push({ stamp: 5n, data: vlp16Packet(18100) }, 5n)?.frame.count).toBe(4);
  });

  it("bounds what it holds when the azimuth never wraps", () => {
    const asm = new VelodyneRotationAssembler(new VelodyneDecoder(), ctx, { maxPacketsPerRotation: 3 });
    const results = [0, 1, 2, 3].map((i) => asm.push({ stamp: BigInt(i), data: vlp16Packet(100) }, 0n));
    expect(results.map((r) => r?.frame.count)).toEqual([undefined, undefined, undefined, 3]);
  });

  it("refuses a bad datagram without losing the rotation in progress", () => {
    const asm = new VelodyneRotationAssembler(new VelodyneDecoder(), ctx);
    asm.push({ stamp: 1n, data: vlp16Packet(100) }, 1n);
    expect(() => asm.push({ stamp: 2n, data: new Uint8Array(17) }, 2n)).toThrow(BadInputError);
    expect(asm.flush()?.frame.count).toBe(1);
  });
});
