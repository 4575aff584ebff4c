import {
  OBJECT_CLASSES,
  type DecodedMessage,
  type GroundTruthFrame,
  type GroundTruthObject,
  type ObjectClass,
  type RadarDetection,
  type RadarFrame,
  type RadarObject,
  type SensorKind,
} from "../types";
import { arrayField, asFields, type DecodeContext, type Fields, numField, stampOf, strField, uintField, vec3Field } from "./common";
import { BadInputError } from "../types/errors";

/** avfusion.* protobuf schemas (proto/avfusion), decoded to plain objects with .proto field names. */
export const AVFUSION_DECODERS: Readonly<Record<string, (obj: Fields, ctx: DecodeContext) => DecodedMessage[]>> = {
  "avfusion.RadarScan": (o, ctx) => [radarScan(o, ctx)],
  "avfusion.GroundTruth": (o, ctx) => [groundTruth(o, ctx)],
};

function objectClass(o: Fields, key: string, what: string): ObjectClass {
  const v = o[key];
  if (v == null) return "unknown";
  if (typeof v === "string") {
    // enum by name, in case a decoder was asked for names: OBJECT_CLASS_EMERGENCY_VEHICLE
    const name = v.replace(/^OBJECT_CLASS_/, "").toLowerCase();
    const found = OBJECT_CLASSES.find((c) => c === name);
    if (found) return found;
  } else if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v < OBJECT_CLASSES.length) {
    return OBJECT_CLASSES[v];
  }
  // proto3 enums are open: an unknown number from a newer writer is not fatal.
  if (typeof v === "number" && Number.isInteger(v)) return "unknown";
  throw new BadInputError({ where: `${what}.${key}`, what: `expected an ObjectClass, got ${String(v)}` });
}

/** The radar's class names → ours; `animal` and `hazard` have no counterpart and are left out. */
const RADAR_CLASS_MAP: ReadonlyArray<[string, ObjectClass]> = [
  ["car", "car"],
  ["truck", "truck"],
  ["motorcycle", "motorcycle"],
  ["bicycle", "cyclist"],
  ["pedestrian", "pedestrian"],
  ["unknown", "unknown"],
];

function radarScan(o: Fields, ctx: DecodeContext): RadarFrame {
  const what = "avfusion.RadarScan";
  const detections: RadarDetection[] = [];
  arrayField(o, "detections", what).forEach((raw, i) => {
    const d = asFields(raw, `${what}.detections[${i}]`);
    const w = `${what}.detections[${i}]`;
    const det: RadarDetection = {
      rangeM: numField(d, "range_m", w, { finite: false }),
      azimuthRad: numField(d, "azimuth_rad", w, { finite: false }),
      elevationRad: numField(d, "elevation_rad", w, { finite: false }),
      rangeRateMps: numField(d, "range_rate_mps", w, { finite: false }),
      rcsDbsm: numField(d, "rcs_dbsm", w, { finite: false }),
      snrDb: numField(d, "snr_db", w, { finite: false }),
      rangeStdM: numField(d, "range_std_m", w, { finite: false }),
      azimuthStdRad: numField(d, "azimuth_std_rad", w, { finite: false }),
      rangeRateStdMps: numField(d, "range_rate_std_mps", w, { finite: false }),
      existenceProbability: numField(d, "existence_probability", w, { finite: false }),
    };
    // A detection with a NaN anywhere is useless downstream; drop it and count it like a NaN point.
    if (Object.values(det).every(Number.isFinite)) detections.push(det);
    else ctx.dropped++;
  });
  const objects: RadarObject[] = arrayField(o, "objects", what).map((raw, i) => {
    const w = `${what}.objects[${i}]`;
    const ob = asFields(raw, w);
    const probs: Partial<Record<ObjectClass, number>> = {};
    if (ob.class_probabilities != null) {
      const cp = asFields(ob.class_probabilities, `${w}.class_probabilities`);
      for (const [from, to] of RADAR_CLASS_MAP) {
        const p = numField(cp, from, `${w}.class_probabilities`);
        if (p !== 0) probs[to] = p;
      }
    }
    return {
      id: uintField(ob, "id", w),
      ageMs: uintField(ob, "age_ms", w),
      position: vec3Field(ob, "position", w),
      positionStd: vec3Field(ob, "position_std", w),
      velocity: vec3Field(ob, "velocity", w),
      velocityStd: vec3Field(ob, "velocity_std", w),
      acceleration: vec3Field(ob, "acceleration", w),
      yawRad: numField(ob, "yaw_rad", w),
      yawStdRad: numField(ob, "yaw_std_rad", w),
      length: numField(ob, "length_m", w),
      width: numField(ob, "width_m", w),
      height: numField(ob, "height_m", w),
      existenceProbability: numField(ob, "existence_probability", w),
      classification: objectClass(ob, "classification", w),
      classProbabilities: probs,
      rcsDbsm: numField(ob, "rcs_dbsm", w),
    };
  });
  return {
    kind: "radar",
    sensorId: ctx.sensorId,
    topic: ctx.topic,
    frameId: strField(o, "frame_id", what),
    stamp: stampOf(o.timestamp, ctx.logTime, "timestamp"),
    receivedAt: ctx.logTime,
    detections,
    objects,
    // The radar's own ego-speed input (0 when not reported): the tracker's ego-motion source.
    egoSpeedMps: numField(o, "ego_speed_mps", what),
  };
}

const VISIBILITY_KINDS: readonly SensorKind[] = ["camera", "lidar", "radar", "audio"];

function groundTruth(o: Fields, ctx: DecodeContext): GroundTruthFrame {
  const what = "avfusion.GroundTruth";
  const objects: GroundTruthObject[] = arrayField(o, "objects", what).map((raw, i) => {
    const w = `${what}.objects[${i}]`;
    const ob = asFields(raw, w);
    const visibility: Partial<Record<SensorKind, number>> = {};
    if (ob.visibility != null) {
      const v = asFields(ob.visibility, `${w}.visibility`);
      for (const k of VISIBILITY_KINDS) visibility[k] = numField(v, k, `${w}.visibility`);
    }
    return {
      id: uintField(ob, "id", w),
      classification: objectClass(ob, "classification", w),
      position: vec3Field(ob, "position", w),
      size: vec3Field(ob, "size", w),
      yawRad: numField(ob, "yaw_rad", w),
      velocity: vec3Field(ob, "velocity", w),
      sirenOn: ob.siren_on === true,
      visibility,
    };
  });
  const vis = numField(o, "visibility_m", what, { finite: false });
  if (Number.isNaN(vis) || vis < 0)
    throw new BadInputError({ where: `${what}.visibility_m`, what: `expected ≥ 0 m (0 = clear), got ${vis}` });
  return {
    kind: "groundTruth",
    topic: ctx.topic,
    stamp: stampOf(o.timestamp, ctx.logTime, "timestamp"),
    frameId: strField(o, "frame_id", what),
    objects,
    // The schema says 0 = clear air (unbounded); our type says Infinity.
    visibilityM: vis === 0 ? Infinity : vis,
    sirenActive: o.siren_active === true,
    sirenBearingRad: numField(o, "siren_bearing_rad", what),
    egoSpeedMps: numField(o, "ego_speed_mps", what),
  };
}
