import * as fs from "fs";
import * as path from "path";
import { createDecoder } from "../src/decode/createDecoder";
import { createRawPacketDecoder, RAW_PACKET_SCHEMAS } from "../src/decode/vendor/rawPacketDecoders";
import { readAllMessages as readAll } from "./readAllMessages";

/** The vendor packet decoders (src/decode/vendor) plugged into createDecoder, on the real nebula recordings. */
const DATA = path.resolve(__dirname, "../../shared/data/recordings-external/nebula-mcap");
const describeData = fs.existsSync(DATA) ? describe : describe.skip;
if (!fs.existsSync(DATA)) console.warn(`decodeVendorHook: ${DATA} not found; skipping`);

describeData("createDecoder with the vendor packet decoders", () => {
  it("velodyne-vlp16.mcap gives point clouds through the decode stage", async () => {
    const d = createDecoder({ vendor: { schemas: RAW_PACKET_SCHEMAS, create: createRawPacketDecoder } });
    const frames = (await readAll(path.join(DATA, "velodyne-vlp16.mcap"))).flatMap((m) => {
      const r = d.decode(m);
      return "messages" in r ? r.messages : [];
    });
    expect(d.stats.skipped).toBe(0);
    const clouds = frames.filter((f) => f.kind === "lidar");
    expect(clouds.length).toBeGreaterThan(0);
    for (const c of clouds) {
      expect(c.sensorId).toBe("velodyne_packets");
      expect(c.count).toBeGreaterThan(10_000);
    }
  });

  it("continental-ars548-radar.mcap gives radar frames", async () => {
    const d = createDecoder({ vendor: { schemas: RAW_PACKET_SCHEMAS, create: createRawPacketDecoder } });
    const frames = (await readAll(path.join(DATA, "continental-ars548-radar.mcap"))).flatMap((m) => {
      const r = d.decode(m);
      return "messages" in r ? r.messages : [];
    });
    const radar = frames.filter((f) => f.kind === "radar");
    expect(radar.length).toBeGreaterThan(0);
    expect(radar.every((f) => f.sensorId === "radar_front_center")).toBe(true);
    // nebula's decoded output of the same packets: 308 detections and 50 objects (data README)
    expect(radar.map((f) => (f.kind === "radar" ? [f.detections.length, f.objects.length] : [])).sort()).toEqual([
      [0, 50],
      [308, 0],
    ]);
  });
});
