import { ARS548_METHOD, ARS548_SIZE, decodeArs548Packet, looksLikeArs548 } from "./ars548";
import { ars548ObjectsToFrame } from "./ars548Frames";
import { BadInputError } from "../../types/errors";

/** An ARS548 PDU of `size` bytes with a consistent header; the body is zeros unless filled in. */
function pdu(method: number, size: number): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, 0);
  view.setUint16(2, method);
  view.setUint32(4, size - 8);
  return { bytes, view };
}

function thrown(fn: () => unknown): BadInputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof BadInputError && err.code === "packet") return err;
    throw err;
  }
  throw new Error("expected a packet BadInputError");
}

describe("decodeArs548Packet", () => {
  it("decodes a detection built byte by byte at the documented offsets", () => {
    const { bytes, view } = pdu(ARS548_METHOD.detectionList, ARS548_SIZE.detectionList);
    view.setUint32(36, 123_000_000); // ns
    view.setUint32(40, 1_700_000_000); // s
    view.setUint8(44, 1);
    view.setFloat32(52, 3.872); // origin x
    const d = 101 + 44; // second detection slot
    view.setFloat32(d, -0.5); // azimuth
    view.setUint8(d + 8, 0x40); // invalid range rate
    view.setFloat32(d + 17, 42.25); // range
    view.setInt8(d + 33, -12); // rcs
    view.setUint16(d + 34, 777); // measurement id
    view.setUint8(d + 36, 87); // ppv
    view.setUint32(101 + 800 * 44 + 8, 2); // number of detections
    const list = decodeArs548Packet(bytes);
    if (list.type !== "detectionList") throw new Error(list.type);
    expect(list.sensorStamp).toBe(1_700_000_000_123_000_000n);
    expect(list.syncStatus).toBe(1);
    expect(list.originPos.x).toBeCloseTo(3.872, 5);
    expect(list.detections).toHaveLength(2);
    const second = list.detections[1]!;
    expect(second.azimuthAngle).toBe(-0.5);
    expect(second.range).toBe(42.25);
    expect(second.rcs).toBe(-12);
    expect(second.measurementId).toBe(777);
    expect(second.rawPositivePredictiveValue).toBe(87);
    expect(second.invalidRangeRate).toBe(true);
    expect(second.invalidDistance).toBe(false);
  });

  it("decodes an object and maps it to a RadarObject", () => {
    const { bytes, view } = pdu(ARS548_METHOD.objectList, ARS548_SIZE.objectList);
    view.setUint8(50, 1);
    const o = 51;
    view.setUint32(o + 2, 4242); // id
    view.setUint16(o + 6, 1500); // age
    view.setFloat32(o + 13, 20); // x
    view.setFloat32(o + 21, -2); // y
    view.setFloat32(o + 50, 75); // existence %
    view.setUint8(o + 58, 70); // car %
    view.setUint8(o + 59, 30); // truck %
    view.setFloat32(o + 69, 12.5); // abs vel x
    view.setFloat32(o + 90, -3); // rel vel x
    view.setFloat32(o + 166, 4.5); // length
    const list = decodeArs548Packet(bytes);
    if (list.type !== "objectList") throw new Error(list.type);
    expect(list.objects[0]!.relativeVelocity.x).toBe(-3);
    const frame = ars548ObjectsToFrame(list, { sensorId: "r", topic: "t", frameId: "radar", packetStamp: 5n, receivedAt: 6n });
    const obj = frame.objects[0]!;
    expect(obj).toMatchObject({ id: 4242, ageMs: 1500, position: { x: 20, y: -2, z: 0 }, length: 4.5, classification: "car" });
    expect(obj.velocity.x).toBe(12.5);
    expect(obj.existenceProbability).toBe(0.75);
    expect(obj.classProbabilities.truck).toBeCloseTo(0.3, 6);
    expect(frame.stamp).toBe(5n);
    expect(frame.frameId).toBe("base_link");
  });

  it("moves objects into the radar frame with the mounting (yawed 90° left)", () => {
    const { bytes, view } = pdu(ARS548_METHOD.objectList, ARS548_SIZE.objectList);
    view.setUint8(50, 1);
    view.setFloat32(51 + 13, 10); // x
    view.setFloat32(51 + 21, 2); // y
    view.setFloat32(51 + 29, 0.5); // z
    view.setFloat32(51 + 41, 0.5); // yaw
    view.setFloat32(51 + 69, 4); // vx
    view.setFloat32(51 + 73, 0.3); // vx std
    view.setFloat32(51 + 81, 0.1); // vy std
    const list = decodeArs548Packet(bytes);
    if (list.type !== "objectList") throw new Error(list.type);
    const mounting = { x: 4, y: 0, z: 0.5, yawRad: Math.PI / 2, pitchRad: 0, rollRad: 0 };
    const frame = ars548ObjectsToFrame(list, { sensorId: "r", topic: "t", frameId: "radar", packetStamp: 0n, receivedAt: 0n, mounting });
    expect(frame.frameId).toBe("radar");
    const o = frame.objects[0]!;
    // 6 m ahead of and 2 m left of a radar looking left: 2 m ahead of it, 6 m to its right
    expect(o.position.x).toBeCloseTo(2, 6);
    expect(o.position.y).toBeCloseTo(-6, 6);
    expect(o.position.z).toBeCloseTo(0, 6);
    expect(o.velocity.x).toBeCloseTo(0, 6);
    expect(o.velocity.y).toBeCloseTo(-4, 6);
    expect(o.velocityStd.x).toBeCloseTo(0.1, 6);
    expect(o.velocityStd.y).toBeCloseTo(0.3, 6);
    expect(o.yawRad).toBeCloseTo(0.5 - Math.PI / 2, 6);
  });

  it("stamps with the radar clock only when asked and synchronised", () => {
    const { bytes, view } = pdu(ARS548_METHOD.objectList, ARS548_SIZE.objectList);
    view.setUint32(40, 10); // s
    view.setUint8(44, 3); // SYNC_LOST
    const list = decodeArs548Packet(bytes);
    if (list.type !== "objectList") throw new Error(list.type);
    const opts = { sensorId: "r", topic: "t", frameId: "radar", packetStamp: 5n, receivedAt: 6n, useSensorTime: true };
    expect(ars548ObjectsToFrame(list, opts).stamp).toBe(5n);
    expect(ars548ObjectsToFrame({ ...list, syncStatus: 1 }, opts).stamp).toBe(10_000_000_000n);
  });

  it("rejects a truncated detection list with what, where and the expected size", () => {
    const { bytes } = pdu(ARS548_METHOD.detectionList, ARS548_SIZE.detectionList);
    const err = thrown(() => decodeArs548Packet(bytes.subarray(0, 1000)));
    expect(err.message).toBe(
      "ARS548 detection list (method 336): packet is 1000 bytes with length field 35328 at offset 4, expected 35336 bytes with length field 35328",
    );
    expect(err.message).not.toContain("\n");
  });

  it("rejects a detection count beyond 800", () => {
    const { bytes, view } = pdu(ARS548_METHOD.detectionList, ARS548_SIZE.detectionList);
    view.setUint32(101 + 800 * 44 + 8, 801);
    expect(thrown(() => decodeArs548Packet(bytes)).message).toBe(
      "ARS548 detection list: number of detections 801 at offset 35309, expected at most 800",
    );
  });

  it("rejects an object count beyond 50 in a 9401-byte list", () => {
    const { bytes, view } = pdu(ARS548_METHOD.objectList, ARS548_SIZE.objectList);
    view.setUint8(50, 51);
    expect(thrown(() => decodeArs548Packet(bytes)).message).toBe(
      "ARS548 object list: number of objects 51 at offset 50, expected at most 50",
    );
  });

  it("rejects short, foreign and unknown-method packets without reading past the end", () => {
    expect(thrown(() => decodeArs548Packet(new Uint8Array(3))).message).toBe(
      "ARS548: packet is 3 bytes, expected at least the 8-byte header",
    );
    const foreign = pdu(1, 100);
    foreign.view.setUint16(0, 7);
    expect(thrown(() => decodeArs548Packet(foreign.bytes)).message).toBe("ARS548: service id 7 at offset 0, expected 0");
    expect(thrown(() => decodeArs548Packet(pdu(999, 100).bytes)).message).toBe(
      "ARS548: method id 999 at offset 2, expected one of 329, 336, 380, 396",
    );
  });

  it("never throws anything but a packet BadInputError on random bytes", () => {
    let seed = 12345;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const sizes = [0, 1, 8, 9, 50, 84, 330, 9401, 35336];
    for (let i = 0; i < 200; i++) {
      const size = sizes[i % sizes.length]!;
      const { bytes } = pdu(Object.values(ARS548_METHOD)[i % 4]!, Math.max(size, 8));
      for (let j = 8; j < bytes.length; j++) bytes[j] = Math.floor(rand() * 256);
      const input = size < 8 ? bytes.subarray(0, size) : bytes;
      try {
        decodeArs548Packet(input);
      } catch (err) {
        expect(err).toBeInstanceOf(BadInputError);
        expect((err as BadInputError).code).toBe("packet");
      }
    }
  });

  it("looksLikeArs548 needs service 0, a known method and a matching length", () => {
    expect(looksLikeArs548(pdu(ARS548_METHOD.sensorStatus, 84).bytes)).toBe(true);
    expect(looksLikeArs548(pdu(ARS548_METHOD.sensorStatus, 84).bytes.subarray(0, 80))).toBe(false);
    expect(looksLikeArs548(pdu(123, 84).bytes)).toBe(false);
  });

  it("decodes the sensor status (mounting, firmware)", () => {
    const { bytes, view } = pdu(ARS548_METHOD.sensorStatus, ARS548_SIZE.sensorStatus);
    bytes.set([5, 5, 0], 17);
    view.setFloat32(20, 3.872);
    view.setUint8(60, 50);
    bytes.set([10, 13, 1, 114], 64);
    const status = decodeArs548Packet(bytes);
    if (status.type !== "sensorStatus") throw new Error(status.type);
    expect(status.swVersion).toBe("5.5.0");
    expect(status.longitudinal).toBeCloseTo(3.872, 5);
    expect(status.cycleTimeMs).toBe(50);
    expect(status.sensorIpAddress0).toBe("10.13.1.114");
  });
});
