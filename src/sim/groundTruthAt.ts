import { type GroundTruthFrame, type GroundTruthObject, type Nanos } from "../types";
import { HORN_AMPLITUDE, SIREN_AMPLITUDE, roadNoiseRms } from "./AudioSynth";
import { EGO_FRAME, MIC_ARRAY_MOUNT, TOPICS } from "./rig";
import { windowActive, type World, type WorldSnapshot } from "./world";

/** Per sensor, body id → how visible the body was in that sensor's latest output (0..1). */
export type Visibility = { camera: Map<number, number>; lidar: Map<number, number>; radar: Map<number, number> };

/** Static clutter further than this from the ego is left out of the ground truth. */
const GT_CLUTTER_RANGE_M = 100;

/** Ground truth at one instant, in the ego frame; per-sensor visibility from each sensor's latest output. */
export function groundTruthAt(world: World, snap: WorldSnapshot, stamp: Nanos, vis: Visibility, beta: number): GroundTruthFrame {
  const objects: GroundTruthObject[] = [];
  const ego = snap.ego;
  const noise = roadNoiseRms(ego.speed);
  let sirenActive = false;
  let sirenBearing = 0;
  let sirenDist = Infinity;
  for (const b of snap.bodies) {
    const rx = b.x - ego.x;
    const ry = b.y - ego.y;
    const dist = Math.hypot(rx, ry);
    const isActor = b.body.id < 1000;
    if (!isActor && dist > GT_CLUTTER_RANGE_M) continue;
    const sirenOn = !!b.body.siren && windowActive(b.body.siren.on, snap.t);
    const hornOn = !!b.body.horn && windowActive(b.body.horn, snap.t);
    if (sirenOn && dist < sirenDist) {
      sirenActive = true;
      sirenDist = dist;
      sirenBearing = Math.atan2(ry, rx);
    }
    const micDist = Math.max(0.5, Math.hypot(b.x - ego.x - MIC_ARRAY_MOUNT.x, b.y - ego.y));
    const level = ((sirenOn ? SIREN_AMPLITUDE : 0) + (hornOn ? HORN_AMPLITUDE : 0)) / micDist;
    objects.push({
      id: b.body.id,
      classification: b.body.classification,
      position: { x: rx, y: ry, z: b.z },
      size: { x: b.body.length, y: b.body.width, z: b.body.height },
      yawRad: b.yaw - ego.yaw,
      velocity: { x: b.vx, y: b.vy, z: 0 },
      sirenOn,
      visibility: {
        camera: vis.camera.get(b.body.id) ?? 0,
        lidar: vis.lidar.get(b.body.id) ?? 0,
        radar: vis.radar.get(b.body.id) ?? 0,
        audio: level > noise ? 1 : 0,
      },
    });
  }
  return {
    kind: "groundTruth",
    topic: TOPICS.groundTruth,
    stamp,
    frameId: EGO_FRAME,
    objects,
    visibilityM: beta > 0 ? 3.912 / beta : Infinity,
    sirenActive,
    sirenBearingRad: sirenBearing,
    egoSpeedMps: ego.speed,
  };
}
