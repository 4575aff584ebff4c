import * as fs from "fs";
import * as path from "path";
import { createDecoder } from "../src/decode/createDecoder";
import { createRos2Reader } from "../src/decode/ros2";
import { classifyTopic } from "../src/config/topicMapping";
import { readAllMessages as readAll } from "./readAllMessages";

/**
 * Real recordings from ../shared/data/recordings-external (see its README): rosbag2-written MCAP
 * and real LiDAR/radar packets from tier4/nebula. Read with @mcap/core directly so this test does
 * not depend on our own reader.
 */
const DATA = path.resolve(__dirname, "../../shared/data/recordings-external");
const haveData = fs.existsSync(DATA);
if (!haveData) console.warn(`decodeRealData: ${DATA} not found; skipping the real-data decode tests`);
const describeData = haveData ? describe : describe.skip;

function findMcap(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? findMcap(path.join(dir, e.name)) : e.name.endsWith(".mcap") ? [path.join(dir, e.name)] : []))
    .sort();
}

const rosbag2Files = findMcap(path.join(DATA, "rosbag2-test-mcap"));
const nebulaFiles = findMcap(path.join(DATA, "nebula-mcap"));
const cdrFiles = [...rosbag2Files.filter((f) => !f.includes("wrong_rmw")), ...nebulaFiles];

describeData("real recordings: ROS 2 generic decode path", () => {
  it("finds the files the data README lists", () => {
    expect(rosbag2Files.map((f) => path.basename(f))).toEqual([
      "bag_with_topics_and_service_events.mcap",
      "cdr_test_0.mcap",
      "multiple_files_0.mcap",
      "multiple_files_1.mcap",
      "multiple_files_2.mcap",
      "talker.mcap",
      "wrong_rmw_test_0.mcap",
    ]);
    expect(nebulaFiles).toHaveLength(7);
  });

  it.each(cdrFiles.map((f) => [path.relative(DATA, f), f]))("every message of %s decodes", async (_name, file) => {
    const msgs = await readAll(file);
    expect(msgs.length).toBeGreaterThan(0);
    const readers = new Map<number, ReturnType<typeof createRos2Reader>>();
    for (const m of msgs) {
      expect(m.messageEncoding).toBe("cdr");
      expect(m.schemaEncoding).toBe("ros2msg");
      let r = readers.get(m.channelId);
      if (!r) {
        r = createRos2Reader(m.schemaName, new TextDecoder().decode(m.schemaData));
        readers.set(m.channelId, r);
      }
      const obj = r.read(m.data);
      expect(typeof obj).toBe("object");
    }
  });

  it("decodes known values: talker /topic strings and cdr_test BasicTypes", async () => {
    const talker = await readAll(rosbag2Files.find((f) => f.endsWith("talker.mcap"))!);
    const topic = talker.filter((m) => m.topic === "/topic");
    expect(topic).toHaveLength(10);
    const r = createRos2Reader(topic[0].schemaName, new TextDecoder().decode(topic[0].schemaData));
    expect(r.read(topic[0].data)).toEqual({ data: expect.stringMatching(/^Hello, world! \d+$/) });

    const cdr = await readAll(rosbag2Files.find((f) => f.endsWith("cdr_test_0.mcap"))!);
    expect(cdr.filter((m) => m.topic === "/test_topic")).toHaveLength(3);
    expect(cdr.filter((m) => m.topic === "/array_topic")).toHaveLength(4);
    const basic = cdr.find((m) => m.topic === "/test_topic")!;
    const fields = createRos2Reader(basic.schemaName, new TextDecoder().decode(basic.schemaData)).read(basic.data);
    expect(Object.keys(fields)).toEqual(expect.arrayContaining(["bool_value", "float64_value", "int64_value", "uint8_value"]));
  });

  it("service event topics: the event message is rebuilt from the .srv schema rosbag2 stores", async () => {
    const msgs = (await readAll(rosbag2Files.find((f) => f.includes("service_events"))!)).filter(
      (m) => m.topic === "/test_service1/_service_event",
    );
    expect(msgs).toHaveLength(4);
    const r = createRos2Reader(msgs[0].schemaName, new TextDecoder().decode(msgs[0].schemaData));
    type Ev = { info: { event_type: number; stamp: { sec: number }; sequence_number: bigint }; request: object[]; response: object[] };
    const evs = msgs.map((m) => r.read(m.data) as Ev);
    // request sent (0) then response received (3), for sequence numbers 1 and 2
    expect(evs.map((e) => [e.info.event_type, Number(e.info.sequence_number), e.request.length, e.response.length])).toEqual([
      [0, 1, 1, 0],
      [3, 1, 0, 1],
      [0, 2, 1, 0],
      [3, 2, 0, 1],
    ]);
    expect(evs[0].info.stamp.sec).toBe(1699345836);
    expect(evs[0].request[0]).toMatchObject({ bool_value: false, string_value: "" });
  });

  it("vendor packets decode generically (VelodyneScan: 1206-byte packets)", async () => {
    const msgs = await readAll(nebulaFiles.find((f) => f.endsWith("velodyne-vlp16.mcap"))!);
    expect(msgs).toHaveLength(4);
    const r = createRos2Reader(msgs[0].schemaName, new TextDecoder().decode(msgs[0].schemaData));
    const scan = r.read(msgs[0].data) as { header: { frame_id: string }; packets: { data: Uint8Array }[] };
    expect(scan.header.frame_id).toBe("velodyne");
    expect(scan.packets.length).toBeGreaterThanOrEqual(150);
    expect(scan.packets.length).toBeLessThanOrEqual(151);
    expect(scan.packets.every((p) => p.data.length === 1206)).toBe(true);
  });
});

describeData("real recordings: createDecoder", () => {
  it("wrong_rmw_test: every channel gives a clear unsupported message encoding", async () => {
    const msgs = await readAll(rosbag2Files.find((f) => f.includes("wrong_rmw_test"))!);
    expect(msgs.length).toBe(7);
    const d = createDecoder();
    for (const m of msgs) {
      expect(m.messageEncoding).toBe("wrong_format");
      expect(d.decode(m)).toEqual({ skipped: `unsupported message encoding "wrong_format" for schema ${m.schemaName} (expected cdr)` });
    }
    expect([...d.stats.byTopic.keys()].sort()).toEqual(["/array_topic", "/test_topic"]);
    expect(d.stats).toMatchObject({ decoded: 0, errors: 0, skipped: 7 });
  });

  it.each(nebulaFiles.map((f) => [path.basename(f), f]))("%s: vendor topic classified, skipped without error", async (_name, file) => {
    const msgs = await readAll(file);
    const d = createDecoder();
    for (const m of msgs) {
      const cls = classifyTopic(m);
      expect(cls.role).toBe(/radar/.test(file) ? "radar" : "lidar");
      expect(d.decode(m)).toEqual({ skipped: "raw vendor packets: decoder not available" });
    }
    expect(d.stats.errors).toBe(0);
  });

  it("rosbag2 test topics (test_msgs, std_msgs, rcl_interfaces) are skipped as unsupported schemas, not errors", async () => {
    const d = createDecoder();
    for (const file of cdrFiles.filter((f) => f.includes("rosbag2-test-mcap"))) {
      for (const m of await readAll(file)) {
        const r = d.decode(m);
        expect(r).toEqual({ skipped: `unsupported schema ${m.schemaName}` });
      }
    }
    expect(d.stats.errors).toBe(0);
    expect(d.stats.skipped).toBeGreaterThan(3000);
  });
});
