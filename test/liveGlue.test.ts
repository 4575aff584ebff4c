/** Unit checks of the live glue: wire messages it makes, the warm-up plan, `--mount` parsing. */
import path from "node:path";
import { parseMount } from "../src/cli/live";
import { createDecoder } from "../src/decode/createDecoder";
import { readPacketMessage } from "../src/decode/vendor/readPacketMessage";
import { VENDOR_DECODERS } from "../src/decode/vendorDecoders";
import {
  HEARTBEAT_SENSOR_ID,
  heartbeatMessage,
  inspectionFromTopics,
  packetMessage,
  pointCloudMessage,
  transformsMessage,
} from "../src/live";
import { planPipeline } from "../src/pipeline";
import type { DecodedMessage, PointCloudFrame, RadarFrame, SensorMessage } from "../src/types";
import { exists, NEBULA_DIR } from "./bridgeHelpers";
import { readAllMessages } from "./readAllMessages";

const ARS548 = path.join(NEBULA_DIR, "continental-ars548-radar.mcap");

function decodeOne(m: SensorMessage, mapping = {}): DecodedMessage[] {
  const r = createDecoder({ vendor: VENDOR_DECODERS, mapping }).decode(m);
  if (!("messages" in r)) throw new Error(JSON.stringify(r));
  return r.messages;
}

describe("live glue", () => {
  it("a LiDAR rotation as foxglove.PointCloud decodes back to the same points, ring and stamp", () => {
    const points = new Float32Array([1.5, -2.25, 0.125, 37, 1e-3, 100.75, -3, 255, NaN, 0, 0, 0].slice(0, 8));
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
  });

  (exists(ARS548) ? it : it.skip)("an ARS548 datagram as NebulaPackets decodes exactly as the recording does on replay", async () => {
    const recorded = await readAllMessages(ARS548, "indexed");
    const replayDecoder = createDecoder({ vendor: VENDOR_DECODERS });
    const liveDecoder = createDecoder({ vendor: VENDOR_DECODERS, mapping: { "udp:ars548:42102": { sensorId: "ars548", role: "radar" } } });
    let lists = 0;
    for (const m of recorded) {
      const r = replayDecoder.decode(m);
      if (!("messages" in r)) throw new Error(JSON.stringify(r));
      for (const f of r.messages as RadarFrame[]) {
        // The recording holds one PDU per message: send it as one datagram would arrive.
        const packets = readPacketMessage(m.schemaName, m.schemaData, m.data, "test").packets;
        expect(packets.length).toBe(1);
        const live = liveDecoder.decode(packetMessage("udp:ars548:42102", packets[0]!.data, { frameId: f.frameId, stamp: f.receivedAt }));
        if (!("messages" in live)) throw new Error(JSON.stringify(live));
        const g = live.messages[0] as RadarFrame;
        expect(g.sensorId).toBe("ars548");
        expect(g.detections.length).toBe(f.detections.length);
        expect(g.objects.length).toBe(f.objects.length);
        expect(JSON.stringify(g.detections)).toBe(JSON.stringify(f.detections));
        expect(JSON.stringify(g.objects)).toBe(JSON.stringify(f.objects));
        lists++;
      }
    }
    expect(lists).toBe(2);
  });

  it("the heartbeat decodes to a radar frame of a sensor no plan has; a mounting decodes to a transform", () => {
    const [hb] = decodeOne(heartbeatMessage(7n, 0));
    expect(hb).toMatchObject({ kind: "radar", sensorId: HEARTBEAT_SENSOR_ID, receivedAt: 7n, detections: [] });
    const [tf] = decodeOne(
      transformsMessage(
        [
          {
            kind: "transform",
            topic: "/tf",
            stamp: 9n,
            parentFrameId: "base_link",
            childFrameId: "vlp",
            translation: { x: 1, y: 2, z: 3 },
            rotation: { x: 0, y: 0, z: 0, w: 1 },
          },
        ],
        { logTime: 9n },
      ),
    );
    expect(tf).toMatchObject({ kind: "transform", parentFrameId: "base_link", childFrameId: "vlp", translation: { x: 1, y: 2, z: 3 } });
  });

  it("plans from the warm-up: measured rates 2 % under, too few or implausible rates fall back to nominal", () => {
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
    const topics = new Map([
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
    ]);
    const inspection = inspectionFromTopics("ws://x", topics, {});
    const rate = new Map(inspection.topics.map((t) => [t.topic, t.rateHz]));
    expect(rate.get("/sensors/cam_front/image")).toBeCloseTo(0.98 * 15, 9);
    expect(rate.get("/sensors/lidar_top/points")).toBeNull(); // 4 messages
    expect(rate.get("/sensors/radar_front/scan")).toBeNull(); // 2.5 Hz for a radar: a stalled sender
    const plan = planPipeline(inspection);
    expect(plan.sensors.map((s) => `${s.sensorId}:${s.kind}`)).toEqual(["cam_front:camera", "lidar_top:lidar", "radar_front:radar"]);
    const cam = plan.sync.sensors.find((s) => s.id === "cam_front")!;
    // Half the period of 14.7 Hz: wider than half of 15 Hz, so a frame exactly half a 15 Hz period away is in.
    expect(cam.toleranceMs).toBeGreaterThan(1000 / 15 / 2);
  });

  it("--mount: SENSOR=X,Y,Z[,YAW_DEG]; anything else is one usage line", () => {
    expect(parseMount("velodyne_2368=1.2,0,1.9")).toEqual(["velodyne_2368", { x: 1.2, y: 0, z: 1.9, yawRad: 0 }]);
    expect(parseMount("ars548=3.7,-0.5,0.5,90")[1].yawRad).toBeCloseTo(Math.PI / 2, 12);
    for (const bad of ["x", "a=1,2", "a=1,2,3,4,5", "a=1,b,3", "=1,2,3"])
      expect(() => parseMount(bad)).toThrow(/^--mount .*: expected SENSOR=X,Y,Z\[,YAW_DEG\]/);
  });
});
