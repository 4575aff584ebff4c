import type { ObjectClass, SceneObject, SceneState } from "../../types";
import { toSecNsec } from "../../types/time";
import { CLASS_COLOUR } from "../mcap/sceneUpdate";
import type { TreeTransform } from "../transforms/transformTree";

const CUBE = 1;
const TEXT_VIEW_FACING = 9;
const ADD = 0;
const DELETEALL = 3;
const DEFAULT_SIZE = { x: 1, y: 1, z: 1.5 };
const ZERO_COLOUR = { r: 0, g: 0, b: 0, a: 0 };

export const BOX_NAMESPACE = "avfusion/boxes";
export const LABEL_NAMESPACE = "avfusion/labels";

const rosTime = (ns: bigint) => {
  const { sec, nsec } = toSecNsec(ns);
  return { sec, nanosec: nsec };
};

function yawOf(o: SceneObject): number {
  return o.yawRad ?? Math.atan2(o.velocity.y, o.velocity.x);
}

function poseOf(o: SceneObject, dz = 0) {
  const yaw = yawOf(o);
  return {
    position: { x: o.position.x, y: o.position.y, z: o.position.z + dz },
    orientation: { x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) },
  };
}

/** Every Marker field, so the CDR holds exactly what a ROS 2 node reads. */
function marker(header: object, fields: { ns: string; id: number; type: number; action: number }) {
  return {
    header,
    ...fields,
    pose: { position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
    scale: { x: 0, y: 0, z: 0 },
    color: ZERO_COLOUR,
    lifetime: { sec: 0, nanosec: 0 },
    frame_locked: false,
    points: [],
    colors: [],
    texture_resource: "",
    texture: { header, format: "", data: new Uint8Array() },
    uv_coordinates: [],
    text: "",
    mesh_resource: "",
    mesh_file: { filename: "", data: new Uint8Array() },
    mesh_use_embedded_materials: false,
  };
}

/**
 * A scene as a `visualization_msgs/msg/MarkerArray`: a DELETEALL first (so markers of objects
 * that are gone do not linger in RViz), then per object a CUBE (namespace `avfusion/boxes`, id =
 * track id, alpha from the existence probability) and a TEXT_VIEW_FACING label above it
 * (`avfusion/labels`), in the scene's frame at its stamp.
 */
export function toMarkerArray(scene: SceneState): object {
  const header = { stamp: rosTime(scene.stamp), frame_id: scene.frameId };
  const markers: object[] = [marker(header, { ns: "", id: 0, type: CUBE, action: DELETEALL })];
  for (const o of scene.objects) {
    const size = o.size ?? DEFAULT_SIZE;
    const [r, g, b] = CLASS_COLOUR[o.classification];
    markers.push({
      ...marker(header, { ns: BOX_NAMESPACE, id: o.id, type: CUBE, action: ADD }),
      pose: poseOf(o),
      scale: { ...size },
      color: { r, g, b, a: 0.25 + 0.5 * o.existence },
    });
    markers.push({
      ...marker(header, { ns: LABEL_NAMESPACE, id: o.id, type: TEXT_VIEW_FACING, action: ADD }),
      pose: poseOf(o, size.z / 2 + 0.5),
      scale: { x: 0, y: 0, z: 0.8 },
      color: { r: 1, g: 1, b: 1, a: 1 },
      text: `#${o.id} ${o.classification} ${(o.existence * 100).toFixed(0)}%`,
    });
  }
  return { markers };
}

/** Class hypotheses, most likely first: score = P(class) × existence probability. */
function hypotheses(o: SceneObject): { class_id: string; score: number }[] {
  const probs = Object.entries(o.classProbabilities).filter((e): e is [ObjectClass, number] => typeof e[1] === "number" && e[1] > 0);
  const list = probs.length > 0 ? probs : ([[o.classification, 1]] as [ObjectClass, number][]);
  return list.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([c, p]) => ({ class_id: c, score: p * o.existence }));
}

/** The 3×3 position covariance in the 6×6 pose covariance (x, y, z, rot x, rot y, rot z); rotation unknown = 0. */
function poseCovariance(o: SceneObject): number[] {
  const out = new Array<number>(36).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) out[i * 6 + j] = o.positionCovariance[i * 3 + j] ?? 0;
  return out;
}

/**
 * A scene as a `vision_msgs/msg/Detection3DArray`: one Detection3D per tracked object, `id` = the
 * track id (stable across ticks), one hypothesis per class with its pose and covariance, and the
 * box (centre, yaw, size; 1 × 1 × 1.5 m until a sensor measured one).
 */
export function toDetection3DArray(scene: SceneState): object {
  const header = { stamp: rosTime(scene.stamp), frame_id: scene.frameId };
  return {
    header,
    detections: scene.objects.map((o) => {
      const pose = poseOf(o);
      const covariance = poseCovariance(o);
      return {
        header,
        results: hypotheses(o).map((hypothesis) => ({ hypothesis, pose: { pose, covariance } })),
        bbox: { center: pose, size: { ...(o.size ?? DEFAULT_SIZE) } },
        id: String(o.id),
      };
    }),
  };
}

/** Transform-tree edges as a `tf2_msgs/msg/TFMessage`. */
export function toTfMessage(transforms: readonly TreeTransform[]): object {
  return {
    transforms: transforms.map((t) => ({
      header: { stamp: rosTime(t.stamp), frame_id: t.parentFrameId },
      child_frame_id: t.childFrameId,
      transform: { translation: { ...t.translation }, rotation: { ...t.rotation } },
    })),
  };
}
