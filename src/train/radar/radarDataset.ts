import type { Scenario } from "../../sim/scenario";
import type { WorldSnapshot } from "../../sim/world";
import { RADAR_MOUNT } from "../../sim/rig";
import type { ObjectClass, RadarObject } from "../../types";
import { nearbyDetections, objectProblem, trackFeatures } from "../../encoders/radar/features";
import { RADAR_CLASSES, type RadarClass } from "../../encoders/radar/model";
import { simulateRadarFrames } from "../simStreams";

/*
 * Radar training examples: every confirmed track of every n-th scan, labelled by matching its
 * position to the simulator's bodies at the scan time (distance from the track's reference point
 * to the body's footprint rectangle). A track on no body (clutter, a multipath ghost) or on static
 * clutter (poles, guard rails) is `clutter`.
 */

/** A track further than this from every body footprint (m) is a false track. */
export const LABEL_GATE_M = 2;

export function radarClassOf(c: ObjectClass): RadarClass {
  switch (c) {
    case "pedestrian":
      return "pedestrian";
    case "cyclist":
      return "cyclist";
    case "static_clutter":
    case "unknown":
      return "clutter";
    default:
      return "vehicle";
  }
}

/** Label of one track (radar frame) against the world at the scan time. */
export function labelTrack(o: RadarObject, snap: WorldSnapshot): RadarClass {
  const px = o.position.x + RADAR_MOUNT.x + snap.ego.x;
  const py = o.position.y + RADAR_MOUNT.y + snap.ego.y;
  let best = Infinity;
  let cls: ObjectClass = "static_clutter";
  for (const b of snap.bodies) {
    const dx = px - b.x;
    const dy = py - b.y;
    const c = Math.cos(b.yaw);
    const s = Math.sin(b.yaw);
    const lx = c * dx + s * dy;
    const ly = -s * dx + c * dy;
    const d = Math.hypot(Math.max(0, Math.abs(lx) - b.body.length / 2), Math.max(0, Math.abs(ly) - b.body.width / 2));
    // Prefer actors over clutter at equal distance (a car next to a guard rail is a car).
    const score = d + (b.body.id >= 1000 && b.body.classification === "static_clutter" ? 0.25 : 0);
    if (score < best) {
      best = score;
      cls = b.body.classification;
    }
  }
  return best <= LABEL_GATE_M ? radarClassOf(cls) : "clutter";
}

export type RadarExample = { features: Float32Array; label: number; scenario: string; clear: boolean };

/** Examples of one scenario; `everyNth` thins consecutive scans (tracks change slowly). */
export function radarExamples(scenario: Scenario, everyNth = 2): RadarExample[] {
  const out: RadarExample[] = [];
  let k = 0;
  const clear = scenario.weather.visibilityM === undefined;
  for (const s of simulateRadarFrames(scenario)) {
    if (k++ % everyNth !== 0) continue;
    const objects = s.frame.objects.filter((o) => objectProblem(o) === undefined);
    const near = nearbyDetections(s.frame, objects);
    objects.forEach((o, i) => {
      out.push({
        features: trackFeatures(s.frame, o, near[i]!),
        label: RADAR_CLASSES.indexOf(labelTrack(o, s.snapshot)),
        scenario: scenario.name,
        clear,
      });
    });
  }
  return out;
}
