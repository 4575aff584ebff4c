import fs from "node:fs";
import path from "node:path";
import { main } from "../src/cli/main";
import { FileReadable } from "../src/sources/mcap/FileReadable";
import { inspectRecording } from "../src/sources/mcap/inspectRecording";
import { createDiagnostics, readMessageBatches } from "../src/sources/mcap/readRecording";
import type { SensorMessage } from "../src/types";

/** Real recordings (../shared/data/recordings-external): every MCAP opens, inspects and reads. */
const DATA = path.resolve(__dirname, "../../shared/data/recordings-external");
const present = fs.existsSync(DATA);
if (!present) console.warn(`mcapExternal: skipped, ${DATA} is absent`);
const maybe = present ? describe : describe.skip;

function mcapFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? mcapFiles(p) : e.name.endsWith(".mcap") ? [p] : [];
  });
}

/** Message counts from the recordings' README. */
const COUNTS: Record<string, number> = {
  "velodyne-vlp16.mcap": 4,
  "velodyne-vlp32c.mcap": 5,
  "velodyne-vls128.mcap": 4,
  "hesai-pandarqt64.mcap": 4,
  "hesai-pandarxt32.mcap": 4,
  "continental-ars548-radar.mcap": 2,
  "continental-srr520-radar.mcap": 4,
  "cdr_test_0.mcap": 7,
  "wrong_rmw_test_0.mcap": 7,
  "bag_with_topics_and_service_events.mcap": 10,
  "talker.mcap": 20,
  "multiple_files_0.mcap": 1324,
  "multiple_files_1.mcap": 1324,
  "multiple_files_2.mcap": 529,
};

async function readAll(file: string, access: "streamed" | "indexed"): Promise<SensorMessage[]> {
  const source = await FileReadable.open(file);
  const diagnostics = createDiagnostics();
  const out: SensorMessage[] = [];
  try {
    for await (const batch of readMessageBatches(source, { access, diagnostics })) out.push(...batch);
  } finally {
    await source.close();
  }
  expect(diagnostics.access).toBe(access);
  return out;
}

const key = (m: SensorMessage) => `${m.logTime}|${m.channelId}|${m.sequence}`;

maybe("external recordings", () => {
  const files = present ? mcapFiles(DATA) : [];

  test("all 14 recordings are found", () => {
    expect(files.map((f) => path.basename(f)).sort()).toEqual(Object.keys(COUNTS).sort());
  });

  test.each(files.map((f) => [path.relative(DATA, f), f]))("%s opens, inspects and reads", async (_name, file) => {
    const source = await FileReadable.open(file);
    const summary = await inspectRecording(source);
    const scanned = await inspectRecording(source, { scan: true });
    await source.close();
    const count = COUNTS[path.basename(file)];
    expect(summary.profile).toBe("ros2");
    expect(summary.countsFrom).toBe("summary");
    expect(summary.messageCount).toBe(count);
    expect(summary.indexed).toBe(true);
    // A full scan (every chunk decompressed and CRC-checked) agrees with the summary.
    expect(scanned.countsFrom).toBe("scan");
    expect(scanned.damage).toBeUndefined();
    expect(scanned.messageCount).toBe(count);
    expect(scanned.topics.map((t) => [t.topic, t.messageCount])).toEqual(summary.topics.map((t) => [t.topic, t.messageCount]));
    expect([scanned.startTime, scanned.endTime]).toEqual([summary.startTime, summary.endTime]);
    expect(scanned.metadataCount).toBe(summary.metadataCount);

    const indexed = await readAll(file, "indexed");
    const streamed = await readAll(file, "streamed");
    expect(indexed).toHaveLength(count);
    // Indexed is in log-time order; streamed in file order: same messages either way.
    for (let i = 1; i < indexed.length; i++) expect(indexed[i].logTime >= indexed[i - 1].logTime).toBe(true);
    expect(streamed.map(key).sort()).toEqual(indexed.map(key).sort());
    const byKey = new Map(streamed.map((m) => [key(m), m]));
    for (const m of indexed) expect(Buffer.from(byKey.get(key(m))!.data).equals(Buffer.from(m.data))).toBe(true);
    expect(indexed.every((m) => m.messageEncoding === "cdr" || m.messageEncoding === "wrong_format")).toBe(true);
    expect(indexed.every((m) => m.schemaEncoding === "ros2msg" && m.schemaData.length > 0)).toBe(true);
  });

  test("chunk compressions covered: zstd, lz4 and none", async () => {
    const seen = new Set<string>();
    for (const file of files) {
      const source = await FileReadable.open(file);
      (await inspectRecording(source)).compression.forEach((c) => seen.add(c || "none"));
      await source.close();
    }
    expect([...seen].sort()).toEqual(["lz4", "none", "zstd"]);
  });

  test("wrong_rmw_test: inspect --json reports an unsupported message encoding per channel", async () => {
    const file = path.join(DATA, "rosbag2-test-mcap/wrong_rmw_test/wrong_rmw_test_0.mcap");
    let out = "";
    const code = await main(["node", "avfusion", "inspect", "--json", file], { stdout: (s) => (out += s), stderr: () => {} });
    expect(code).toBe(0);
    const json = JSON.parse(out) as { topics: { topic: string; messageEncoding: string; supported: boolean; reason?: string }[] };
    expect(json.topics.map((t) => t.topic).sort()).toEqual(["/array_topic", "/test_topic"]);
    for (const t of json.topics) {
      expect(t.messageEncoding).toBe("wrong_format");
      expect(t.supported).toBe(false);
      expect(t.reason).toMatch(/^unsupported message encoding "wrong_format"/);
    }
  });

  test("inspect maps the nebula radar and LiDAR topics to their sensors", async () => {
    const roles: Record<string, string | null> = {};
    for (const file of files.filter((f) => f.includes("nebula-mcap"))) {
      const source = await FileReadable.open(file);
      const i = await inspectRecording(source);
      await source.close();
      roles[path.basename(file)] = i.topics[0].sensor;
    }
    expect(roles).toEqual({
      "continental-ars548-radar.mcap": "radar",
      "continental-srr520-radar.mcap": "radar",
      "hesai-pandarqt64.mcap": "lidar",
      "hesai-pandarxt32.mcap": "lidar",
      "velodyne-vlp16.mcap": "lidar",
      "velodyne-vlp32c.mcap": "lidar",
      "velodyne-vls128.mcap": "lidar",
    });
  });
});
