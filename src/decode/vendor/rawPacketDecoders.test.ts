import { parse } from "@foxglove/rosmsg";
import { MessageWriter } from "@foxglove/rosmsg2-serialization";
import type { SensorMessage } from "../../types";
import { ARS548_METHOD, ARS548_SIZE } from "./ars548";
import { identifyPacket } from "./identifyPacket";
import { createRawPacketDecoder, createUdpPacketDecoder, isRawPacketSchema } from "./rawPacketDecoders";
import { readPacketMessage } from "./readPacketMessage";

const NEBULA_PACKETS = `std_msgs/Header header
nebula_msgs/NebulaPacket[] packets
================================================================================
MSG: std_msgs/Header
builtin_interfaces/Time stamp
string frame_id
================================================================================
MSG: builtin_interfaces/Time
int32 sec
uint32 nanosec
================================================================================
MSG: nebula_msgs/NebulaPacket
builtin_interfaces/Time stamp
uint8[] data
`;
const SCHEMA = "nebula_msgs/msg/NebulaPackets";
const writer = new MessageWriter(parse(NEBULA_PACKETS, { ros2: true }));

function nebulaMessage(packets: Uint8Array[], frameId = "radar_link"): SensorMessage {
  const stamp = { sec: 1700000000, nanosec: 5 };
  const data = writer.writeMessage({ header: { stamp, frame_id: frameId }, packets: packets.map((p) => ({ stamp, data: p })) });
  return {
    topic: "/radar/packets",
    schemaName: SCHEMA,
    schemaEncoding: "ros2msg",
    messageEncoding: "cdr",
    schemaData: new TextEncoder().encode(NEBULA_PACKETS),
    channelId: 1,
    logTime: 42n,
    publishTime: 42n,
    sequence: 0,
    data,
  };
}

function ars548(method: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint16(2, method);
  view.setUint32(4, size - 8);
  return bytes;
}

describe("readPacketMessage", () => {
  it("reads header stamp, frame and packets of a NebulaPackets message", () => {
    const msg = nebulaMessage([new Uint8Array([1, 2, 3])]);
    const read = readPacketMessage(SCHEMA, msg.schemaData, msg.data);
    expect(read.stamp).toBe(1_700_000_000_000_000_005n);
    expect(read.frameId).toBe("radar_link");
    expect(read.packets.map((p) => Array.from(p.data))).toEqual([[1, 2, 3]]);
  });

  it("rejects a truncated CDR message even when the bytes after it are readable", () => {
    const msg = nebulaMessage([new Uint8Array(100)]);
    // a view into a larger buffer, as an MCAP chunk gives
    expect(() => readPacketMessage(SCHEMA, msg.schemaData, msg.data.subarray(0, 60), "topic /radar/packets")).toThrow(
      "nebula_msgs/msg/NebulaPackets (topic /radar/packets): CDR message is 60 bytes but its packets need 144, expected a complete message (truncated?)",
    );
  });

  it("rejects a CDR message cut inside its header in one line", () => {
    const msg = nebulaMessage([new Uint8Array(100)]);
    const cut = msg.data.slice(0, 10);
    expect(() => readPacketMessage(SCHEMA, msg.schemaData, cut, "topic /radar/packets")).toThrow(
      /^nebula_msgs\/msg\/NebulaPackets \(topic \/radar\/packets\): CDR message of 10 bytes does not decode: [^\n]+$/,
    );
  });

  it("rejects trailing bytes beyond rmw's 4-byte padding", () => {
    const msg = nebulaMessage([new Uint8Array(4)]);
    const long = new Uint8Array(msg.data.byteLength + 8);
    long.set(msg.data);
    expect(() => readPacketMessage(SCHEMA, msg.schemaData, long)).toThrow(
      /: 8 bytes left after the message at offset \d+, expected at most 3 bytes of padding$/,
    );
  });

  it("rejects a schema without header and packets", () => {
    expect(() => readPacketMessage(SCHEMA, "int32 x\n", new Uint8Array(8))).toThrow(
      "nebula_msgs/msg/NebulaPackets: schema has fields [x], expected header and packets",
    );
  });
});

describe("createRawPacketDecoder", () => {
  it("infers the ARS548 from the packets and yields one frame per list", () => {
    const dec = createRawPacketDecoder(SCHEMA, { sensorId: "radar_front", topic: "/radar/packets" });
    const result = dec.decodeMessage(
      nebulaMessage([
        ars548(ARS548_METHOD.objectList, ARS548_SIZE.objectList),
        ars548(ARS548_METHOD.detectionList, ARS548_SIZE.detectionList),
      ]),
    );
    expect(dec.model).toBe("ARS548");
    expect(result.errors).toEqual([]);
    expect(result.frames.map((f) => [f.kind, f.frameId, f.stamp, f.receivedAt, f.sensorId])).toEqual([
      ["radar", "base_link", 1_700_000_000_000_000_005n, 42n, "radar_front"],
      ["radar", "radar_link", 1_700_000_000_000_000_005n, 42n, "radar_front"],
    ]);
  });

  it("moves ARS548 objects into the radar frame once a detection list told the mounting", () => {
    const detections = ars548(ARS548_METHOD.detectionList, ARS548_SIZE.detectionList);
    new DataView(detections.buffer).setFloat32(52, 3.5); // origin x
    const objects = ars548(ARS548_METHOD.objectList, ARS548_SIZE.objectList);
    const o = new DataView(objects.buffer);
    o.setUint8(50, 1);
    o.setFloat32(51 + 13, 10);
    const sensor = createRawPacketDecoder(SCHEMA, { sensorId: "r", topic: "/radar/packets" });
    const [, inSensor] = sensor.decodeMessage(nebulaMessage([detections, objects])).frames;
    expect(inSensor?.frameId).toBe("radar_link");
    expect(inSensor?.kind === "radar" && inSensor.objects[0]!.position.x).toBeCloseTo(6.5, 5);
    const vehicle = createRawPacketDecoder(SCHEMA, {
      sensorId: "r",
      topic: "/radar/packets",
      ars548: { objectsIn: "vehicle", objectFrameId: "ego" },
    });
    const [, inVehicle] = vehicle.decodeMessage(nebulaMessage([detections, objects])).frames;
    expect(inVehicle?.frameId).toBe("ego");
    expect(inVehicle?.kind === "radar" && inVehicle.objects[0]!.position.x).toBe(10);
  });

  it("counts and skips a truncated ARS548 packet, keeps the good one", () => {
    const dec = createRawPacketDecoder(SCHEMA, { sensorId: "r", topic: "/radar/packets", model: "ARS548" });
    const result = dec.decodeMessage(
      nebulaMessage([
        ars548(ARS548_METHOD.detectionList, ARS548_SIZE.detectionList).subarray(0, 500),
        ars548(ARS548_METHOD.objectList, ARS548_SIZE.objectList),
      ]),
    );
    expect(result.frames).toHaveLength(1);
    expect(result.malformed).toBe(1);
    expect(result.errors).toEqual([
      "/radar/packets: packet 0: ARS548 detection list (method 336): packet is 500 bytes with length field 35328 at offset 4, expected 35336 bytes with length field 35328",
    ]);
    expect(dec.stats).toEqual({ messages: 1, packets: 2, frames: 1, malformed: 1, unsupported: 0 });
  });

  it("counts a garbage CDR message as malformed instead of throwing", () => {
    const dec = createRawPacketDecoder(SCHEMA, { sensorId: "r", topic: "/radar/packets" });
    const msg = { ...nebulaMessage([]), data: new Uint8Array([0, 1, 0, 0, 0xff, 0xff, 0xff, 0x7f]) };
    const result = dec.decodeMessage(msg);
    expect(result.frames).toEqual([]);
    expect(result.malformed).toBe(1);
    expect(result.errors[0]).toMatch(/^nebula_msgs\/msg\/NebulaPackets \(topic \/radar\/packets, log time 42\): /);
    expect(dec.stats.malformed).toBe(1);
  });

  it("reports unrecognised packets with their first bytes", () => {
    const dec = createRawPacketDecoder(SCHEMA, { sensorId: "r", topic: "/radar/packets" });
    const result = dec.decodeMessage(nebulaMessage([new Uint8Array([9, 9, 9, 9, 9])]));
    expect(dec.model).toBeUndefined();
    expect(result.malformed).toBe(1);
    expect(result.errors[0]).toMatch(/^\/radar\/packets: unrecognised 5-byte packet starting 09 09 09 09 09, expected/);
  });

  it("recognises SRR520 CAN frames; an element before its header is ignored, not malformed", () => {
    const can = new Uint8Array(68);
    new DataView(can.buffer).setUint32(0, 901);
    const dec = createRawPacketDecoder(SCHEMA, { sensorId: "r", topic: "/radar/packets" });
    const result = dec.decodeMessage(nebulaMessage([can]));
    expect(dec.model).toBe("SRR520");
    expect(result).toMatchObject({ frames: [], malformed: 0, errors: [] });
    expect(result.unsupported).toBeUndefined();
  });

  it("says a Hesai recording is not supported, once per message, without counting it malformed", () => {
    const hesai = new Uint8Array(1080);
    hesai.set([0xee, 0xff, 6, 1, 0, 0, 32, 8]);
    const dec = createRawPacketDecoder(SCHEMA, { sensorId: "l", topic: "/pandar" });
    const result = dec.decodeMessage(nebulaMessage([hesai, hesai]));
    expect(dec.model).toBe("Hesai");
    expect(result.malformed).toBe(0);
    expect(result.unsupported).toBe(
      "/pandar: PandarXT32 packets are recognised but not decoded: no Hesai decoder yet (formats are in tier4/nebula's nebula_hesai)",
    );
    expect(dec.stats.unsupported).toBe(1);
  });

  it("refuses a schema that carries no packets at set-up", () => {
    expect(isRawPacketSchema("sensor_msgs/msg/PointCloud2")).toBe(false);
    expect(() => createRawPacketDecoder("sensor_msgs/msg/PointCloud2", { sensorId: "l", topic: "/points" })).toThrow(
      "raw packet decoder for /points: schema sensor_msgs/msg/PointCloud2 is not a packet schema, expected one of nebula_msgs/msg/NebulaPackets, velodyne_msgs/msg/VelodyneScan, pandar_msgs/msg/PandarScan",
    );
  });
});

describe("createUdpPacketDecoder", () => {
  it("turns each ARS548 datagram into a frame stamped with its arrival", () => {
    const udp = createUdpPacketDecoder({ sensorId: "radar_front", topic: "udp:ars548:42102", frameId: "radar_link" });
    const r = udp.push(ars548(ARS548_METHOD.detectionList, ARS548_SIZE.detectionList), 1234n);
    expect(r.frames.map((f) => [f.kind, f.frameId, f.stamp, f.receivedAt])).toEqual([["radar", "radar_link", 1234n, 1234n]]);
    expect(udp.push(new Uint8Array([1, 2, 3]), 1235n).malformed).toBe(1);
    expect(udp.stats).toEqual({ messages: 2, packets: 2, frames: 1, malformed: 1, unsupported: 0 });
  });

  it("keeps the sensor status for diagnostics", () => {
    const udp = createUdpPacketDecoder({ sensorId: "radar_front", topic: "udp:ars548:42102" });
    const status = ars548(ARS548_METHOD.sensorStatus, ARS548_SIZE.sensorStatus);
    status.set([5, 5, 1], 17);
    expect(udp.push(status, 1n).frames).toEqual([]);
    expect(udp.ars548Status?.swVersion).toBe("5.5.1");
  });
});

describe("identifyPacket", () => {
  it("names Hesai models from protocol version and laser count", () => {
    const qt64 = new Uint8Array(1072);
    qt64.set([0xee, 0xff, 3, 1, 0, 0, 64, 4]);
    expect(identifyPacket(qt64)).toMatchObject({ vendor: "hesai", model: "PandarQT64", supported: false });
    const other = new Uint8Array(100);
    other.set([0xee, 0xff, 9, 9, 0, 0, 8, 1]);
    expect(identifyPacket(other)).toMatchObject({ model: "Hesai (protocol 9.9, 8 lasers)" });
  });

  it("recognises ARS548 PDUs only with a matching length field", () => {
    expect(identifyPacket(ars548(ARS548_METHOD.sensorStatus, 84))).toEqual({ vendor: "continental", model: "ARS548", supported: true });
    expect(identifyPacket(ars548(ARS548_METHOD.sensorStatus, 84).subarray(0, 83)).vendor).toBe("unknown");
  });
});
