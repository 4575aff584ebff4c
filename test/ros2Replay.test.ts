/**
 * A rosbag2-style MCAP (ros2msg schemas, cdr messages) built here from the default recording as a
 * ROS 2 rig publishes it (test/ros2Rig.ts): camera, LiDAR, radar_msgs tracks and returns, a
 * nuScenes-style radar PointCloud2 on a topic whose name does not say radar, audio_common_msgs
 * audio with its AudioInfo, CameraInfo, /tf, an unsupported topic and an ignored one, through `replay`.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../src/cli/main";
import { buildRecording } from "../src/sources/mcap/buildRecording";
import type { SceneJson } from "../src/sinks/sceneJson";
import type { SensorMessage } from "../src/types";
import { DEFAULT_RECORDING, exists } from "./bridgeHelpers";
import { RIG_TOPICS, ros2RigMessages, rosbag2Recording } from "./ros2Rig";

const withRecording = exists(DEFAULT_RECORDING) ? it : it.skip;
if (!exists(DEFAULT_RECORDING)) console.warn(`skipping the ROS 2 replay test: ${DEFAULT_RECORDING} is absent`);

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["node", "avfusion", ...args], { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

/** A topic no decoder takes, and one the config ignores. */
function extras(logTime: bigint): SensorMessage[] {
  const base = { schemaEncoding: "ros2msg", messageEncoding: "cdr", publishTime: logTime, logTime, sequence: 0 };
  return [
    {
      ...base,
      topic: "/chatter",
      schemaName: "std_msgs/msg/String",
      schemaData: new TextEncoder().encode("string data"),
      channelId: 900,
      data: new Uint8Array([0, 1, 0, 0, 1, 0, 0, 0, 0]),
    },
    {
      ...base,
      topic: "/debug/points",
      schemaName: "sensor_msgs/msg/PointCloud2",
      schemaData: new TextEncoder().encode("int8 x"),
      channelId: 901,
      data: new Uint8Array(8),
    },
  ];
}

describe("replay of a rosbag2 MCAP with ROS 2 radar and audio", () => {
  withRecording(
    "every sensor is planned (the radar cloud by its fields), the start-up line names them and what is not used, radar frames reach the scene",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "avfusion-ros2-"));
      const rig = await ros2RigMessages();
      const { messages, options } = rosbag2Recording([...extras(rig[0]!.logTime), ...rig]);
      const file = join(dir, "rig.mcap");
      writeFileSync(file, await buildRecording(messages, options));
      const config = join(dir, "config.json");
      writeFileSync(config, JSON.stringify({ topics: { "/debug/points": "ignore" } }));
      const out = join(dir, "scene.jsonl");
      const r = await cli("replay", file, "--max", "--jsonl", out, "--no-progress", "--fusion-head", "none", "--config", config);
      expect(r.code).toBe(0);
      const plan = r.err.split("\n").find((l) => l.startsWith(`replay ${file}: plan `))!;
      expect(plan).toBe(
        `replay ${file}: plan cam_front (camera: ${RIG_TOPICS.camera}), lidar_top (lidar: ${RIG_TOPICS.lidar}), ` +
          `mic_array (audio: ${RIG_TOPICS.audio}), radar_front (radar: ${RIG_TOPICS.tracks}), ` +
          `radar_front_returns (radar: ${RIG_TOPICS.returns}), srr_front (radar: ${RIG_TOPICS.cloud}); ` +
          `not used: /chatter (unsupported schema std_msgs/msg/String), /debug/points (ignored by the topic mapping); lossless, as fast as possible`,
      );
      // Every message of the rig decoded: no errors.
      expect(r.out).toMatch(/decode: \d+ ok, 0 errors/);
      const scenes = readFileSync(out, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as SceneJson);
      expect(scenes.length).toBeGreaterThan(40);
      const ok = (id: string) => scenes.filter((s) => s.health.sensors.find((h) => h.sensorId === id)?.included).length;
      // Each radar's frames reach the aligner and are used on most ticks (20 Hz radar, 10 Hz ticks).
      for (const id of ["radar_front", "radar_front_returns", "srr_front", "cam_front", "lidar_top", "mic_array"])
        expect(ok(id)).toBeGreaterThan(scenes.length * 0.8);
      expect(scenes.filter((s) => s.objects.length > 0).length).toBeGreaterThan(scenes.length / 2);
      // The radar's tracks are fused; its returns-only scans (no tracks) take nothing away from the objects.
      expect(scenes.filter((s) => s.objects.some((o) => o.sensors.includes("radar"))).length).toBeGreaterThan(scenes.length / 2);
    },
  );
});
