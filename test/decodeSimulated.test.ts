import { McapStreamReader, type TypedMcapRecords } from "@mcap/core";
import { createDecoder } from "../src/decode/createDecoder";
import { decompressHandlers } from "../src/sources/mcap/decompress";
import type { DecodedMessage, SensorMessage } from "../src/types";
import { scenario, simulateBytes } from "./simHelpers";

/**
 * Cross-stage: what the simulator records (protobuf, schemas from our registry) decodes with the
 * decode stage, using the recording's own descriptors, without errors or skipped topics.
 */
describe("simulated recording → createDecoder", () => {
  it("every message of a 0.5 s scenario decodes into frames", async () => {
    const { bytes } = await simulateBytes(
      scenario({
        durationS: 0.5,
        ego: { speedMps: 10 },
        clutter: { poleSpacingM: 0, guardRails: false, parkedCars: 0 },
        actors: [{ class: "car", motion: { type: "static", x: 25, y: 0, yawDeg: 0 } }],
      }),
    );
    const reader = new McapStreamReader({ decompressHandlers: await decompressHandlers() });
    reader.append(bytes);
    const schemas = new Map<number, TypedMcapRecords["Schema"]>();
    const channels = new Map<number, TypedMcapRecords["Channel"]>();
    const d = createDecoder();
    const out: DecodedMessage[] = [];
    const errors: string[] = [];
    for (let rec; (rec = reader.nextRecord());) {
      if (rec.type === "Schema") schemas.set(rec.id, rec);
      else if (rec.type === "Channel") channels.set(rec.id, rec);
      else if (rec.type === "Message") {
        const ch = channels.get(rec.channelId)!;
        const schema = schemas.get(ch.schemaId)!;
        const msg: SensorMessage = {
          topic: ch.topic,
          schemaName: schema.name,
          schemaEncoding: schema.encoding,
          messageEncoding: ch.messageEncoding,
          schemaData: schema.data,
          channelId: ch.id,
          logTime: rec.logTime,
          publishTime: rec.publishTime,
          sequence: rec.sequence,
          data: rec.data,
        };
        const r = d.decode(msg);
        if ("messages" in r) out.push(...r.messages);
        else if ("error" in r) errors.push(r.error);
      }
    }
    expect(errors.slice(0, 3)).toEqual([]);
    const skipped = [...d.stats.byTopic.values()].filter((t) => t.skipped > 0).map((t) => `${t.topic}: ${t.lastReason}`);
    expect(skipped).toEqual([]);
    const kinds = new Set(out.map((m) => m.kind));
    expect([...kinds].sort()).toEqual(["audio", "camera", "cameraCalibration", "groundTruth", "lidar", "radar", "transform"]);
    const sensors = new Set(out.flatMap((m) => ("sensorId" in m ? [`${m.kind}:${m.sensorId}`] : [])));
    expect([...sensors].sort()).toEqual(["audio:mic_array", "camera:cam_front", "lidar:lidar_top", "radar:radar_front"]);
    for (const m of out) {
      if ("receivedAt" in m) expect(m.receivedAt >= m.stamp).toBe(true);
      if (m.kind === "lidar") expect(m.count).toBeGreaterThan(100);
    }
  });
});
