import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { lastValueFrom, toArray } from "rxjs";
import { main } from "../src/cli/main";
import { decodeProto } from "../src/schemas/protoRegistry";
import { FileReadable } from "../src/sources/mcap/FileReadable";
import { inspectRecording } from "../src/sources/mcap/inspectRecording";
import { readRecording } from "../src/sources/mcap/readRecording";

const DEFAULT = resolve(__dirname, "../recordings/default.mcap");
const dir = mkdtempSync(join(tmpdir(), "avfusion-replay-"));

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["node", "avfusion", ...args], { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

describe("avfusion replay", () => {
  it("writes one scene state per line with the documented keys, and a summary", async () => {
    const r = await cli("replay", DEFAULT, "--max", "--jsonl", "-", "--no-progress");
    expect(r.code).toBe(0);
    const lines = r.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(50);
    for (const l of lines) {
      expect(typeof l.stamp).toBe("string");
      expect(Array.isArray(l.objects)).toBe(true);
      expect(Array.isArray(l.hazards)).toBe(true);
      expect(typeof l.latencyMs.fusion).toBe("number");
      expect(l.health.sensors.map((s: { sensorId: string }) => s.sensorId).sort()).toEqual([
        "cam_front",
        "lidar_top",
        "mic_array",
        "radar_front",
      ]);
    }
    for (let i = 1; i < lines.length; i++) expect(BigInt(lines[i].stamp) > BigInt(lines[i - 1].stamp)).toBe(true);
    // The default drive has cars ahead seen by LiDAR and radar, and an emergency vehicle's siren.
    const withObjects = lines.filter((l) => l.objects.length > 0).length;
    expect(withObjects).toBeGreaterThan(lines.length / 2);
    const o = lines[30].objects[0];
    for (const key of ["id", "class", "existence", "position", "velocity", "size", "yaw", "sensors"]) expect(o).toHaveProperty(key);
    expect(lines.some((l) => l.hazards.some((h: { kind: string }) => h.kind === "siren"))).toBe(true);
    expect(r.err).toMatch(/ticks: \d+ over [\d.]+ s of recording/);
    expect(r.err).toMatch(/health over time:/);
  });

  it("gives identical scene output on two lossless replays", async () => {
    const strip = (out: string) =>
      out
        .trim()
        .split("\n")
        .map((l) => {
          const j = JSON.parse(l);
          delete j.latencyMs;
          return j;
        });
    const a = await cli("replay", DEFAULT, "--max", "--jsonl", "-", "--no-progress");
    const b = await cli("replay", DEFAULT, "--max", "--jsonl", "-", "--no-progress");
    expect(strip(a.out)).toEqual(strip(b.out));
  });

  it("writes the scene states and foxglove.SceneUpdate boxes to an MCAP file", async () => {
    const out = join(dir, "scene.mcap");
    const r = await cli("replay", DEFAULT, "--max", "--out", out, "--no-progress");
    expect(r.code).toBe(0);
    const source = await FileReadable.open(out);
    try {
      const inspection = await inspectRecording(source);
      const topics = Object.fromEntries(inspection.topics.map((t) => [t.topic, t]));
      expect(topics["/avfusion/scene"].schemaName).toBe("avfusion.SceneState");
      expect(topics["/avfusion/scene_boxes"].schemaName).toBe("foxglove.SceneUpdate");
      expect(topics["/avfusion/scene"].messageCount).toBe(topics["/avfusion/scene_boxes"].messageCount);
      const msgs = await lastValueFrom(readRecording(source, { topics: ["/avfusion/scene"] }).pipe(toArray()));
      const scene = decodeProto<{ objects: unknown[]; health: { sensors: unknown[] } }>("avfusion.SceneState", msgs[30].data);
      expect(scene.health.sensors).toHaveLength(4);
    } finally {
      await source.close();
    }
  });

  it("applies a config file's topic mapping", async () => {
    const cfg = join(dir, "map.yaml");
    writeFileSync(cfg, "topics:\n  /sensors/cam_front/image: { sensorId: front_camera }\n  /sensors/mic_array/audio: ignore\n");
    const r = await cli("replay", DEFAULT, "--max", "--config", cfg, "--no-progress");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ {2}front_camera \(camera\)/m);
    expect(r.out).not.toMatch(/^ {2}mic_array/m);
    expect(r.out).toMatch(/unused topic \/sensors\/mic_array\/audio: ignored by the topic mapping/);
  });

  it("rejects bad usage and bad config with one line and exit 2", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "pipeline: { tickHz: 0.5 }\n");
    for (const args of [
      ["replay", DEFAULT, "--max", "--rate", "2"],
      ["replay", DEFAULT, "--rate", "-1"],
      ["replay", DEFAULT, "--config", bad],
      ["replay", join(dir, "missing.mcap")],
    ]) {
      const r = await cli(...args, "--no-progress");
      expect(r.code).toBe(2);
      const errLines = r.err
        .trim()
        .split("\n")
        .filter((l) => l.startsWith("avfusion:"));
      expect(errLines).toHaveLength(1);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });
});
