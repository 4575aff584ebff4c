import type { ObjectClass, SceneState } from "../../types";
import { toSecNsec } from "../../types/time";

/** Box colours per class (RGBA 0..1), so Foxglove's 3D panel tells classes apart at a glance. */
export const CLASS_COLOUR: Record<ObjectClass, [number, number, number]> = {
  unknown: [0.7, 0.7, 0.7],
  car: [0.2, 0.6, 1.0],
  truck: [0.1, 0.3, 0.9],
  pedestrian: [1.0, 0.5, 0.1],
  cyclist: [0.9, 0.9, 0.1],
  motorcycle: [0.6, 0.2, 0.9],
  emergency_vehicle: [1.0, 0.1, 0.1],
  static_clutter: [0.5, 0.5, 0.5],
};

const DEFAULT_SIZE = { x: 1, y: 1, z: 1.5 };

/**
 * A scene state as a `foxglove.SceneUpdate` (snake_case keys for encodeProto): one cube and one
 * label per object, opacity = existence probability, and a `deletions: ALL` first so boxes of
 * objects that are gone do not linger in the 3D panel.
 */
export function toSceneUpdate(state: SceneState): object {
  const { sec, nsec } = toSecNsec(state.stamp);
  const timestamp = { seconds: sec, nanos: nsec };
  return {
    deletions: [{ timestamp, type: 1, id: "" }],
    entities: state.objects.map((o) => {
      const yaw = o.yawRad ?? Math.atan2(o.velocity.y, o.velocity.x);
      const orientation = { x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) };
      const [r, g, b] = CLASS_COLOUR[o.classification];
      const pose = { position: { x: o.position.x, y: o.position.y, z: o.position.z }, orientation };
      const speed = Math.hypot(o.velocity.x, o.velocity.y);
      return {
        timestamp,
        frame_id: state.frameId,
        id: `object-${o.id}`,
        lifetime: { seconds: 0, nanos: 0 },
        frame_locked: false,
        metadata: [{ key: "class", value: o.classification }],
        cubes: [{ pose, size: o.size ?? DEFAULT_SIZE, color: { r, g, b, a: 0.25 + 0.5 * o.existence } }],
        texts: [
          {
            pose: { position: { x: o.position.x, y: o.position.y, z: o.position.z + (o.size?.z ?? 1.5) / 2 + 0.5 }, orientation },
            billboard: true,
            font_size: 14,
            scale_invariant: true,
            color: { r: 1, g: 1, b: 1, a: 1 },
            text: `#${o.id} ${o.classification} ${(o.existence * 100).toFixed(0)}% ${speed.toFixed(1)} m/s [${o.sensors.map((s) => s.kind).join("+")}]`,
          },
        ],
      };
    }),
  };
}
