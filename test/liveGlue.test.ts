/** Unit checks of the live glue: the clock ticks, the warm-up plan, UDP frame events, the serving encoder, `--mount` parsing. */
import dgram from "node:dgram";
import path from "node:path";
import { take } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { parseMount } from "../src/cli/live";
import { createDecoder } from "../src/decode/createDecoder";
import { readPacketMessage } from "../src/decode/vendor/readPacketMessage";
import { VENDOR_DECODERS } from "../src/decode/vendorDecoders";
import {
  addBridgeCounters,
  catalogueFromTopics,
  clockTicks,
  createClockAnchor,
  createFrameMessages,
  planFromWarmup,
  pointCloudMessage,
  transformsMessage,
  udpInput,
  type LiveInputEvent,
  type TopicSeen,
} from "../src/live";
import { planPipeline } from "../src/pipeline";
import { decodeProto } from "../src/schemas/protoRegistry";
import { createUdpStats } from "../src/sources/bridge/udpSource";
import {
  BadInputError,
  type DecodedMessage,
  type FrameTransform,
  type PointCloudFrame,
  type RadarFrame,
  type SensorHealthReport,
  type SensorMessage,
} from "../src/types";
import { exists, NEBULA_DIR, waitUntil } from "./bridgeHelpers";
import { readAllMessages } from "./readAllMessages";

const ARS548 = path.join(NEBULA_DIR, "continental-ars548-radar.mcap");
const MS = 1_000_000n;

function decodeOne(m: SensorMessage, mapping = {}): DecodedMessage[] {
  const r = createDecoder({ vendor: VENDOR_DECODERS, mapping }).decode(m);
  if (!("messages" in r)) throw new Error(JSON.stringify(r));
  return r.messages;
}

const mountTf: FrameTransform = {
  kind: "transform",
  topic: "/tf",
  stamp: 9n,
  parentFrameId: "base_link",
  childFrameId: "vlp",
  translation: { x: 1, y: 2, z: 3 },
  rotation: { x: 0, y: 0, z: 0, w: 1 },
};

describe("live glue", () => {
  it("clock ticks: one reading per period on the timer, the source clock extrapolated from the latest data; none before any data", () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ expectObservable }) => {
      // Wall clock = the virtual time (ms → ns); the latest data came at wall 30 ms with source time 1000 s.
      const anchor = createClockAnchor(() => BigInt(ts.now()) * MS);
      ts.schedule(() => anchor.note(1_000_000n * MS, 30n * MS), 30);
      const ticks = clockTicks(20, () => anchor.read(), ts).pipe(take(3));
      // 20 ms: no data yet, skipped; 40, 60, 80 ms: source 1000 s + (now − 30 ms).
      expectObservable(ticks).toBe("40ms a 19ms b 19ms (c|)", {
        a: { kind: "clock", now: 1_000_000n * MS + 10n * MS },
        b: { kind: "clock", now: 1_000_000n * MS + 30n * MS },
        c: { kind: "clock", now: 1_000_000n * MS + 50n * MS },
      });
    });
    const anchor = createClockAnchor(() => 100n);
    expect(anchor.offset()).toBeUndefined();
    anchor.note(5_000n, 40n);
    expect(anchor.offset()).toBe(4_960n);
    expect(anchor.read()).toBe(5_060n);
  });

  it("plans from the warm-up: measured rates 2 % under, too few or implausible rates fall back to nominal; declared topics planned while silent", () => {
    const msg = (topic: string, schemaName: string): SensorMessage => ({
      topic,
      schemaName,
      schemaEncoding: "protobuf",
      messageEncoding: "protobuf",
      schemaData: new Uint8Array(0),
      channelId: 1,
      logTime: 0n,
      publishTime: 0n,
      sequence: 0,
      data: new Uint8Array(0),
    });
    const topics = new Map<string, TopicSeen>([
      [
        "/sensors/cam_front/image",
        { first: msg("/sensors/cam_front/image", "foxglove.CompressedImage"), count: 16, firstLog: 0n, lastLog: 1_000_000_000n },
      ],
      [
        "/sensors/lidar_top/points",
        { first: msg("/sensors/lidar_top/points", "foxglove.PointCloud"), count: 4, firstLog: 0n, lastLog: 300_000_000n },
      ],
      [
        "/sensors/radar_front/scan",
        { first: msg("/sensors/radar_front/scan", "avfusion.RadarScan"), count: 6, firstLog: 0n, lastLog: 2_000_000_000n },
      ],
      ["/tf", { first: msg("/tf", "foxglove.FrameTransforms"), count: 1, firstLog: 0n, lastLog: 0n }],
      // A UDP sensor the input declared, silent during the warm-up.
      ["udp:ars548:42102", { known: { sensor: "radar", sensorId: "ars548_42102", supported: true }, count: 0, firstLog: 0n, lastLog: 0n }],
    ]);
    const catalogue = catalogueFromTopics(topics, {});
    const rate = new Map(catalogue.topics.map((t) => [t.topic, t.rateHz]));
    expect(rate.get("/sensors/cam_front/image")).toBeCloseTo(0.98 * 15, 9);
    expect(rate.get("/sensors/lidar_top/points")).toBeNull(); // 4 messages
    expect(rate.get("/sensors/radar_front/scan")).toBeNull(); // 2.5 Hz for a radar: a stalled sender
    expect(rate.get("udp:ars548:42102")).toBeNull();
    const plan = planPipeline(catalogue);
    expect(plan.sensors.map((s) => `${s.sensorId}:${s.kind}`)).toEqual([
      "ars548_42102:radar",
      "cam_front:camera",
      "lidar_top:lidar",
      "radar_front:radar",
    ]);
    const cam = plan.sync.sensors.find((s) => s.id === "cam_front")!;
    // Half the period of 14.7 Hz: wider than half of 15 Hz, so a frame exactly half a 15 Hz period away is in.
    expect(cam.toleranceMs).toBeGreaterThan(1000 / 15 / 2);
    // The mapping applies as on replay: an ignored topic is not planned, and says why.
    const ignored = catalogueFromTopics(topics, { "/sensors/lidar_top/points": "ignore" });
    expect(ignored.topics.find((t) => t.topic === "/sensors/lidar_top/points")).toMatchObject({
      supported: false,
      reason: "ignored by the topic mapping",
    });
  });

  it("the warm-up's bad input is one BadInputError naming the input: no decodable sensor, a config that does not fit", () => {
    const tf = new Map<string, TopicSeen>([
      ["/tf", { known: { sensor: "calibration", sensorId: "", supported: true }, count: 1, firstLog: 0n, lastLog: 0n }],
    ]);
    const none = (): unknown => planFromWarmup("ws://x", tf, {}, {});
    expect(none).toThrow(BadInputError);
    expect(none).toThrow(/^live ws:\/\/x: no camera, LiDAR, radar or audio topic that avfusion can decode among \/tf$/);
    const radar = new Map<string, TopicSeen>([
      ["udp:ars548:1", { known: { sensor: "radar", sensorId: "ars548_1", supported: true }, count: 0, firstLog: 0n, lastLog: 0n }],
    ]);
    expect(planFromWarmup("udp ars548_1", radar, {}, {}).topicSensor).toEqual(new Map([["udp:ars548:1", "ars548_1"]]));
    let err: unknown;
    try {
      planFromWarmup("udp ars548_1", radar, {}, { config: { sensors: { lidar_top: { toleranceMs: 30 } } } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BadInputError);
    expect((err as BadInputError).where).toBe("live udp ars548_1");
    expect((err as BadInputError).message).toMatch(/^live udp ars548_1: config sensors: lidar_top not in the recording/);
  });

  (exists(ARS548) ? it : it.skip)(
    "udpInput on loopback: ARS548 datagrams come out as frame events exactly as replay decodes the recording; the mounting first; malformed datagrams counted on the topic",
    async () => {
      const recorded = await readAllMessages(ARS548, "indexed");
      const replayDecoder = createDecoder({ vendor: VENDOR_DECODERS });
      const replay: RadarFrame[] = [];
      const datagrams: Uint8Array[] = [];
      for (const m of recorded) {
        const r = replayDecoder.decode(m);
        if (!("messages" in r)) throw new Error(JSON.stringify(r));
        replay.push(...(r.messages as RadarFrame[]));
        datagrams.push(...readPacketMessage(m.schemaName, m.schemaData, m.data, "test").packets.map((p) => p.data));
      }
      expect(replay.length).toBe(2);

      let port = 0;
      const stats = createUdpStats();
      const input = udpInput({
        sensors: [{ driver: "ars548", port: 0, host: "127.0.0.1", sensorId: "ars548" }],
        stats,
        mountings: new Map([["ars548", { x: 3.7, y: 0, z: 0.5, yawRad: Math.PI / 2 }]]),
        onListening: (_s, a) => void (port = a.port),
      });
      expect(input.declared).toEqual([{ topic: "udp:ars548:0", sensor: "radar", sensorId: "ars548", supported: true, rateHz: null }]);
      const events: LiveInputEvent[] = [];
      const sub = input.events.subscribe((e) => void events.push(e));
      expect(await waitUntil(() => port > 0)).toBe(true);
      const sock = dgram.createSocket("udp4");
      const send = (buf: Uint8Array) => new Promise<void>((resolve) => sock.send(buf, port, "127.0.0.1", () => resolve()));
      for (const d of datagrams) await send(d);
      await send(new Uint8Array([1, 2, 3]));
      const frames = () => events.filter((e) => e.type === "frame" && e.frame.kind === "radar");
      expect(await waitUntil(() => frames().length === 2 && stats.sensors.get("ars548")!.malformed === 1)).toBe(true);
      sub.unsubscribe();
      sock.close();

      expect(events[0]).toMatchObject({ type: "status", state: "listening" });
      const data = events.filter((e) => e.type === "frame");
      // The mounting, once, just before the first frame: base_link ← the radar's frame, yaw 90°.
      expect(data[0]).toMatchObject({
        type: "frame",
        topic: "/tf",
        frame: { kind: "transform", parentFrameId: "base_link", childFrameId: "ars548" },
      });
      expect((data[0]!.type === "frame" && (data[0].frame as FrameTransform).rotation.z) || 0).toBeCloseTo(Math.SQRT1_2, 12);
      expect(data.filter((e) => e.type === "frame" && e.frame.kind === "transform").length).toBe(1);
      for (const [i, e] of frames().entries()) {
        if (e.type !== "frame") throw new Error("not a frame");
        const g = e.frame as RadarFrame;
        const f = replay[i]!;
        expect(e.topic).toBe("udp:ars548:0");
        expect(g.sensorId).toBe("ars548");
        // A frame event's source time is the frame's receivedAt: the datagram's arrival (wall clock).
        expect(e.arrival).toBe(g.receivedAt);
        expect(g.detections.length).toBe(f.detections.length);
        expect(g.objects.length).toBe(f.objects.length);
        expect(JSON.stringify(g.detections)).toBe(JSON.stringify(f.detections));
        expect(JSON.stringify(g.objects)).toBe(JSON.stringify(f.objects));
      }
      // The datagram decoder's malformed count is the bridge's, per topic (scene health adds it to the sensor).
      const c = input.counters();
      expect(c.malformed).toBe(1);
      expect(c.byTopic.get("udp:ars548:0")).toEqual({ received: datagrams.length + 1, dropped: 0, malformed: 1 });
      const health = [{ sensorId: "ars548", dropped: 2, malformed: 3 }] as SensorHealthReport[];
      addBridgeCounters(health, c, new Map([["udp:ars548:0", "ars548"]]));
      expect(health[0]).toMatchObject({ dropped: 2, malformed: 4 });

      // Served to viewers as avfusion.RadarScan: the same lists (values at the schema's float32).
      const serve = createFrameMessages();
      const first = frames()[0]!;
      if (first.type !== "frame") throw new Error("not a frame");
      const served = serve(first.frame, first.topic, 77n)!;
      expect(served).toMatchObject({ topic: "udp:ars548:0", schemaName: "avfusion.RadarScan", logTime: 77n, sequence: 0 });
      // (Not through avfusion's own strict RadarScan decoder: the ARS548 reports NaN object heights, which protobuf carries as they are.)
      const back = decodeProto("avfusion.RadarScan", served.data) as { detections?: unknown[]; objects?: unknown[] };
      expect(back.detections?.length ?? 0).toBe((first.frame as RadarFrame).detections.length);
      expect(back.objects?.length ?? 0).toBe((first.frame as RadarFrame).objects.length);
      expect(serve(first.frame, first.topic, 78n)!.sequence).toBe(1);
    },
  );

  it("serving: a LiDAR rotation as foxglove.PointCloud decodes back to the same points, ring and stamp; a mounting to a transform", () => {
    const points = new Float32Array([1.5, -2.25, 0.125, 37, 1e-3, 100.75, -3, 255]);
    const frame: PointCloudFrame = {
      kind: "lidar",
      sensorId: "vlp",
      topic: "udp:velodyne:2368",
      frameId: "vlp",
      stamp: 1_700_000_000_123_456_789n,
      receivedAt: 5n,
      count: 2,
      points,
      ring: new Uint16Array([3, 15]),
    };
    const [back] = decodeOne(pointCloudMessage(frame, { logTime: 42n }), { "udp:velodyne:2368": { sensorId: "vlp" } }) as PointCloudFrame[];
    expect(back!.count).toBe(2);
    expect([...back!.points]).toEqual([...points]);
    expect([...back!.ring!]).toEqual([3, 15]);
    expect(back!.stamp).toBe(frame.stamp);
    expect(back!.receivedAt).toBe(42n);
    expect(back!.sensorId).toBe("vlp");
    expect(createFrameMessages()(frame, frame.topic, 5n)).toMatchObject({ topic: "udp:velodyne:2368", schemaName: "foxglove.PointCloud" });
    const [tf] = decodeOne(transformsMessage([mountTf], { logTime: 9n }));
    expect(tf).toMatchObject({ kind: "transform", parentFrameId: "base_link", childFrameId: "vlp", translation: { x: 1, y: 2, z: 3 } });
    expect(createFrameMessages()(mountTf, "/tf", 9n)).toMatchObject({ topic: "/tf", schemaName: "foxglove.FrameTransforms" });
  });

  it("--mount: SENSOR=X,Y,Z[,YAW_DEG]; anything else is one usage line", () => {
    expect(parseMount("velodyne_2368=1.2,0,1.9")).toEqual(["velodyne_2368", { x: 1.2, y: 0, z: 1.9, yawRad: 0 }]);
    expect(parseMount("ars548=3.7,-0.5,0.5,90")[1].yawRad).toBeCloseTo(Math.PI / 2, 12);
    for (const bad of ["x", "a=1,2", "a=1,2,3,4,5", "a=1,b,3", "=1,2,3"])
      expect(() => parseMount(bad)).toThrow(/^--mount .*: expected SENSOR=X,Y,Z\[,YAW_DEG\]/);
  });
});
