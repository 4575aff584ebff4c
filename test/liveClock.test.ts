/**
 * A foxglove_bridge-like server on loopback publishing a ROS 2 rig (test/ros2Rig.ts: CompressedImage,
 * PointCloud2, radar_msgs RadarTracks and RadarScan, audio_common_msgs, CameraInfo, TFMessage) the
 * way a bridge without sim time plays an old bag: header stamps a year old, the server's timestamp
 * (the receive time) now. `live --connect` must find the offset per sensor, say so once, fuse and
 * report it in health; `--clock stamp` keeps the stamps, warns, and reads every sensor MISSING.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { main } from "../src/cli/main";
import { selectBackend } from "../src/runtime/selectBackend";
import type { SceneJson } from "../src/sinks/sceneJson";
import { FoxgloveWsServer } from "../src/sinks/foxglove/FoxgloveWsServer";
import { wallClockNs } from "../src/sources/bridge/clock";
import type { SensorMessage } from "../src/types";
import { DEFAULT_RECORDING, delay, exists, waitUntil } from "./bridgeHelpers";
import { RIG_TOPICS, ros2RigMessages } from "./ros2Rig";

const withRecording = exists(DEFAULT_RECORDING) ? it : it.skip;
if (!exists(DEFAULT_RECORDING)) console.warn(`skipping the live clock tests: ${DEFAULT_RECORDING} is absent`);

const YEAR_NS = 365n * 86_400n * 1_000_000_000n;
const YEAR_MS = Number(YEAR_NS / 1_000_000n);

beforeAll(async () => {
  await selectBackend({ backend: "wasm", log: () => undefined });
});

/** The rig with its stamps a year behind the wall clock; the nuScenes-style cloud left out (replay tests it) to spare the 2 cores. */
async function yearOldRig(): Promise<SensorMessage[]> {
  const rig = await ros2RigMessages((first) => wallClockNs() - YEAR_NS - first);
  return rig.filter((m) => m.topic !== RIG_TOPICS.cloud);
}

/** Serves the rig in real time, each message stamped by the server with the wall clock at sending (a bridge's receive time). */
async function serve(server: FoxgloveWsServer, rig: readonly SensorMessage[]): Promise<void> {
  const t0 = rig[0]!.logTime;
  const start = performance.now();
  for (const m of rig) {
    const wait = Number(m.logTime - t0) / 1e6 - (performance.now() - start);
    if (wait > 0) await delay(wait);
    server.publish({ ...m, logTime: wallClockNs() });
  }
}

async function liveAgainstRig(...flags: string[]) {
  const rig = await yearOldRig();
  const server = await FoxgloveWsServer.listen({});
  const seen = new Set<string>();
  for (const m of rig) if (!seen.has(m.topic) && seen.add(m.topic)) server.advertise(m);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "avfusion-clock-"));
  const out = path.join(dir, "live.jsonl");
  const err: string[] = [];
  const io = { stdout: () => undefined, stderr: (t: string) => void err.push(t) };
  const args = ["node", "avfusion", "live", "--connect", server.url, "--jsonl", out, "--duration", "9", "--fusion-head", "none", ...flags];
  const live = main(args, io);
  expect(await waitUntil(() => server.stats.clients > 0, 3000)).toBe(true);
  await delay(300);
  await serve(server, rig);
  const code = await live;
  await server.close();
  const scenes = fs
    .readFileSync(out, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SceneJson);
  return { code, stderr: err.join(""), scenes };
}

const SENSORS = ["cam_front", "lidar_top", "mic_array", "radar_front", "radar_front_returns"];

describe("live on a bridge whose stamps are a year old", () => {
  withRecording(
    "--clock auto (default): one clock line per sensor, offsets of −1 year in health, every sensor fused, objects out",
    async () => {
      const { code, stderr, scenes } = await liveAgainstRig();
      expect(code).toBe(0);
      expect(stderr).toMatch(/live: plan .*radar_front \(radar [\d.]+ Hz: \/sensors\/radar_front\/tracks\)/);
      for (const id of SENSORS)
        expect(stderr).toMatch(
          new RegExp(
            `live: clock: ${id}: stamps are 365\\.0 d behind receive time \\(beyond its \\d+ ms window\\): clock offset -31536\\d{3}\\.\\d{3} s applied`,
          ),
        );
      expect(stderr.match(/live: clock: /g)).toHaveLength(SENSORS.length);
      const withData = scenes.filter((s) => s.health.sensors.some((h) => h.included));
      expect(withData.length).toBeGreaterThan(10);
      for (const s of withData)
        for (const h of s.health.sensors) {
          expect(h.clockOffsetMs).toBeGreaterThan(-YEAR_MS - 60_000);
          expect(h.clockOffsetMs).toBeLessThan(-YEAR_MS + 60_000);
        }
      // Each sensor delivers on most ticks while the rig plays; objects are fused from them.
      for (const id of SENSORS)
        expect(withData.filter((s) => s.health.sensors.find((h) => h.sensorId === id)!.included).length).toBeGreaterThan(
          withData.length / 2,
        );
      expect(scenes.filter((s) => s.objects.length > 0).length).toBeGreaterThan(5);
      expect(scenes.some((s) => s.objects.some((o) => o.sensors.includes("radar") && o.sensors.includes("lidar")))).toBe(true);
    },
  );

  withRecording(
    "--clock stamp: the stamps are kept, one warning per sensor, and every sensor reads MISSING (the old behaviour)",
    async () => {
      const { code, stderr, scenes } = await liveAgainstRig("--clock", "stamp");
      expect(code).toBe(0);
      for (const id of SENSORS)
        expect(stderr).toContain(`live: warning: clock: ${id}: stamps are 365.0 d behind receive time, beyond its `);
      expect(stderr).toContain("--clock stamp keeps them: the sensor will read MISSING (--clock auto aligns it on receive time)");
      expect(scenes.length).toBeGreaterThan(10);
      // The aligner's first tick is placed on the first frame's stamp (a year ago), so a sensor whose
      // frame came first may be in it; from the second tick on the clock beats are on receive time.
      for (const s of scenes.slice(1)) {
        expect(s.objects).toEqual([]);
        for (const h of s.health.sensors) {
          expect({ id: h.sensorId, included: h.included }).toEqual({ id: h.sensorId, included: false });
          expect(h.clockOffsetMs).toBe(0);
        }
      }
      expect(scenes[scenes.length - 1]!.health.sensors.every((h) => h.status === "MISSING")).toBe(true);
    },
  );
});
