import { parse as parseRosMsg } from "@foxglove/rosmsg";
import { MessageReader, MessageWriter } from "@foxglove/rosmsg2-serialization";
import type { SceneObject, SceneState } from "../../types";
import { toDetection3DArray, toMarkerArray, toTfMessage } from "./ros2Messages";
import { DETECTION_3D_ARRAY, MARKER_ARRAY, ros2SchemaText, TF_MESSAGE, type Ros2SchemaName } from "./ros2Schemas";

const object: SceneObject = {
  id: 12,
  classification: "pedestrian",
  classProbabilities: { pedestrian: 0.7, cyclist: 0.2 },
  position: { x: 8, y: -2, z: 0.9 },
  velocity: { x: 1, y: 0, z: 0 },
  size: { x: 0.6, y: 0.6, z: 1.8 },
  yawRad: Math.PI / 2,
  positionCovariance: [0.1, 0.01, 0, 0.01, 0.2, 0, 0, 0, 0.3],
  existence: 0.5,
  sensors: [],
  firstSeen: 0n,
};
const scene = { stamp: 1_700_000_000_250_000_000n, tick: 3, frameId: "base_link", objects: [object] } as SceneState;

function roundTrip<T>(name: Ros2SchemaName, message: object): T {
  const defs = parseRosMsg(ros2SchemaText(name), { ros2: true });
  return new MessageReader(defs).readMessage<T>(new MessageWriter(defs).writeMessage(message));
}

describe("ROS 2 schemas", () => {
  it("are full rosbag2-style definitions with every field of the Humble+ messages", () => {
    const marker = parseRosMsg(ros2SchemaText(MARKER_ARRAY), { ros2: true }).find((d) => d.name === "visualization_msgs/Marker")!;
    expect(marker.definitions.filter((f) => !f.isConstant).map((f) => f.name)).toEqual(
      "header ns id type action pose scale color lifetime frame_locked points colors texture_resource texture uv_coordinates text mesh_resource mesh_file mesh_use_embedded_materials".split(
        " ",
      ),
    );
    const detection = parseRosMsg(ros2SchemaText(DETECTION_3D_ARRAY), { ros2: true }).find((d) => d.name === "vision_msgs/Detection3D")!;
    expect(detection.definitions.map((f) => f.name)).toEqual(["header", "results", "bbox", "id"]);
    expect(ros2SchemaText(TF_MESSAGE)).toMatch(
      /^geometry_msgs\/TransformStamped\[\] transforms\n={80}\nMSG: geometry_msgs\/TransformStamped\n/,
    );
    // Each type once, none missing (the parser would throw on a missing one).
    for (const name of [MARKER_ARRAY, DETECTION_3D_ARRAY, TF_MESSAGE] as const) {
      const sections = ros2SchemaText(name).match(/^MSG: .*$/gm)!;
      expect(new Set(sections).size).toBe(sections.length);
    }
  });
});

describe("the scene as ROS 2 messages", () => {
  it("is a MarkerArray: DELETEALL, then a cube and a label per object", () => {
    type M = {
      header: { stamp: { sec: number; nanosec: number }; frame_id: string };
      ns: string;
      id: number;
      type: number;
      action: number;
      pose: { orientation: { z: number; w: number } };
      scale: { x: number; y: number; z: number };
      color: { a: number };
      text: string;
    };
    const { markers } = roundTrip<{ markers: M[] }>(MARKER_ARRAY, toMarkerArray(scene));
    expect(markers.map((m) => [m.ns, m.id, m.type, m.action])).toEqual([
      ["", 0, 1, 3],
      ["avfusion/boxes", 12, 1, 0],
      ["avfusion/labels", 12, 9, 0],
    ]);
    expect(markers[1]!.header).toEqual({ stamp: { sec: 1_700_000_000, nanosec: 250_000_000 }, frame_id: "base_link" });
    expect(markers[1]!.scale).toEqual({ x: 0.6, y: 0.6, z: 1.8 });
    expect(markers[1]!.pose.orientation.z).toBeCloseTo(Math.SQRT1_2, 12);
    expect(markers[1]!.color.a).toBeCloseTo(0.5, 6);
    expect(markers[2]!.text).toBe("#12 pedestrian 50%");
    expect(roundTrip<{ markers: M[] }>(MARKER_ARRAY, toMarkerArray({ ...scene, objects: [] })).markers).toHaveLength(1);
  });

  it("is a Detection3DArray with the track id, class hypotheses and the position covariance", () => {
    type D = {
      id: string;
      bbox: { size: { x: number } };
      results: { hypothesis: { class_id: string; score: number }; pose: { covariance: number[] } }[];
    };
    const { detections } = roundTrip<{ detections: D[] }>(DETECTION_3D_ARRAY, toDetection3DArray(scene));
    expect(detections).toHaveLength(1);
    const d = detections[0]!;
    expect(d.id).toBe("12");
    expect(d.results.map((r) => r.hypothesis.class_id)).toEqual(["pedestrian", "cyclist"]);
    expect(d.results[0]!.hypothesis.score).toBeCloseTo(0.35, 12);
    const cov = Array.from(d.results[0]!.pose.covariance);
    expect(cov).toHaveLength(36);
    expect([cov[0], cov[1], cov[6], cov[7], cov[14], cov[21]]).toEqual([0.1, 0.01, 0.01, 0.2, 0.3, 0]);
  });

  it("is a TFMessage per transform-tree edge", () => {
    const t = {
      stamp: 1_500_000_000n,
      parentFrameId: "odom",
      childFrameId: "base_link",
      translation: { x: 1, y: 2, z: 3 },
      rotation: { x: 0, y: 0, z: 0, w: 1 },
    };
    const msg = roundTrip<{ transforms: unknown[] }>(TF_MESSAGE, toTfMessage([t]));
    expect(msg.transforms).toEqual([
      {
        header: { stamp: { sec: 1, nanosec: 500_000_000 }, frame_id: "odom" },
        child_frame_id: "base_link",
        transform: { translation: { x: 1, y: 2, z: 3 }, rotation: { x: 0, y: 0, z: 0, w: 1 } },
      },
    ]);
  });
});
