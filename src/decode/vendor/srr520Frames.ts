import type { Nanos, ObjectClass, RadarDetection, RadarFrame, RadarObject } from "../../types";
import type { Srr520DetectionList, Srr520ListHeader, Srr520ObjectList } from "./srr520";

/* SRR520 lists → our RadarFrame: detections in the radar frame, objects in the vehicle frame. */

export type Srr520FrameOptions = {
  sensorId: string;
  topic: string;
  /** Frame of the detections (the radar). */
  frameId: string;
  /** Frame of the objects: the SRR520 reports them in the vehicle frame (nebula `base_frame`). */
  objectFrameId?: string;
  receivedAt: Nanos;
};

/** Radar clock when synchronised, else the header frame's receive stamp (as nebula does). */
function listStamp(list: Srr520ListHeader): Nanos {
  return list.globalTimeStampSyncStatus === 1 ? list.globalStamp : list.packetStamp;
}

/**
 * Detection list → RadarFrame. The SRR520 gives no elevation, no standard deviations and no
 * existence probability per detection: elevation 0, stds NaN, existence probability = pdh00 == 0
 * (pdh00 is the radar's "probably a false detection" flag).
 */
export function srr520DetectionsToFrame(list: Srr520DetectionList, opts: Srr520FrameOptions): RadarFrame {
  const detections: RadarDetection[] = list.detections.map((d) => ({
    rangeM: d.range,
    azimuthRad: d.azimuthAngle,
    elevationRad: 0,
    rangeRateMps: d.rangeRate,
    rcsDbsm: d.rcs,
    snrDb: d.snr,
    rangeStdM: Number.NaN,
    azimuthStdRad: Number.NaN,
    rangeRateStdMps: Number.NaN,
    existenceProbability: d.pdh00 === 0 ? 1 : 0,
  }));
  return {
    kind: "radar",
    sensorId: opts.sensorId,
    topic: opts.topic,
    frameId: opts.frameId,
    stamp: listStamp(list),
    receivedAt: opts.receivedAt,
    detections,
    objects: [],
  };
}

/**
 * Object list → RadarFrame. The SRR520 gives no class, height or yaw std; `score` (0..100) is
 * the existence estimate.
 */
export function srr520ObjectsToFrame(list: Srr520ObjectList, opts: Srr520FrameOptions): RadarFrame {
  const unknown: ObjectClass = "unknown";
  const objects: RadarObject[] = list.objects.map((o) => ({
    id: o.objectId,
    // The radar counts age in cycles (`lifeCycles`), and the cycle time is not in these frames.
    ageMs: Number.NaN,
    position: { x: o.distX, y: o.distY, z: 0 },
    positionStd: { x: o.distXStd, y: o.distYStd, z: 0 },
    velocity: { x: o.vAbsX, y: o.vAbsY, z: 0 },
    velocityStd: { x: o.vAbsXStd, y: o.vAbsYStd, z: 0 },
    acceleration: { x: o.aAbsX, y: o.aAbsY, z: 0 },
    yawRad: o.orientation,
    yawStdRad: Number.NaN,
    length: o.boxValid ? o.boxLength : Number.NaN,
    width: o.boxValid ? o.boxWidth : Number.NaN,
    height: Number.NaN,
    existenceProbability: Math.min(1, o.score / 100),
    classification: unknown,
    classProbabilities: {},
    rcsDbsm: o.rcs,
  }));
  return {
    kind: "radar",
    sensorId: opts.sensorId,
    topic: opts.topic,
    frameId: opts.objectFrameId ?? "base_link",
    stamp: listStamp(list),
    receivedAt: opts.receivedAt,
    detections: [],
    objects,
  };
}
