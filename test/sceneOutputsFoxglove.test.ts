import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse as parseRosMsg } from "@foxglove/rosmsg";
import { MessageReader } from "@foxglove/rosmsg2-serialization";
import { from, lastValueFrom, toArray } from "rxjs";
import { main } from "../src/cli/main";
import { createDecoder } from "../src/decode/createDecoder";
import { decodeFrames } from "../src/decode/decodeFrames";
import { decodeProto, protoRoot } from "../src/schemas/protoRegistry";
import { imageBoxes } from "../src/sinks/transforms/imageAnnotations";
import type { CameraCalibration, FrameTransform, SceneObject, SceneState, SensorMessage } from "../src/types";
import { fromSecNsec } from "../src/types/time";
import { readAllMessages } from "./readAllMessages";

const DEFAULT = resolve(__dirname, "../recordings/default.mcap");
const LAYOUT = resolve(__dirname, "../docs/foxglove/avfusion-layout.json");
const haveRecording = existsSync(DEFAULT);
if (!haveRecording) console.warn(`skipped: ${DEFAULT} is absent (the transform tree, annotations and ROS 2 output are checked on it)`);
const describeWithRecording = haveRecording ? describe : describe.skip;

type Stamp = { seconds: number; nanos: number };
const ns = (t: Stamp) => fromSecNsec({ sec: t.seconds, nsec: t.nanos });
type Proto = Record<string, unknown>;
type JsonScene = {
  stamp: string;
  frameId: string;
  objects: {
    id: number;
    class: SceneObject["classification"];
    position: SceneObject["position"];
    size: SceneObject["size"];
    yaw: number | null;
  }[];
};

function byTopic(messages: SensorMessage[]): Map<string, SensorMessage[]> {
  const out = new Map<string, SensorMessage[]>();
  for (const m of messages) out.set(m.topic, [...(out.get(m.topic) ?? []), m]);
  return out;
}

describeWithRecording("replay --out / --ros2-out: at home in Foxglove and ROS 2", () => {
  const dir = mkdtempSync(join(tmpdir(), "avfusion-tree-"));
  const out = join(dir, "scene.mcap");
  const ros2Out = join(dir, "scene-ros2.mcap");
  const jsonl = join(dir, "scene.jsonl");
  let output: Map<string, SensorMessage[]>;
  let ros2: Map<string, SensorMessage[]>;
  let input: Map<string, SensorMessage[]>;
  let scenes: JsonScene[];
  let stdout = "";

  beforeAll(async () => {
    const code = await main(
      ["node", "avfusion", "replay", DEFAULT, "--max", "--no-progress", "--out", out, "--ros2-out", ros2Out, "--jsonl", jsonl],
      {
        stdout: (t) => void (stdout += t),
        stderr: () => undefined,
      },
    );
    expect(code).toBe(0);
    output = byTopic(await readAllMessages(out, "indexed"));
    ros2 = byTopic(await readAllMessages(ros2Out, "indexed"));
    input = byTopic(await readAllMessages(DEFAULT));
    scenes = readFileSync(jsonl, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as JsonScene);
  });

  /** The recording's own mountings (child → transform) and camera calibration, as the pipeline decodes them. */
  async function recordingCalibration() {
    const decoded = await lastValueFrom(
      from([...input.get("/tf")!, ...input.get("/sensors/cam_front/calibration")!]).pipe(decodeFrames(), toArray()),
    );
    const transforms = new Map<string, FrameTransform>();
    const cameras = new Map<string, CameraCalibration>();
    for (const d of decoded) {
      if (d.kind === "transform") transforms.set(d.childFrameId, d);
      if (d.kind === "cameraCalibration") cameras.set(d.frameId, d);
    }
    return { transforms, cameras };
  }

  it("writes /tf with odom → base_link at every tick and base_link → every sensor frame before the first scene", async () => {
    const tf = output.get("/tf")!;
    const scene = output.get("/avfusion/scene")!;
    expect(tf[0]!.schemaName).toBe("foxglove.FrameTransforms");
    expect(tf.length).toBe(scene.length);
    const decoded = tf.map((m) =>
      decodeProto<{ transforms: { parent_frame_id: string; child_frame_id: string; timestamp: Stamp }[] }>(
        "foxglove.FrameTransforms",
        m.data,
      ),
    );
    for (const [i, d] of decoded.entries()) {
      const ego = d.transforms.filter((t) => t.parent_frame_id === "odom" && t.child_frame_id === "base_link");
      expect(ego).toHaveLength(1);
      expect(ns(ego[0]!.timestamp)).toBe(tf[i]!.logTime);
    }
    const { transforms } = await recordingCalibration();
    expect([...transforms.keys()].sort()).toEqual(["cam_front_optical", "lidar_top", "mic_array", "radar_front"]);
    const first = decoded[0]!.transforms;
    for (const t of transforms.values()) {
      const written = first.find((w) => w.child_frame_id === t.childFrameId);
      expect(written?.parent_frame_id).toBe("base_link");
      expect(ns(written!.timestamp) <= scene[0]!.logTime).toBe(true);
    }
    expect(tf[0]!.logTime <= scene[0]!.logTime).toBe(true);
    // The recording re-sends the same mountings every second: they are written once.
    expect(decoded.slice(1).every((d) => d.transforms.length === 1)).toBe(true);
    // Every box is drawn in a frame of the tree.
    const frames = new Set(["odom", ...first.map((t) => t.child_frame_id)]);
    for (const m of output.get("/avfusion/scene_boxes")!) {
      const update = decodeProto<{ entities: { frame_id: string }[] }>("foxglove.SceneUpdate", m.data);
      for (const e of update.entities) expect(frames.has(e.frame_id)).toBe(true);
    }
  });

  it("annotates the camera with the fused boxes projected through its calibration and mounting, at the image stamps", async () => {
    const topic = "/sensors/cam_front/image/annotations";
    const annotations = output.get(topic)!;
    expect(annotations[0]!.schemaName).toBe("foxglove.ImageAnnotations");
    const imageStamps = new Set(
      input
        .get("/sensors/cam_front/image")!
        .map((m) => ns(decodeProto<{ timestamp: Stamp }>("foxglove.CompressedImage", m.data).timestamp)),
    );
    const calibration = await recordingCalibration();
    const sceneAt = new Map(scenes.map((s) => [BigInt(s.stamp), s]));
    let drawn = 0;
    for (const m of annotations) {
      const a = decodeProto<{
        timestamp: Stamp;
        points: { type: number; points: { x: number; y: number }[] }[];
        texts: { text: string }[];
      }>("foxglove.ImageAnnotations", m.data);
      const stamp = ns(a.timestamp);
      expect(imageStamps.has(stamp)).toBe(true);
      expect(Math.abs(Number(stamp - m.logTime)) / 1e6).toBeLessThan(200);
      for (const p of a.points.flatMap((x) => x.points)) {
        expect(p.x).toBeGreaterThanOrEqual(0);
        expect(p.x).toBeLessThanOrEqual(320);
        expect(p.y).toBeGreaterThanOrEqual(0);
        expect(p.y).toBeLessThanOrEqual(192);
      }
      // The same boxes, projected here from the scene of that tick and the recording's own calibration.
      const s = sceneAt.get(m.logTime)!;
      const scene = {
        stamp: m.logTime,
        frameId: s.frameId,
        objects: s.objects.map((o) => ({ id: o.id, classification: o.class, position: o.position, size: o.size, yawRad: o.yaw })),
      } as unknown as SceneState;
      const boxes = imageBoxes(
        scene,
        { topic: "/sensors/cam_front/image", frameId: "cam_front_optical", stamp },
        { ...calibration, images: [] },
      )!;
      expect(a.points.map((p) => p.points.length)).toEqual(boxes.map((b) => b.segments.length * 2));
      a.points.forEach((p, i) => {
        const expected = boxes[i]!.segments.flat();
        p.points.forEach((q, j) => {
          expect(q.x).toBeCloseTo(expected[j]!.x, 6);
          expect(q.y).toBeCloseTo(expected[j]!.y, 6);
        });
      });
      expect(a.texts.map((t) => t.text)).toEqual(boxes.map((b) => b.label));
      drawn += a.points.length;
    }
    // The default drive has cars ahead of the camera.
    expect(drawn).toBeGreaterThan(annotations.length / 2);
  });

  it("ships a Foxglove layout whose every topic and field path the output or the recording has", () => {
    const layout = JSON.parse(readFileSync(LAYOUT, "utf8")) as { configById: Record<string, Proto>; layout: unknown };
    const panels = Object.keys(layout.configById);
    expect(panels.map((p) => p.split("!")[0]).sort()).toEqual(["3D", "Image", "RawMessages", "StateTransitions"]);
    const leaves = (node: unknown): string[] =>
      typeof node === "string" ? [node] : [(node as { first: unknown }).first, (node as { second: unknown }).second].flatMap(leaves);
    expect(leaves(layout.layout).sort()).toEqual(panels.sort());
    const topics = new Set([...output.keys(), ...input.keys()]);
    const threeD = layout.configById["3D!avfusion"] as { followTf: string; topics: Record<string, unknown> };
    const image = layout.configById["Image!avfusion"] as {
      imageMode: { imageTopic: string; calibrationTopic: string; annotations: Record<string, unknown> };
    };
    const states = layout.configById["StateTransitions!avfusion"] as { paths: { value: string }[] };
    const raw = layout.configById["RawMessages!avfusion"] as { topicPath: string };
    expect(threeD.followTf).toBe("base_link");
    expect(Object.keys(threeD.topics).sort()).toEqual(["/avfusion/scene_boxes", "/sensors/lidar_top/points", "/tf"]);
    expect(Object.keys(image.imageMode.annotations)).toEqual([`${image.imageMode.imageTopic}/annotations`]);
    const named = [
      ...Object.keys(threeD.topics),
      image.imageMode.imageTopic,
      image.imageMode.calibrationTopic,
      ...Object.keys(image.imageMode.annotations),
    ];
    for (const t of named) expect([t, topics.has(t)]).toEqual([t, true]);
    // Message paths: the topic, then fields of avfusion.SceneState as the .proto names them.
    for (const path of [...states.paths.map((p) => p.value), raw.topicPath]) {
      const [topic, ...fields] = path.replace(/\[:\]\{[^}]*\}/g, "").split(".");
      expect(topic).toBe("/avfusion/scene");
      let type = protoRoot().lookupType("avfusion.SceneState");
      for (const f of fields) {
        const field = type.fields[f];
        expect([path, f, field !== undefined]).toEqual([path, f, true]);
        if (field!.resolvedType && "fields" in field!.resolvedType) type = field!.resolvedType;
      }
    }
    for (const id of ["cam_front", "lidar_top", "radar_front", "mic_array"])
      expect(states.paths.some((p) => p.value.includes(`"${id}"`))).toBe(true);
  });

  /** CDR through @foxglove/rosmsg2-serialization, with the schema text the file carries. */
  function readRos2<T>(m: SensorMessage): T {
    expect([m.schemaEncoding, m.messageEncoding]).toEqual(["ros2msg", "cdr"]);
    return new MessageReader(parseRosMsg(new TextDecoder().decode(m.schemaData), { ros2: true })).readMessage<T>(m.data);
  }

  type Marker = {
    header: { frame_id: string };
    ns: string;
    id: number;
    type: number;
    action: number;
    pose: { position: { x: number; y: number; z: number } };
    scale: { x: number };
    text: string;
  };
  type Detection = {
    id: string;
    bbox: { center: { position: { x: number } }; size: { x: number; y: number; z: number } };
    results: { hypothesis: { class_id: string; score: number } }[];
  };

  it("writes the scene as ROS 2 MarkerArray and vision_msgs Detection3DArray that match the scene JSON", () => {
    expect([...ros2.keys()].sort()).toEqual(["/avfusion/detections", "/avfusion/markers", "/tf", "/tf_static"]);
    const markers = ros2.get("/avfusion/markers")!;
    const detections = ros2.get("/avfusion/detections")!;
    expect(markers[0]!.schemaName).toBe("visualization_msgs/msg/MarkerArray");
    expect(detections[0]!.schemaName).toBe("vision_msgs/msg/Detection3DArray");
    expect(markers.length).toBe(scenes.length);
    expect(detections.length).toBe(scenes.length);
    scenes.forEach((s, i) => {
      expect(markers[i]!.logTime).toBe(BigInt(s.stamp));
      const array = readRos2<{ markers: Marker[] }>(markers[i]!).markers;
      expect(array[0]!.action).toBe(3);
      const cubes = array.filter((m) => m.type === 1 && m.action === 0);
      const texts = array.filter((m) => m.type === 9);
      expect(cubes.map((m) => m.id)).toEqual(s.objects.map((o) => o.id));
      expect(texts.map((m) => m.id)).toEqual(s.objects.map((o) => o.id));
      cubes.forEach((c, j) => {
        const o = s.objects[j]!;
        expect(c.header.frame_id).toBe(s.frameId);
        expect(c.pose.position).toEqual(o.position);
        expect(c.scale.x).toBe(o.size?.x ?? 1);
        expect(texts[j]!.text.startsWith(`#${o.id} ${o.class}`)).toBe(true);
      });
      const d = readRos2<{ header: { frame_id: string }; detections: Detection[] }>(detections[i]!);
      expect(d.header.frame_id).toBe(s.frameId);
      expect(d.detections.map((x) => x.id)).toEqual(s.objects.map((o) => String(o.id)));
      d.detections.forEach((x, j) => {
        const o = s.objects[j]!;
        expect(x.bbox.center.position.x).toBe(o.position.x);
        expect(x.bbox.size).toEqual(o.size ?? { x: 1, y: 1, z: 1.5 });
        expect(x.results[0]!.hypothesis.class_id).toBe(o.class);
      });
    });
    expect(scenes.some((s) => s.objects.length > 0)).toBe(true);
    expect(stdout).toContain(`wrote ${ros2Out} (ROS 2: /tf_static, /tf, /avfusion/markers, /avfusion/detections)`);
  });

  it("writes the ROS 2 transform tree so the project's own ROS 2 decoder reads it back", async () => {
    const tfStatic = ros2.get("/tf_static")!;
    expect(tfStatic).toHaveLength(1);
    const decoder = createDecoder({});
    const frames = [...tfStatic, ...ros2.get("/tf")!].flatMap((m) => {
      const r = decoder.decode(m);
      return "messages" in r ? r.messages : [];
    });
    const mountings = frames.filter((f) => f.kind === "transform" && f.parentFrameId === "base_link");
    expect(mountings.map((f) => (f as FrameTransform).childFrameId).sort()).toEqual([
      "cam_front_optical",
      "lidar_top",
      "mic_array",
      "radar_front",
    ]);
    const ego = frames.filter((f) => f.kind === "transform" && f.parentFrameId === "odom");
    expect(ego).toHaveLength(scenes.length);
    const cam = mountings.find((f) => (f as FrameTransform).childFrameId === "cam_front_optical") as FrameTransform;
    expect(cam.rotation).toEqual({ x: -0.5, y: 0.5, z: -0.5, w: 0.5 });
    expect(readRos2<{ transforms: unknown[] }>(tfStatic[0]!).transforms).toHaveLength(4);
  });

  it("refuses a --ros2-out that is the input or another output, in one line, leaving nothing", async () => {
    const run = async (...args: string[]) => {
      let err = "";
      const code = await main(["node", "avfusion", "replay", DEFAULT, "--max", "--no-progress", ...args], {
        stdout: () => undefined,
        stderr: (t) => void (err += t),
      });
      return { code, err };
    };
    const same = join(dir, "same.mcap");
    const twin = await run("--out", same, "--ros2-out", same);
    expect(twin.code).not.toBe(0);
    expect(twin.err.trim().split("\n")).toHaveLength(1);
    expect(twin.err).toMatch(/--ros2-out .*same file as --out/);
    expect(existsSync(same)).toBe(false);
    const over = await run("--ros2-out", DEFAULT);
    expect(over.code).not.toBe(0);
    expect(over.err).toMatch(/--ros2-out .*input/);
  });
});
