import type { SceneState } from "../../types";
import { toSecNsec } from "../../types/time";
import { CLASS_COLOUR } from "../mcap/sceneUpdate";
import type { SceneContext, SceneImage } from "../sceneContext";
import { projectBox, type Segment } from "./cameraProjection";
import { lookupTransform } from "./rigid";

/** Where a camera's annotations go: beside its image topic, as Foxglove's Image panel lists them. */
export function annotationTopic(imageTopic: string): string {
  return `${imageTopic}/annotations`;
}

const FONT_PX = 12;

/** One object's box in one image: its edges as pixel segments and its label. */
export type ImageBox = { objectId: number; label: string; segments: Segment[] };

/**
 * The scene's boxes as seen by one camera image, or undefined when the camera's calibration or its
 * mounting below the scene frame is not known (then nothing can be drawn honestly).
 */
export function imageBoxes(scene: SceneState, image: SceneImage, context: SceneContext): ImageBox[] | undefined {
  const cal = context.cameras.get(image.frameId);
  const mounting = lookupTransform(context.transforms, scene.frameId, image.frameId);
  if (cal === undefined || mounting === undefined) return undefined;
  const out: ImageBox[] = [];
  for (const o of scene.objects) {
    const segments = projectBox(o, mounting, cal);
    if (segments.length > 0) out.push({ objectId: o.id, label: `#${o.id} ${o.classification}`, segments });
  }
  return out;
}

/**
 * A foxglove.ImageAnnotations object (snake_case keys for encodeProto) for one image: per box one
 * LINE_LIST of its visible edges in the class colour and a text label above its top-left corner.
 * Stamped with the image's own header stamp: Foxglove's Image panel pairs annotations with the
 * image of the same timestamp when "sync annotations" is on, and shows the latest otherwise.
 */
export function toImageAnnotations(boxes: readonly ImageBox[], image: SceneImage, scene: SceneState): object {
  const { sec, nsec } = toSecNsec(image.stamp);
  const timestamp = { seconds: sec, nanos: nsec };
  const classOf = new Map(scene.objects.map((o) => [o.id, o.classification]));
  const colour = (id: number) => {
    const [r, g, b] = CLASS_COLOUR[classOf.get(id) ?? "unknown"];
    return { r, g, b, a: 1 };
  };
  return {
    timestamp,
    circles: [],
    points: boxes.map((b) => ({
      timestamp,
      type: 4, // LINE_LIST
      points: b.segments.flatMap(([p, q]) => [p, q]),
      outline_color: colour(b.objectId),
      outline_colors: [],
      fill_color: { r: 0, g: 0, b: 0, a: 0 },
      thickness: 2,
      metadata: [{ key: "object_id", value: String(b.objectId) }],
    })),
    texts: boxes.map((b) => {
      const xs = b.segments.flatMap(([p, q]) => [p.x, q.x]);
      const ys = b.segments.flatMap(([p, q]) => [p.y, q.y]);
      return {
        timestamp,
        position: { x: Math.min(...xs), y: Math.max(FONT_PX, Math.min(...ys) - 2) },
        text: b.label,
        font_size: FONT_PX,
        text_color: { r: 1, g: 1, b: 1, a: 1 },
        background_color: { ...colour(b.objectId), a: 0.6 },
        metadata: [{ key: "object_id", value: String(b.objectId) }],
      };
    }),
  };
}
