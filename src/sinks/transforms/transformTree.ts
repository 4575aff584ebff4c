import type { FrameTransform, Nanos, SceneState } from "../../types";
import { toSecNsec } from "../../types/time";
import type { SceneContext } from "../sceneContext";
import { IDENTITY } from "./rigid";

/** The world-fixed frame of ROS REP 105 that the ego frame moves in. */
export const ODOM_FRAME = "odom";

/** One edge of the transform tree, as every output writes it (Foxglove FrameTransform, tf2 TransformStamped). */
export type TreeTransform = Omit<FrameTransform, "kind" | "topic">;

/**
 * `odom → <scene frame>` at the scene's stamp. The pipeline estimates no ego motion (no odometry
 * is decoded, and the simulator's ground truth carries only the ego speed), so the transform is
 * the identity: the odom frame coincides with the ego frame at every tick, and boxes drawn in
 * `odom` are where they are relative to the car at that tick, not positions on a map.
 */
export function egoTransform(scene: SceneState): TreeTransform {
  return { stamp: scene.stamp, parentFrameId: ODOM_FRAME, childFrameId: scene.frameId, ...IDENTITY };
}

function sameMounting(a: FrameTransform, b: FrameTransform): boolean {
  const t = (x: FrameTransform) => [x.parentFrameId, x.translation.x, x.translation.y, x.translation.z];
  const r = (x: FrameTransform) => [x.rotation.x, x.rotation.y, x.rotation.z, x.rotation.w];
  return [...t(a), ...r(a)].every((v, i) => v === [...t(b), ...r(b)][i]);
}

/**
 * The sensor mountings to write with this tick: all of them the first time they are known and
 * whenever one is added or changes (a recording re-sending the same /tf every second writes
 * nothing new), so the static part of the tree is in the output before the first message that
 * needs it. Each keeps the recording's own stamp; a mounting stamped after the tick it is first
 * written with is moved back to the tick, so a viewer can look it up for that tick.
 */
export function createMountingTracker() {
  const written = new Map<string, FrameTransform>();
  return {
    changed(context: SceneContext | undefined, tick: Nanos): TreeTransform[] {
      if (context === undefined) return [];
      const all = [...context.transforms.values()].sort((a, b) => (a.childFrameId < b.childFrameId ? -1 : 1));
      const fresh =
        all.length !== written.size || all.some((t) => !written.has(t.childFrameId) || !sameMounting(written.get(t.childFrameId)!, t));
      if (!fresh) return [];
      written.clear();
      for (const t of all) written.set(t.childFrameId, t);
      return all.map((t) => ({
        stamp: t.stamp <= tick ? t.stamp : tick,
        parentFrameId: t.parentFrameId,
        childFrameId: t.childFrameId,
        translation: t.translation,
        rotation: t.rotation,
      }));
    },
  };
}

/** A foxglove.FrameTransforms object (snake_case keys for encodeProto). */
export function toFrameTransforms(transforms: readonly TreeTransform[]): object {
  return {
    transforms: transforms.map((t) => {
      const { sec, nsec } = toSecNsec(t.stamp);
      return {
        timestamp: { seconds: sec, nanos: nsec },
        parent_frame_id: t.parentFrameId,
        child_frame_id: t.childFrameId,
        translation: { ...t.translation },
        rotation: { ...t.rotation },
      };
    }),
  };
}
