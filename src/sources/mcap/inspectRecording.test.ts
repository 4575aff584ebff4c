import { BufferReadable } from "./BufferReadable";
import { buildRecording } from "./buildRecording";
import { inspectRecording, inspectionToJson } from "./inspectRecording";

const schemas = {
  "/cam/image": { name: "foxglove.CompressedImage", encoding: "protobuf", messageEncoding: "protobuf" },
  "/lidar/points": { name: "sensor_msgs/msg/PointCloud2", encoding: "ros2msg", messageEncoding: "cdr" },
  "/odd": { name: "my.Thing", encoding: "protobuf", messageEncoding: "protobuf" },
};

async function sample(index: boolean): Promise<Uint8Array> {
  const msgs = [];
  // camera at 10 Hz for 1 s (11 messages), lidar at 5 Hz (6), one odd message.
  for (let i = 0; i <= 10; i++)
    msgs.push({ topic: "/cam/image", logTime: 2_000_000_000n + BigInt(i) * 100_000_000n, data: new Uint8Array(4) });
  for (let i = 0; i <= 5; i++)
    msgs.push({ topic: "/lidar/points", logTime: 2_000_000_000n + BigInt(i) * 200_000_000n, data: new Uint8Array(8) });
  msgs.push({ topic: "/odd", logTime: 2_500_000_000n, data: new Uint8Array(1) });
  msgs.sort((a, b) => (a.logTime < b.logTime ? -1 : 1));
  return buildRecording(msgs, { schemas, index, profile: "x", attachments: 2, metadata: 3, chunkSize: 100 });
}

describe("inspectRecording", () => {
  test.each([
    [true, "summary"],
    [false, "scan"],
  ] as const)("index=%s: counts from the %s", async (index, countsFrom) => {
    const i = await inspectRecording(new BufferReadable(await sample(index), "s.mcap"));
    expect(i.countsFrom).toBe(countsFrom);
    expect(i.indexed).toBe(index);
    expect(i.profile).toBe("x");
    expect(i.library).toBe("avfusion buildRecording");
    expect(i.messageCount).toBe(18);
    expect([i.startTime, i.endTime]).toEqual([2_000_000_000n, 3_000_000_000n]);
    expect(i.durationSec).toBe(1);
    expect([i.attachmentCount, i.metadataCount]).toEqual([2, 3]);
    expect(i.compression).toEqual([""]);
    expect(i.topics.map((t) => [t.topic, t.messageCount, t.sensor, t.supported])).toEqual([
      ["/cam/image", 11, "camera", true],
      ["/lidar/points", 6, "lidar", true],
      ["/odd", 1, null, false],
    ]);
    expect(i.topics[2].reason).toBe("unsupported schema my.Thing");
    // Per-channel spans after a scan; the recording's span from a summary.
    expect(i.topics[0].rateHz).toBeCloseTo(10, 9);
    expect(i.topics[1].rateHz).toBeCloseTo(5, 9);
    expect(i.topics[2].rateHz).toBeNull();
  });

  test("JSON form: ns as strings, documented keys first", async () => {
    const json = inspectionToJson(await inspectRecording(new BufferReadable(await sample(true), "s.mcap")));
    expect(Object.keys(json).slice(0, 6)).toEqual(["file", "profile", "library", "messageCount", "startTime", "endTime"]);
    expect(json.startTime).toBe("2000000000");
    expect(json.endTime).toBe("3000000000");
    expect(JSON.parse(JSON.stringify(json)).topics[0]).toEqual({
      channelId: json.topics[0].channelId,
      topic: "/cam/image",
      schemaName: "foxglove.CompressedImage",
      schemaEncoding: "protobuf",
      messageEncoding: "protobuf",
      messageCount: 11,
      rateHz: json.topics[0].rateHz,
      sensor: "camera",
      sensorId: "cam",
      supported: true,
    });
  });

  test("scan: true counts by reading even with a summary", async () => {
    const i = await inspectRecording(new BufferReadable(await sample(true)), { scan: true });
    expect(i.countsFrom).toBe("scan");
    expect(i.messageCount).toBe(18);
    expect(i.chunkCount).toBeGreaterThan(1);
  });
});
