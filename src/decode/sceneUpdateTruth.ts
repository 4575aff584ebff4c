import type { GroundTruthFrame, GroundTruthObject, ObjectClass } from "../types";
import { OBJECT_CLASSES, yawOf } from "../types";
import { arrayField, asFields, type DecodeContext, type Fields, quatField, stampOf, strField, vec3Field } from "./common";

/*
 * Ground truth from annotations: a `foxglove.SceneUpdate` topic of cubes, as nuScenes-to-MCAP
 * converters write their annotations, read as `avfusion.GroundTruth` when the config maps the
 * topic to `role: groundTruth`. Each entity with a cube is one object: its id, the cube's pose
 * (centre and yaw) and size, and its class from the entity's metadata (`category`, `class`,
 * `label`, `type`, `name`) or else its id's first word, through the class map (the config's
 * `groundTruth.classes` over `DEFAULT_ANNOTATION_CLASSES`). Entities of no class of ours are left
 * out and counted. The objects stay in the entities' frame; the pipeline moves them into the ego
 * frame through /tf at their stamp (src/pipeline/groundTruthInEgo.ts).
 */

/** nuScenes' categories and plain class names in ours; a category matches by its longest listed prefix. */
export const DEFAULT_ANNOTATION_CLASSES: Readonly<Record<string, ObjectClass>> = {
  "vehicle.car": "car",
  "vehicle.truck": "truck",
  "vehicle.bus": "truck",
  "vehicle.trailer": "truck",
  "vehicle.construction": "truck",
  "vehicle.emergency": "emergency_vehicle",
  "vehicle.motorcycle": "motorcycle",
  "vehicle.bicycle": "cyclist",
  "human.pedestrian": "pedestrian",
  car: "car",
  van: "car",
  truck: "truck",
  bus: "truck",
  pedestrian: "pedestrian",
  person: "pedestrian",
  cyclist: "cyclist",
  bicycle: "cyclist",
  motorcycle: "motorcycle",
  emergency_vehicle: "emergency_vehicle",
};

const CLASS_KEYS = ["category", "class", "label", "type", "name"];

/** A label through the map: exact, else the longest dotted prefix listed, else one of our class names. */
export function annotationClass(label: string, classes: Readonly<Record<string, ObjectClass>>): ObjectClass | undefined {
  const parts = label.split(".");
  for (let n = parts.length; n > 0; n--) {
    const hit = classes[parts.slice(0, n).join(".")];
    if (hit) return hit;
  }
  const lower = label.toLowerCase();
  return (OBJECT_CLASSES as readonly string[]).includes(lower) ? (lower as ObjectClass) : undefined;
}

/** A stable positive id for an entity's string id (FNV-1a, 31 bits). */
function numericId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 1 || 1;
}

function labelOf(entity: Fields, what: string): string {
  const meta = entity.metadata == null ? [] : arrayField(entity, "metadata", what);
  for (const key of CLASS_KEYS)
    for (const m of meta) {
      const kv = asFields(m, `${what}.metadata`);
      if (kv.key === key && typeof kv.value === "string" && kv.value !== "") return kv.value;
    }
  return strField(entity, "id", what).split(/[:/#\s-]/)[0] ?? "";
}

/** One SceneUpdate → one ground-truth frame per entity frame (usually one), objects in that frame. */
export function sceneUpdateGroundTruth(o: Fields, ctx: DecodeContext, classes: Readonly<Record<string, ObjectClass>>): GroundTruthFrame[] {
  const what = "foxglove.SceneUpdate";
  const byFrame = new Map<string, GroundTruthFrame>();
  arrayField(o, "entities", what).forEach((raw, i) => {
    const w = `${what}.entities[${i}]`;
    const entity = asFields(raw, w);
    const cubes = entity.cubes == null ? [] : arrayField(entity, "cubes", w);
    const classification = annotationClass(labelOf(entity, w), classes);
    if (cubes.length === 0 || !classification) {
      ctx.dropped++;
      return;
    }
    const cube = asFields(cubes[0], `${w}.cubes[0]`);
    const pose = asFields(cube.pose, `${w}.cubes[0].pose`);
    const q = quatField(pose, "orientation", `${w}.cubes[0].pose`);
    const frameId = strField(entity, "frame_id", w);
    const stamp = stampOf(entity.timestamp, ctx.logTime, `${w}.timestamp`);
    let frame = byFrame.get(frameId);
    if (!frame) {
      frame = {
        kind: "groundTruth",
        inFrame: true,
        topic: ctx.topic,
        stamp,
        frameId,
        objects: [],
        visibilityM: Infinity,
        sirenActive: false,
        sirenBearingRad: 0,
        egoSpeedMps: 0,
      };
      byFrame.set(frameId, frame);
    }
    const object: GroundTruthObject = {
      id: numericId(strField(entity, "id", w)),
      classification,
      position: vec3Field(pose, "position", `${w}.cubes[0].pose`),
      size: vec3Field(cube, "size", `${w}.cubes[0]`),
      yawRad: yawOf(q),
      velocity: { x: 0, y: 0, z: 0 },
      sirenOn: false,
      visibility: {},
    };
    if (![object.position.x, object.position.y, object.position.z, object.size.x, object.size.y, object.yawRad].every(Number.isFinite)) {
      ctx.dropped++;
      return;
    }
    frame.objects.push(object);
  });
  return [...byFrame.values()];
}
