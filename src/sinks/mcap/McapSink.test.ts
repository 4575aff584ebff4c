import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { McapIndexedReader } from "@mcap/core";
import { BufferReadable } from "../../sources/mcap/BufferReadable";
import { decompressHandlers } from "../../sources/mcap/decompress";
import { MemoryWritable } from "../../sources/mcap/MemoryWritable";
import { decodeProto, encodeProto } from "../../schemas/protoRegistry";
import { FileWritable } from "./FileWritable";
import { McapSink } from "./McapSink";

const gt = (seconds: number): Uint8Array =>
  encodeProto("avfusion.GroundTruth", { timestamp: { seconds, nanos: 0 }, frame_id: "base_link", ego_speed_mps: seconds });

describe("McapSink", () => {
  it("writes an indexed zstd MCAP: one schema per type, one channel per topic, sequences per channel", async () => {
    const out = new MemoryWritable();
    const sink = await McapSink.open(out, { chunkSize: 200 });
    for (let i = 0; i < 5; i++) {
      await sink.write("/a", "avfusion.GroundTruth", BigInt(i) * 10n, BigInt(i) * 10n + 1n, gt(i));
      await sink.write("/b", "avfusion.GroundTruth", BigInt(i) * 10n + 5n, BigInt(i) * 10n + 5n, gt(100 + i));
    }
    await sink.writeMetadata("scenario", { name: "x" });
    await sink.close();
    expect(sink.count).toBe(10);
    const reader = await McapIndexedReader.Initialize({
      readable: new BufferReadable(out.bytes()),
      decompressHandlers: await decompressHandlers(),
    });
    expect(reader.header.library).toBe("avfusion");
    expect(reader.schemasById.size).toBe(1);
    expect([...reader.schemasById.values()][0]!.encoding).toBe("protobuf");
    expect([...reader.channelsById.values()].map((c) => c.topic)).toEqual(["/a", "/b"]);
    expect(reader.chunkIndexes.length).toBeGreaterThan(1);
    expect(new Set(reader.chunkIndexes.map((c) => c.compression))).toEqual(new Set(["zstd"]));
    const got: Array<[string, number, bigint, bigint, number]> = [];
    for await (const m of reader.readMessages()) {
      const topic = reader.channelsById.get(m.channelId)!.topic;
      got.push([
        topic,
        m.sequence,
        m.logTime,
        m.publishTime,
        decodeProto<{ ego_speed_mps: number }>("avfusion.GroundTruth", m.data).ego_speed_mps,
      ]);
    }
    expect(got.slice(0, 4)).toEqual([
      ["/a", 1, 0n, 1n, 0],
      ["/b", 1, 5n, 5n, 100],
      ["/a", 2, 10n, 11n, 1],
      ["/b", 2, 15n, 15n, 101],
    ]);
    expect(got).toHaveLength(10);
  });

  it("refuses a second message type on a topic", async () => {
    const sink = await McapSink.open(new MemoryWritable());
    await sink.write("/a", "avfusion.GroundTruth", 0n, 0n, gt(0));
    await expect(sink.write("/a", "avfusion.RadarScan", 1n, 1n, new Uint8Array())).rejects.toThrow(
      "McapSink: topic /a was registered with avfusion.GroundTruth, got a avfusion.RadarScan message",
    );
  });
});

describe("FileWritable", () => {
  it("writes to FILE.<random>.partial and renames on close; abort leaves nothing", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "avfusion-sink-"));
    const file = path.join(dir, "out.bin");
    const w = await FileWritable.create(file, 4);
    await w.write(new Uint8Array([1, 2, 3]));
    await w.write(new Uint8Array([4, 5]));
    expect(w.position()).toBe(5n);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.readdirSync(dir)).toEqual([expect.stringMatching(/^out\.bin\.[0-9a-f]{8}\.partial$/)]);
    await w.close();
    expect([...fs.readFileSync(file)]).toEqual([1, 2, 3, 4, 5]);
    const w2 = await FileWritable.create(path.join(dir, "b.bin"));
    await w2.write(new Uint8Array([9]));
    await w2.abort();
    expect(fs.readdirSync(dir)).toEqual(["out.bin"]);
    await expect(FileWritable.create(path.join(dir, "missing", "x.bin"))).rejects.toThrow(
      /x\.bin: no such directory .*missing, expected a path in an existing directory/,
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
