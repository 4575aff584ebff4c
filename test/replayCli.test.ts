import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { main } from "../src/cli/main";

const DEFAULT = resolve(__dirname, "../recordings/default.mcap");
const dir = mkdtempSync(join(tmpdir(), "avfusion-replay-"));

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["node", "avfusion", ...args], { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

describe("avfusion replay", () => {
  it("summarises every sensor's part in each tick and writes one JSON line per tick", async () => {
    const r = await cli("replay", DEFAULT, "--max", "--jsonl", "-", "--no-progress");
    expect(r.code).toBe(0);
    const lines = r.out.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(20);
    expect(typeof lines[0].stamp).toBe("string");
    expect(lines[0].sensors.map((s: { sensorId: string }) => s.sensorId)).toEqual(["cam_front", "lidar_top", "mic_array", "radar_front"]);
    expect(r.err).toMatch(/cam_front\s+camera\s+1\s+\d+/);
  });

  it("applies a config file's topic mapping", async () => {
    const cfg = join(dir, "map.yaml");
    writeFileSync(cfg, "topics:\n  /sensors/cam_front/image: { sensorId: front_camera }\n  /sensors/mic_array/audio: ignore\n");
    const r = await cli("replay", DEFAULT, "--max", "--config", cfg, "--no-progress");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^front_camera\s+camera/m);
    expect(r.out).not.toMatch(/^mic_array/m);
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
      const errLines = r.err.trim().split("\n").filter((l) => l.startsWith("avfusion:"));
      expect(errLines).toHaveLength(1);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });
});
