import dgram from "node:dgram";
import path from "node:path";
import { lastValueFrom, toArray, type Subscription } from "rxjs";
import { createRawPacketDecoder, createUdpPacketDecoder } from "../src/decode/vendor/rawPacketDecoders";
import { readPacketMessage } from "../src/decode/vendor/readPacketMessage";
import { parseUdpTargets, playRecordingUdp } from "../src/play/udpPlayback";
import { createVendorDatagramDecoder, type VendorDatagramOptions } from "../src/decode/vendor/rawPacketDecoders";
import { createUdpStats, parseUdpListen, udpSource, type UdpFrame, type UdpSensorSpec } from "../src/sources/bridge/udpSource";
import { FileReadable } from "../src/sources/mcap/FileReadable";
import { readRecording } from "../src/sources/mcap/readRecording";
import type { PointCloudFrame, RadarFrame, SensorMessage } from "../src/types";
import { exists, NEBULA_DIR, waitUntil } from "./bridgeHelpers";

const VLP16 = path.join(NEBULA_DIR, "velodyne-vlp16.mcap");
const ARS548 = path.join(NEBULA_DIR, "continental-ars548-radar.mcap");
const haveData = exists(VLP16) && exists(ARS548);
if (!haveData) console.warn(`skipping UDP recording tests: ${NEBULA_DIR} is absent (../shared/data)`);
const withData = haveData ? it : it.skip;

let subs: Subscription[] = [];
let sockets: dgram.Socket[] = [];
let readables: FileReadable[] = [];
afterEach(async () => {
  subs.forEach((s) => s.unsubscribe());
  sockets.forEach((s) => s.close());
  await Promise.all(readables.map((r) => r.close()));
  subs = [];
  sockets = [];
  readables = [];
});

async function open(file: string): Promise<FileReadable> {
  const r = await FileReadable.open(file);
  readables.push(r);
  return r;
}

async function recordingMessages(file: string): Promise<SensorMessage[]> {
  return lastValueFrom(readRecording(await open(file)).pipe(toArray()));
}

/** Start a UDP source on ephemeral loopback ports; resolves with the bound ports once all are bound. */
async function listen(sensors: UdpSensorSpec<VendorDatagramOptions>[], extra: { maxQueuedDatagrams?: number; slowMs?: number } = {}) {
  const frames: UdpFrame[] = [];
  const stats = createUdpStats();
  const ports = new Map<string, number>();
  let error: Error | undefined;
  const sub = udpSource({
    sensors,
    stats,
    createDecoder: createVendorDatagramDecoder,
    maxQueuedDatagrams: extra.maxQueuedDatagrams,
    onListening: (s, address) => ports.set(s.driver, address.port),
  }).subscribe({
    next: (f) => {
      frames.push(f);
      if (extra.slowMs) {
        const until = performance.now() + extra.slowMs;
        while (performance.now() < until);
      }
    },
    error: (e: Error) => (error = e),
  });
  subs.push(sub);
  expect(await waitUntil(() => ports.size === sensors.length)).toBe(true);
  return { frames, stats, ports, error: () => error };
}

function sender(): dgram.Socket {
  const s = dgram.createSocket("udp4");
  sockets.push(s);
  return s;
}

const send = (s: dgram.Socket, data: Uint8Array, port: number): Promise<void> =>
  new Promise((resolve, reject) => s.send(data, port, "127.0.0.1", (err) => (err ? reject(err) : resolve())));

function withoutTimes(f: RadarFrame): Omit<RadarFrame, "stamp" | "receivedAt" | "topic" | "sensorId" | "frameId"> {
  const { stamp: _s, receivedAt: _r, topic: _t, sensorId: _i, frameId: _f, ...rest } = f;
  return rest;
}

describe("UDP sensor drivers", () => {
  withData("VLP-16: the recording's packets over UDP give the same rotations as decoding them directly", async () => {
    const { frames, stats, ports } = await listen([{ driver: "velodyne", port: 0, host: "127.0.0.1" }]);
    const played = await playRecordingUdp(await open(VLP16), {
      targets: { velodyne: { host: "127.0.0.1", port: ports.get("velodyne")! } },
      rate: 1,
    });
    // Reference: the same packets pushed straight into the decoder, in recording order.
    const reference = createUdpPacketDecoder({ sensorId: "ref", topic: "ref" });
    const expected: PointCloudFrame[] = [];
    let packets = 0;
    for (const m of await recordingMessages(VLP16)) {
      for (const p of readPacketMessage(m.schemaName, m.schemaData, m.data).packets) {
        packets++;
        expected.push(...(reference.push(p.data, p.stamp).frames as PointCloudFrame[]));
      }
    }
    expect(played.sent).toBe(packets);
    expect(played.byDriver.velodyne).toBe(packets);
    await waitUntil(() => stats.sensors.get(`velodyne_0`)!.datagrams === packets, 300);
    expect(stats.sensors.get(`velodyne_0`)!.datagrams).toBe(packets);
    await waitUntil(() => frames.length === expected.length, 100);
    const s = stats.sensors.get("velodyne_0")!;
    expect(s.malformed).toBe(0);
    expect(s.droppedRate + s.droppedQueue).toBe(0);
    expect(expected.length).toBeGreaterThanOrEqual(2);
    expect(frames.length).toBe(expected.length);
    frames.forEach((f, i) => {
      const want = expected[i]!;
      expect(f.kind).toBe("lidar");
      const got = f as PointCloudFrame;
      expect(got.count).toBe(want.count);
      expect(
        Buffer.from(got.points.buffer, got.points.byteOffset, got.points.byteLength).equals(
          Buffer.from(want.points.buffer, want.points.byteOffset, want.points.byteLength),
        ),
      ).toBe(true);
      expect(got.sensorId).toBe("velodyne_0");
      expect(got.topic).toBe("udp:velodyne:0");
      expect(got.receivedAt).toBeGreaterThan(0n);
    });
    // A full VLP-16 rotation holds ~29 k points (docs/vendor.md).
    expect((frames[0] as PointCloudFrame).count).toBeGreaterThan(20_000);
  });

  withData("ARS548: 308 detections and 50 objects, equal to decoding the recording directly", async () => {
    const { frames, stats, ports } = await listen([{ driver: "ars548", port: 0, host: "127.0.0.1" }]);
    const played = await playRecordingUdp(await open(ARS548), {
      targets: { ars548: { host: "127.0.0.1", port: ports.get("ars548")! } },
      rate: 1,
    });
    expect(played.sent).toBe(2);
    expect(await waitUntil(() => frames.length === 2)).toBe(true);
    const messages = await recordingMessages(ARS548);
    const decoder = createRawPacketDecoder(messages[0]!.schemaName, { sensorId: "ref", topic: messages[0]!.topic });
    const expected = messages.flatMap((m) => decoder.decodeMessage(m).frames as RadarFrame[]);
    const radar = frames as RadarFrame[];
    expect(radar.map((f) => f.detections.length + f.objects.length)).toEqual(expected.map((f) => f.detections.length + f.objects.length));
    expect(radar.reduce((n, f) => n + f.detections.length, 0)).toBe(308);
    expect(radar.reduce((n, f) => n + f.objects.length, 0)).toBe(50);
    radar.forEach((f, i) => expect(withoutTimes(f)).toEqual(withoutTimes(expected[i]!)));
    expect(stats.sensors.get("ars548_0")!.malformed).toBe(0);
  });

  withData("truncated and garbage datagrams are counted and skipped; good packets after them still decode", async () => {
    const { frames, stats, ports, error } = await listen([
      { driver: "velodyne", port: 0, host: "127.0.0.1" },
      { driver: "ars548", port: 0, host: "127.0.0.1" },
    ]);
    const s = sender();
    const messages = await recordingMessages(ARS548);
    const lists = messages.flatMap((m) => readPacketMessage(m.schemaName, m.schemaData, m.data).packets.map((p) => p.data));
    const vlp = (await recordingMessages(VLP16))
      .slice(0, 2)
      .flatMap((m) => readPacketMessage(m.schemaName, m.schemaData, m.data).packets.map((p) => p.data));
    const radarPort = ports.get("ars548")!;
    const lidarPort = ports.get("velodyne")!;
    const garbage = new Uint8Array(1206).map((_, i) => (i * 7919) & 0xff);
    await send(s, lists.find((p) => p.byteLength === 35336)!.subarray(0, 500), radarPort); // truncated detection list
    await send(s, new Uint8Array(0), radarPort); // empty
    await send(s, garbage.subarray(0, 300), radarPort); // garbage
    const detectionList = lists.find((p) => p.byteLength === 35336)!;
    await send(s, detectionList, radarPort); // good
    await send(s, vlp[0]!.subarray(0, 600), lidarPort); // truncated Velodyne packet
    await send(s, garbage, lidarPort); // garbage of the right size
    for (const p of vlp) await send(s, p, lidarPort);
    expect(
      await waitUntil(
        () => stats.sensors.get("velodyne_0")!.datagrams === vlp.length + 2 && stats.sensors.get("ars548_0")!.datagrams === 4,
      ),
    ).toBe(true);
    await waitUntil(() => frames.some((f) => f.kind === "lidar"), 100);
    expect(error()).toBeUndefined();
    expect(stats.sensors.get("ars548_0")!.malformed).toBe(3);
    expect(stats.sensors.get("velodyne_0")!.malformed).toBe(2);
    expect(frames.filter((f) => f.kind === "radar").map((f) => (f as RadarFrame).detections.length)).toEqual([308]);
    expect(frames.some((f) => f.kind === "lidar")).toBe(true);
    // One line per bad datagram, naming the topic and what was expected.
    expect(stats.errors.length).toBe(5);
    for (const line of stats.errors) expect(line).not.toContain("\n");
    expect(stats.errors.some((e) => e.startsWith("udp:ars548:0: ") && e.includes("packet is 500 bytes"))).toBe(true);
    expect(stats.errors.some((e) => e.startsWith("udp:velodyne:0: ") && e.includes("600-byte packet"))).toBe(true);
  });

  withData("a 10× flood: rate limit and bounded queue drop and count, memory stays bounded", async () => {
    // The limit sits well below what even a loaded machine sends at 10× (a VLP-16 sends ≈ 754
    // packets/s, so 10× ≈ 7500/s), and the consumer is slow, so both counters must move.
    const { stats, ports } = await listen([{ driver: "velodyne", port: 0, host: "127.0.0.1", maxDatagramsPerSec: 300 }], {
      maxQueuedDatagrams: 64,
      slowMs: 30,
    });
    const abort = new AbortController();
    const heap0 = process.memoryUsage().heapUsed;
    const played = await playRecordingUdp(await open(VLP16), {
      targets: { velodyne: { host: "127.0.0.1", port: ports.get("velodyne")! } },
      rate: 10,
      loop: true,
      signal: abort.signal,
      onPass: (n) => n >= 5 && abort.abort(),
    });
    expect(played.passes).toBe(5);
    expect(played.sent).toBe(5 * 603);
    const s = stats.sensors.get("velodyne_0")!;
    await waitUntil(() => s.datagrams === played.sent && s.decoded + s.droppedRate + s.droppedQueue === s.datagrams, 200);
    expect(s.datagrams).toBeLessThanOrEqual(played.sent);
    expect(s.droppedRate).toBeGreaterThan(0);
    expect(stats.maxQueued).toBeLessThanOrEqual(64);
    // Every datagram is accounted for: decoded, or dropped by the limit or the queue.
    expect(s.decoded + s.droppedRate + s.droppedQueue).toBe(s.datagrams);
    expect(s.frames).toBeGreaterThan(0);
    expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(200 * 1024 * 1024);
  });

  it("a slow consumer: the queue stays bounded and overflow is counted", async () => {
    const { stats, ports } = await listen([{ driver: "ars548", port: 0, host: "127.0.0.1", maxDatagramsPerSec: Infinity }], {
      maxQueuedDatagrams: 4,
      slowMs: 0,
    });
    const s = sender();
    // Sensor-status-sized garbage: cheap to decode, all malformed; 200 of them in one burst.
    const burst: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) burst.push(send(s, new Uint8Array(84), ports.get("ars548")!));
    await Promise.all(burst);
    const st = stats.sensors.get("ars548_0")!;
    await waitUntil(() => st.datagrams === 200 && st.decoded + st.droppedQueue === 200, 200);
    expect(stats.maxQueued).toBeLessThanOrEqual(4);
    expect(st.malformed + st.droppedQueue).toBe(st.datagrams);
    expect(st.decoded).toBe(st.malformed);
    expect(st.droppedQueue).toBeGreaterThan(0);
  });

  it("parses --udp specs and rejects bad ones in one line", () => {
    expect(parseUdpListen("velodyne:2368,ars548")).toEqual([
      { driver: "velodyne", port: 2368 },
      { driver: "ars548", port: 42102 },
    ]);
    expect(parseUdpListen("ars548:127.0.0.1:0")).toEqual([{ driver: "ars548", port: 0, host: "127.0.0.1" }]);
    expect(parseUdpListen("ars548:224.0.2.2:42102")).toEqual([
      { driver: "ars548", port: 42102, host: "0.0.0.0", multicastGroup: "224.0.2.2" },
    ]);
    expect(() => parseUdpListen("hesai:2368")).toThrow(
      '--udp: "hesai:2368", expected DRIVER[:[HOST:]PORT] with DRIVER velodyne or ars548 and PORT 0..65535',
    );
    expect(parseUdpTargets("velodyne:10.0.0.2:2368,ars548:42102")).toEqual({
      velodyne: { host: "10.0.0.2", port: 2368 },
      ars548: { host: "127.0.0.1", port: 42102 },
    });
    expect(() => parseUdpTargets("velodyne:host:99999")).toThrow(/^--udp: "velodyne:host:99999", expected DRIVER:\[HOST:\]PORT/);
  });
});
