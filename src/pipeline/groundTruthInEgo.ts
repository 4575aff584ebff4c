import {
  normalized,
  rotate,
  rotationMatrix,
  type FrameTransform,
  type GroundTruthFrame,
  type Nanos,
  type StampedHistory,
  type Vec3,
} from "../types";

/*
 * Ground truth given in another frame (annotations in `map`, as nuScenes-to-MCAP converters write
 * them) moved into the ego frame through the recording's /tf as it stood at the frame's stamp:
 * up from each frame to the tree's root, then down to the ego frame.
 */

type Rigid = { R: number[]; t: Vec3 };

const IDENTITY: Rigid = { R: [1, 0, 0, 0, 1, 0, 0, 0, 1], t: { x: 0, y: 0, z: 0 } };

function rigidOf(t: FrameTransform): Rigid {
  return { R: rotationMatrix(normalized(t.rotation)), t: t.translation };
}

/** a ∘ b: first b, then a. */
function compose(a: Rigid, b: Rigid): Rigid {
  const R = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) R[r * 3 + c]! += a.R[r * 3 + k]! * b.R[k * 3 + c]!;
  const t = rotate(a.R, b.t);
  return { R, t: { x: t.x + a.t.x, y: t.y + a.t.y, z: t.z + a.t.z } };
}

function inverse(a: Rigid): Rigid {
  const Rt = [a.R[0]!, a.R[3]!, a.R[6]!, a.R[1]!, a.R[4]!, a.R[7]!, a.R[2]!, a.R[5]!, a.R[8]!];
  const t = rotate(Rt, a.t);
  return { R: Rt, t: { x: -t.x, y: -t.y, z: -t.z } };
}

/** root ← frame at `stamp`, and the root's name (the frame with no parent in the tree). */
function toRoot(frame: string, stamp: Nanos, tf: Pick<StampedHistory<FrameTransform>, "at">): { root: string; T: Rigid } {
  let T = IDENTITY;
  let f = frame;
  for (let depth = 0; depth < 32; depth++) {
    const up = tf.at(f, stamp);
    if (!up) break;
    T = compose(rigidOf(up), T);
    f = up.parentFrameId;
  }
  return { root: f, T };
}

/**
 * The frame's objects in `egoFrame` (the ego frame, `base_link`), or undefined when /tf joins
 * the two frames nowhere yet (their roots differ).
 */
export function groundTruthInEgo(
  gt: GroundTruthFrame,
  tf: Pick<StampedHistory<FrameTransform>, "at">,
  egoFrame = "base_link",
): GroundTruthFrame | undefined {
  if (!gt.inFrame) return gt;
  const { inFrame: _moved, ...plain } = gt;
  if (gt.frameId === egoFrame) return plain;
  const from = toRoot(gt.frameId, gt.stamp, tf);
  const ego = toRoot(egoFrame, gt.stamp, tf);
  if (from.root !== ego.root) return undefined;
  const T = compose(inverse(ego.T), from.T);
  return {
    ...plain,
    frameId: egoFrame,
    objects: gt.objects.map((o) => {
      const p = rotate(T.R, o.position);
      const heading = rotate(T.R, { x: Math.cos(o.yawRad), y: Math.sin(o.yawRad), z: 0 });
      return {
        ...o,
        position: { x: p.x + T.t.x, y: p.y + T.t.y, z: p.z + T.t.z },
        yawRad: Math.atan2(heading.y, heading.x),
        velocity: rotate(T.R, o.velocity),
      };
    }),
  };
}
