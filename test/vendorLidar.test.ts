/**
 * Raw-packet recordings from tier4/nebula through the registry: Velodyne scans give point counts
 * and ranges consistent with recordings-external/README.md; Hesai packets are recognised and
 * reported as not supported.
 */
import { McapIndexedReader, type McapTypes } from "@mcap/core";
import { loadDecompressHandlers } from "@mcap/support";
import { existsSync, promises as fs } from "fs";
import path from "path";
import { POINT_STRIDE, type PointCloudFrame, type SensorMessage } from "../src/types";
import {
  createRawPacketDecoder,
  createUdpPacketDecoder,
  type RawPacketDecoder,
  type RawPacketResult,
} from "../src/decode/vendor/rawPacketDecoders";
import { readPacketMessage, type StampedPacket } from "../src/decode/vendor/readPacketMessage";

const DIR = path.resolve(__dirname, "../../shared/data/recordings-external/nebula-mcap");
const haveData = existsSync(DIR);
if (!haveData) console.warn(`vendorLidar.test: skipped, ${DIR} not found (shared data absent)`);
const describeData = haveData ? describe : describe.skip;

/** Every message of a one-channel MCAP file through a registry decoder made for its schema. */
async function decodeFile(name: string): Promise<{ decoder: RawPacketDecoder; results: RawPacketResult[]; packets: StampedPacket[] }> {
  const buf = await fs.readFile(path.join(DIR, name));
  const packets: StampedPacket[] = [];
  const readable: McapTypes.IReadable = {
    size: async () => BigInt(buf.byteLength),
    read: async (offset, length) => buf.subarray(Number(offset), Number(offset + length)),
  };
  const reader = await McapIndexedReader.Initialize({ readable, decompressHandlers: await loadDecompressHandlers() });
  let decoder: RawPacketDecoder | undefined;
  const results: RawPacketResult[] = [];
  for await (const m of reader.readMessages()) {
    const channel = reader.channelsById.get(m.channelId)!;
    const schema = reader.schemasById.get(channel.schemaId)!;
    decoder ??= createRawPacketDecoder(schema.name, { sensorId: "sensor", topic: channel.topic });
    const message: SensorMessage = {
      topic: channel.topic,
      schemaName: schema.name,
      schemaEncoding: schema.encoding,
      messageEncoding: channel.messageEncoding,
      schemaData: schema.data,
      channelId: channel.id,
      logTime: m.logTime,
      publishTime: m.publishTime,
      sequence: m.sequence,
      data: m.data,
    };
    results.push(decoder.decodeMessage(message));
    packets.push(...readPacketMessage(schema.name, schema.data, m.data).packets);
  }
  return { decoder: decoder!, results, packets };
}

type CloudStats = { count: number; minRange: number; maxRange: number; rings: number; maxRing: number };
function cloudStats(frame: PointCloudFrame): CloudStats {
  let minRange = Infinity;
  let maxRange = 0;
  const rings = new Set<number>();
  for (let i = 0; i < frame.count; i++) {
    const p = frame.points.subarray(i * POINT_STRIDE, i * POINT_STRIDE + 3);
    const r = Math.hypot(p[0]!, p[1]!, p[2]!);
    minRange = Math.min(minRange, r);
    maxRange = Math.max(maxRange, r);
    rings.add(frame.ring![i]!);
  }
  return { count: frame.count, minRange, maxRange, rings: rings.size, maxRing: Math.max(...rings) };
}

function lidarFrames(results: RawPacketResult[]): PointCloudFrame[] {
  for (const r of results) expect(r.errors).toEqual([]);
  return results.flatMap((r) => r.frames).filter((f): f is PointCloudFrame => f.kind === "lidar");
}

describeData("Velodyne recordings", () => {
  it("VLP-16: 150–151 packets a scan, ≈29.2k points, 16 beams, 0.4–100 m", async () => {
    const { decoder, results } = await decodeFile("velodyne-vlp16.mcap");
    expect(decoder.model).toBe("VLP16");
    expect(results.map((r) => r.packets)).toEqual([151, 151, 151, 150]);
    const frames = lidarFrames(results);
    expect(frames).toHaveLength(4);
    for (const f of frames) {
      const s = cloudStats(f);
      expect(s.count).toBeGreaterThan(28_700);
      expect(s.count).toBeLessThan(29_700);
      expect(s.maxRing).toBeLessThanOrEqual(15);
      expect(s.rings).toBeGreaterThanOrEqual(15);
      expect(s.minRange).toBeGreaterThanOrEqual(0.4);
      expect(s.maxRange).toBeLessThanOrEqual(100);
      expect(f.frameId).toBe("velodyne");
    }
    // the frame is stamped with its first packet (the driver's header stamp equals it here)
    expect(frames[0]!.stamp).toBe(1673400471737763166n);
  });

  it("VLP-32C: 75–76 packets a scan, ≈26.3k points, 32 beams", async () => {
    const { decoder, results } = await decodeFile("velodyne-vlp32c.mcap");
    expect(decoder.model).toBe("VLP32C");
    const frames = lidarFrames(results);
    expect(frames).toHaveLength(5);
    for (const f of frames) {
      const s = cloudStats(f);
      expect(s.count).toBeGreaterThan(25_800);
      expect(s.count).toBeLessThan(26_800);
      expect(s.rings).toBe(32);
      expect(s.maxRange).toBeLessThanOrEqual(200);
      expect(f.frameId).toBe("velodyne_front");
    }
  });

  it("VLS-128: ≈210k points a full scan, ranges up to ≈238 m", async () => {
    const { decoder, results } = await decodeFile("velodyne-vls128.mcap");
    expect(decoder.model).toBe("VLS128");
    expect(results.map((r) => r.packets)).toEqual([383, 603, 603, 604]);
    const stats = lidarFrames(results).map(cloudStats);
    // the first scan starts mid-rotation (383 packets)
    expect(stats[0]!.count).toBeLessThan(150_000);
    for (const s of stats.slice(1)) {
      expect(s.count).toBeGreaterThan(205_000);
      expect(s.count).toBeLessThan(215_000);
      expect(s.maxRange).toBeGreaterThan(230);
      expect(s.maxRange).toBeLessThan(240);
      expect(s.maxRing).toBeLessThanOrEqual(127);
      expect(s.rings).toBeGreaterThan(120);
    }
  });
});

describeData("Velodyne over UDP, one datagram at a time", () => {
  it("VLP-16: cuts rotations at the cut angle and loses no point", async () => {
    const { results, packets } = await decodeFile("velodyne-vlp16.mcap");
    const udp = createUdpPacketDecoder({
      sensorId: "lidar",
      topic: "udp:velodyne:2368",
      frameId: "velodyne",
      velodyne: { cutAngleDeg: 180 },
    });
    const frames = packets.flatMap((p) => {
      const r = udp.push(p.data, p.stamp);
      expect(r.errors).toEqual([]);
      return r.frames as PointCloudFrame[];
    });
    frames.push(...(udp.flush().frames as PointCloudFrame[]));
    expect(udp.model).toBe("VLP16");
    // 603 packets ≈ 4 rotations that the driver cut near 0°; cut at 180° they make 3 whole + 2 halves
    expect(frames.length).toBe(5);
    const total = (fs: PointCloudFrame[]) => fs.reduce((n, f) => n + f.count, 0);
    expect(total(frames)).toBe(total(lidarFrames(results)));
    // the three rotations between the first and the last cut are complete
    for (const f of frames.slice(1, -1)) {
      expect(f.count).toBeGreaterThan(28_700);
      expect(f.count).toBeLessThan(29_700);
    }
    expect(frames.every((f) => f.frameId === "velodyne")).toBe(true);
  });

  it("counts a truncated datagram as malformed and goes on", () => {
    const udp = createUdpPacketDecoder({ sensorId: "lidar", topic: "udp:velodyne:2368", model: "VLP16" });
    const r = udp.push(new Uint8Array(512), 1n);
    expect(r.malformed).toBe(1);
    expect(r.errors).toEqual(["udp:velodyne:2368: Velodyne packet 0: 512 bytes, expected 1206"]);
    expect(udp.stats.malformed).toBe(1);
  });
});

describeData("recordings we recognise but do not decode", () => {
  it.each([
    ["hesai-pandarqt64.mcap", "Hesai", /PandarQT64 packets are recognised but not decoded/],
    ["hesai-pandarxt32.mcap", "Hesai", /PandarXT32 packets are recognised but not decoded/],
  ])("%s → %s, not supported, nothing malformed", async (file, model, reason) => {
    const { decoder, results } = await decodeFile(file);
    expect(decoder.model).toBe(model);
    for (const r of results) {
      expect(r.frames).toEqual([]);
      expect(r.malformed).toBe(0);
      expect(r.unsupported).toMatch(reason);
    }
    expect(decoder.stats.unsupported).toBe(4);
  });
});
