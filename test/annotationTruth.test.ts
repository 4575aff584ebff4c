/**
 * Ground truth from annotations: recordings/default.mcap with its `avfusion.GroundTruth` replaced
 * by a `foxglove.SceneUpdate` topic of cubes in a `map` frame (nuScenes categories in the entities'
 * metadata, as nuScenes-to-MCAP converters write them) and `/tf` giving map → base_link as the ego
 * drives (turned 30° in the map, so nothing lines up by accident). `eval --config` mapping the
 * topic to `role: groundTruth` must score the same detection figures as the original ground truth.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDecoder } from "../src/decode/createDecoder";
import { annotationClass, DEFAULT_ANNOTATION_CLASSES } from "../src/decode/sceneUpdateTruth";
import { encodeProto } from "../src/schemas/protoRegistry";
import { FileWritable } from "../src/sinks/mcap/FileWritable";
import { McapSink } from "../src/sinks/mcap/McapSink";
import type { GroundTruthFrame, ObjectClass } from "../src/types";
import { DEFAULT_RECORDING, exists } from "./bridgeHelpers";
import { readAllMessages } from "./readAllMessages";
import { cli } from "./runCli";

const withRecording = exists(DEFAULT_RECORDING) ? it : it.skip;
if (!exists(DEFAULT_RECORDING)) console.warn(`skipping ground truth from annotations: ${DEFAULT_RECORDING} is absent`);

const CATEGORY: Record<ObjectClass, string> = {
  car: "vehicle.car",
  truck: "vehicle.truck",
  pedestrian: "human.pedestrian.adult",
  cyclist: "vehicle.bicycle",
  motorcycle: "vehicle.motorcycle",
  emergency_vehicle: "vehicle.emergency.ambulance",
  static_clutter: "static_object.bicycle_rack",
  unknown: "movable_object.barrier",
};

const YAW = Math.PI / 6;
const ts = (ns: bigint) => ({ seconds: Number(ns / 1_000_000_000n), nanos: Number(ns % 1_000_000_000n) });
const quatZ = (yaw: number) => ({ x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) });

describe("ground truth from foxglove.SceneUpdate annotations", () => {
  it("labels map through nuScenes' categories by their longest prefix, plain names, or not at all", () => {
    expect(annotationClass("human.pedestrian.adult", DEFAULT_ANNOTATION_CLASSES)).toBe("pedestrian");
    expect(annotationClass("vehicle.bus.rigid", DEFAULT_ANNOTATION_CLASSES)).toBe("truck");
    expect(annotationClass("Car", DEFAULT_ANNOTATION_CLASSES)).toBe("car");
    expect(annotationClass("static_object.bicycle_rack", DEFAULT_ANNOTATION_CLASSES)).toBeUndefined();
    expect(annotationClass("flat.driveable_surface", { "flat.driveable_surface": "static_clutter" })).toBe("static_clutter");
  });

  withRecording("eval of a map-frame annotation topic through /tf scores what the original ground truth scores", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "avfusion-annotations-"));
    const file = path.join(dir, "annotated.mcap");
    const decoder = createDecoder();
    const writable = await FileWritable.create(file);
    const sink = await McapSink.open(writable);
    let x = 0;
    let last: bigint | undefined;
    let entities = 0;
    for (const m of await readAllMessages(DEFAULT_RECORDING)) {
      if (m.schemaName !== "avfusion.GroundTruth") {
        await sink.write(m.topic, m.schemaName, m.logTime, m.publishTime, m.data);
        continue;
      }
      const r = decoder.decode(m);
      if (!("messages" in r)) continue;
      const gt = r.messages[0] as GroundTruthFrame;
      // The ego's pose in the map: driving along its heading (30° in the map) at its speed.
      if (last !== undefined) x += (gt.egoSpeedMps * Number(gt.stamp - last)) / 1e9;
      last = gt.stamp;
      const t = { x: x * Math.cos(YAW), y: x * Math.sin(YAW), z: 0 };
      await sink.write(
        "/tf_map",
        "foxglove.FrameTransforms",
        gt.stamp,
        gt.stamp,
        encodeProto("foxglove.FrameTransforms", {
          transforms: [
            { timestamp: ts(gt.stamp), parent_frame_id: "map", child_frame_id: "base_link", translation: t, rotation: quatZ(YAW) },
          ],
        }),
      );
      const [c, s] = [Math.cos(YAW), Math.sin(YAW)];
      const update = {
        deletions: [],
        entities: gt.objects.map((o) => {
          entities++;
          const p = { x: c * o.position.x - s * o.position.y + t.x, y: s * o.position.x + c * o.position.y + t.y, z: o.position.z };
          return {
            timestamp: ts(gt.stamp),
            frame_id: "map",
            id: `${o.id}`,
            metadata: [{ key: "category", value: CATEGORY[o.classification] }],
            cubes: [{ pose: { position: p, orientation: quatZ(o.yawRad + YAW) }, size: o.size, color: { r: 1, g: 1, b: 1, a: 1 } }],
          };
        }),
      };
      await sink.write("/markers/annotations", "foxglove.SceneUpdate", gt.stamp, gt.stamp, encodeProto("foxglove.SceneUpdate", update));
    }
    await sink.close();
    await writable.close();
    expect(entities).toBeGreaterThan(100);
    const config = path.join(dir, "config.json");
    fs.writeFileSync(config, JSON.stringify({ topics: { "/markers/annotations": { role: "groundTruth" } } }));

    const original = await cli("eval", DEFAULT_RECORDING, "--json", "--pipelines", "fused,lidar", "--condition", "drive");
    const annotated = await cli("eval", file, "--json", "--pipelines", "fused,lidar", "--condition", "drive", "--config", config);
    expect(annotated.code).toBe(0);
    type Entry = { pipeline: string; mAP: number; apByClass: Record<string, number>; frames: number };
    const [a, b] = [original, annotated].map((r) => (JSON.parse(r.out) as { results: Entry[] }).results);
    for (let i = 0; i < 2; i++) {
      expect(b![i]!.frames).toBe(a![i]!.frames);
      expect(b![i]!.mAP).toBeCloseTo(a![i]!.mAP, 6);
      for (const [cls, ap] of Object.entries(a![i]!.apByClass)) expect(b![i]!.apByClass[cls]).toBeCloseTo(ap, 6);
    }
    // Without the mapping the topic is not ground truth: boxes are drawn by many tools, our own --out among them.
    const unmapped = await cli("eval", file, "--json", "--pipelines", "fused");
    expect(unmapped.code).toBe(2);
    expect(unmapped.err).toContain("no ground truth");
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
