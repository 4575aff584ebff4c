/**
 * Radar as a point cloud end to end: recordings/default.mcap with its radar scans rewritten as
 * `foxglove.PointCloud` in the nuScenes layout (x, y, z, rcs, vx, vy, … on a topic that does not
 * say radar) — what nuScenes-to-MCAP converters write. `inspect` and the replay plan call the topic
 * radar from its fields, the decode stage reads it as radar detections, and the fused scene keeps
 * objects the radar confirms.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDecoder } from "../src/decode/createDecoder";
import { encodeProto } from "../src/schemas/protoRegistry";
import { FileWritable } from "../src/sinks/mcap/FileWritable";
import { McapSink } from "../src/sinks/mcap/McapSink";
import type { RadarFrame } from "../src/types";
import { DEFAULT_RECORDING, exists } from "./bridgeHelpers";
import { readAllMessages } from "./readAllMessages";
import { cli } from "./runCli";

const withRecording = exists(DEFAULT_RECORDING) ? it : it.skip;
if (!exists(DEFAULT_RECORDING)) console.warn(`skipping radar clouds end to end: ${DEFAULT_RECORDING} is absent`);

const FIELDS: [string, number][] = [
  ["x", 0],
  ["y", 4],
  ["z", 8],
  ["rcs", 12],
  ["vx", 16],
  ["vy", 20],
  ["vx_comp", 24],
  ["vy_comp", 28],
];
const STRIDE = 32;

/** A radar frame's detections as a nuScenes-layout cloud: positions from range/azimuth/elevation, (vx, vy) along the line of sight. */
function asCloud(f: RadarFrame): object {
  const data = new Uint8Array(f.detections.length * STRIDE);
  const v = new DataView(data.buffer);
  f.detections.forEach((d, i) => {
    const [ca, sa, ce] = [Math.cos(d.azimuthRad), Math.sin(d.azimuthRad), Math.cos(d.elevationRad)];
    const vals = [
      d.rangeM * ca * ce,
      d.rangeM * sa * ce,
      d.rangeM * Math.sin(d.elevationRad),
      d.rcsDbsm,
      d.rangeRateMps * ca,
      d.rangeRateMps * sa,
      0,
      0,
    ];
    vals.forEach((x, k) => v.setFloat32(i * STRIDE + k * 4, x, true));
  });
  const sec = f.stamp / 1_000_000_000n;
  return {
    timestamp: { seconds: Number(sec), nanos: Number(f.stamp - sec * 1_000_000_000n) },
    frame_id: f.frameId,
    pose: { position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
    point_stride: STRIDE,
    fields: FIELDS.map(([name, offset]) => ({ name, offset, type: 7 })),
    data,
  };
}

describe("radar as foxglove.PointCloud, end to end", () => {
  withRecording("inspect and the plan call it radar from its fields; replay decodes it as radar and fuses it", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "avfusion-radarcloud-"));
    const file = path.join(dir, "radar-cloud.mcap");
    const decoder = createDecoder();
    const writable = await FileWritable.create(file);
    const sink = await McapSink.open(writable);
    let clouds = 0;
    for (const m of await readAllMessages(DEFAULT_RECORDING)) {
      if (m.schemaName === "avfusion.RadarScan") {
        const r = decoder.decode(m);
        if (!("messages" in r)) continue;
        for (const f of r.messages as RadarFrame[]) {
          await sink.write("/RADAR_FRONT", "foxglove.PointCloud", m.logTime, m.publishTime, encodeProto("foxglove.PointCloud", asCloud(f)));
          clouds++;
        }
        continue;
      }
      await sink.write(m.topic, m.schemaName, m.logTime, m.publishTime, m.data);
    }
    await sink.close();
    await writable.close();
    expect(clouds).toBeGreaterThan(50);

    const inspect = await cli("inspect", file, "--json");
    expect(inspect.code).toBe(0);
    const topic = (JSON.parse(inspect.out) as { topics: { topic: string; sensor: string }[] }).topics.find(
      (t) => t.topic === "/RADAR_FRONT",
    )!;
    expect(topic.sensor).toBe("radar");
    const replay = await cli("replay", file, "--max", "--no-progress", "--json");
    expect(replay.code).toBe(0);
    expect(replay.err).toMatch(/plan .*RADAR_FRONT \(radar: \/RADAR_FRONT\)/);
    const summary = JSON.parse(replay.out) as {
      decode: { errors: number };
      health: { sensorId: string; kind: string; ticksByStatus: Record<string, number> }[];
      objects: { meanPerTick: number };
    };
    expect(summary.decode.errors).toBe(0);
    const radar = summary.health.find((h) => h.kind === "radar")!;
    expect(radar.ticksByStatus.OK ?? 0).toBeGreaterThan(40);
    expect(summary.objects.meanPerTick).toBeGreaterThan(1);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
