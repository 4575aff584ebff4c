import type { ObjectClass, RadarDetection, RadarFrame, RadarObject, Vec3 } from "../types";
import { BadInputError } from "../types/errors";
import {
  arrayField,
  asFields,
  bytesField,
  type DecodeContext,
  type Fields,
  numArrayField,
  numField,
  type RosHeader,
  uintField,
  vec3Field,
} from "./common";
import type { PointColumns } from "./pointFields";

/*
 * ROS 2 radar messages → our RadarFrame. radar_msgs (ros-perception/radar_msgs, the REP-0103 frame
 * of the radar: x forward, azimuth positive to the left) says less than our frame holds; what a
 * message does not report is NaN where the radar encoder treats NaN as "not reported" (SNR and
 * standard deviations of a detection, a track's heading), and a stated neutral value where it
 * needs a number (see the docs, docs/decode.md "ROS 2 radar").
 */

/** A return the radar did not rate is taken as real: its encoder counts returns under 0.5 as clutter. */
const UNRATED_EXISTENCE = 1;
/** Position / velocity standard deviations of a track whose covariance is all zero (not reported). */
const UNREPORTED_POSITION_STD_M = 0.5;
const UNREPORTED_VELOCITY_STD_MPS = 0.5;

/** radar_msgs/RadarTrack classification: 0..2 are generic, 32000+ vendor classes (Autoware's numbering, as its converter reads them). */
const TRACK_CLASSES: Readonly<Record<number, ObjectClass>> = {
  32001: "car",
  32002: "truck",
  32003: "truck", // bus
  32004: "truck", // trailer
  32005: "motorcycle",
  32006: "cyclist",
  32007: "pedestrian",
};

function radarFrame(ctx: DecodeContext, h: RosHeader, parts: Pick<RadarFrame, "detections" | "objects">): RadarFrame {
  return { kind: "radar", sensorId: ctx.sensorId, topic: ctx.topic, frameId: h.frameId, stamp: h.stamp, receivedAt: ctx.logTime, ...parts };
}

/** A detection from what a return reports; the rest is NaN (not reported) or rated real. */
function detection(d: Pick<RadarDetection, "rangeM" | "azimuthRad" | "elevationRad" | "rangeRateMps" | "rcsDbsm"> & { snrDb?: number }) {
  return {
    ...d,
    snrDb: d.snrDb ?? Number.NaN,
    rangeStdM: Number.NaN,
    azimuthStdRad: Number.NaN,
    rangeRateStdMps: Number.NaN,
    existenceProbability: UNRATED_EXISTENCE,
  };
}

/** radar_msgs/msg/RadarScan: returns (range, azimuth, elevation, doppler_velocity, amplitude) → detections. */
export function radarScan(o: Fields, ctx: DecodeContext, h: RosHeader): RadarFrame {
  const what = "radar_msgs/msg/RadarScan";
  const detections: RadarDetection[] = [];
  arrayField(o, "returns", what).forEach((raw, i) => {
    const w = `${what}.returns[${i}]`;
    const r = asFields(raw, w);
    const n = (key: string): number => numField(r, key, w, { finite: false });
    // amplitude (dB) is the return's strength: the nearest thing to an RCS the message has.
    const d = detection({
      rangeM: n("range"),
      azimuthRad: n("azimuth"),
      elevationRad: n("elevation"),
      rangeRateMps: n("doppler_velocity"),
      rcsDbsm: n("amplitude"),
    });
    if ([d.rangeM, d.azimuthRad, d.elevationRad, d.rangeRateMps, d.rcsDbsm].every(Number.isFinite)) detections.push(d);
    else ctx.dropped++;
  });
  return radarFrame(ctx, h, { detections, objects: [] });
}

/** Standard deviations from an upper-triangle covariance [xx, xy, xz, yy, yz, zz]; all zero = not reported. */
function stdOf(cov: number[], unreported: number, w: string): Vec3 {
  const [xx, yy, zz] = [cov[0]!, cov[3]!, cov[5]!];
  if (xx < 0 || yy < 0 || zz < 0)
    throw new BadInputError({ where: w, what: `negative variance in [${cov.join(", ")}]`, expected: "variances ≥ 0" });
  if (cov.every((c) => c === 0)) return { x: unreported, y: unreported, z: unreported };
  return { x: Math.sqrt(xx), y: Math.sqrt(yy), z: Math.sqrt(zz) };
}

/** A track id from its 16-byte UUID: the four 32-bit words XOR-ed (a driver that writes its small id into one byte keeps it). */
function uuidId(track: Fields, w: string): number {
  const u = track.uuid == null ? new Uint8Array(16) : bytesField(asFields(track.uuid, `${w}.uuid`), "uuid", `${w}.uuid`);
  if (u.length !== 16) throw new BadInputError({ where: `${w}.uuid`, what: `${u.length} bytes`, expected: "16" });
  const v = new DataView(u.buffer, u.byteOffset, 16);
  return (v.getUint32(0) ^ v.getUint32(4) ^ v.getUint32(8) ^ v.getUint32(12)) >>> 0;
}

function track(t: Fields, w: string): RadarObject {
  const cov = (key: string): number[] => numArrayField(t, key, w, 6);
  const size = vec3Field(t, "size", w);
  const cls = TRACK_CLASSES[uintField(t, "classification", w)];
  return {
    id: uuidId(t, w),
    ageMs: 0, // not reported
    position: vec3Field(t, "position", w),
    positionStd: stdOf(cov("position_covariance"), UNREPORTED_POSITION_STD_M, `${w}.position_covariance`),
    velocity: vec3Field(t, "velocity", w),
    velocityStd: stdOf(cov("velocity_covariance"), UNREPORTED_VELOCITY_STD_MPS, `${w}.velocity_covariance`),
    acceleration: vec3Field(t, "acceleration", w),
    yawRad: Number.NaN, // a RadarTrack has no heading
    yawStdRad: Number.NaN,
    length: size.x,
    width: size.y,
    height: size.z,
    existenceProbability: UNRATED_EXISTENCE, // the radar publishes the tracks it confirmed
    classification: cls ?? "unknown",
    classProbabilities: cls ? { [cls]: 1 } : {},
    rcsDbsm: 0, // not reported; the radar encoder needs a number
  };
}

/**
 * radar_msgs/msg/RadarTracks → objects. A track with a non-finite position, velocity or size is
 * dropped and counted, like a NaN detection.
 */
export function radarTracks(o: Fields, ctx: DecodeContext, h: RosHeader): RadarFrame {
  const what = "radar_msgs/msg/RadarTracks";
  const objects: RadarObject[] = [];
  arrayField(o, "tracks", what).forEach((raw, i) => {
    const w = `${what}.tracks[${i}]`;
    const t = asFields(raw, w);
    const finite = (key: string): boolean => {
      const v = t[key] == null ? {} : asFields(t[key], `${w}.${key}`);
      return ["x", "y", "z"].every((k) => Number.isFinite(numField(v, k, `${w}.${key}`, { finite: false })));
    };
    if (!["position", "velocity", "acceleration", "size"].every(finite)) {
      ctx.dropped++;
      return;
    }
    objects.push(track(t, w));
  });
  return radarFrame(ctx, h, { detections: [], objects });
}

const first = (cols: PointColumns, names: readonly string[]): Float64Array | undefined =>
  names.map((n) => cols.get(n)).find((c) => c !== undefined);

/** Range-rate (Doppler) field names; nuScenes-style clouds give vx, vy instead. */
export const DOPPLER_FIELDS = ["doppler", "doppler_velocity", "range_rate", "radial_velocity", "v_r", "vr"] as const;
const RCS_FIELDS = ["rcs", "RCS", "rcs_dbsm", "amplitude", "power", "intensity"];

/**
 * Whether a PointCloud2's field names say radar: an RCS field, vx and vy (nuScenes), or a Doppler
 * field on a cloud without a `ring` (an FMCW LiDAR has rings and a `velocity` field, which alone is
 * not taken as radar).
 */
export function radarCloudFields(names: readonly string[]): boolean {
  const has = new Set(names);
  if (has.has("rcs") || has.has("RCS") || has.has("rcs_dbsm")) return true;
  if (has.has("vx") && has.has("vy")) return true;
  return !has.has("ring") && DOPPLER_FIELDS.some((n) => has.has(n));
}

/**
 * Radar points → detections: range, azimuth and elevation from x, y, z (or `range` / `azimuth` /
 * `elevation` fields), range rate from a Doppler field or the line-of-sight part of (vx, vy[, vz])
 * (uncompensated: what the radar measured), RCS from `rcs` (or the return's amplitude / power /
 * intensity), SNR from `snr`. Points with a non-finite position are dropped and counted.
 */
export function radarCloudDetections(cols: PointColumns, ctx: DecodeContext): RadarDetection[] {
  const [x, y, z] = [cols.get("x"), cols.get("y"), cols.get("z")];
  const [range, azimuth, elevation] = [cols.get("range"), cols.get("azimuth"), cols.get("elevation")];
  const doppler = first(cols, DOPPLER_FIELDS);
  const [vx, vy, vz] = [cols.get("vx"), cols.get("vy"), cols.get("vz")];
  const rcs = first(cols, RCS_FIELDS);
  const snr = cols.get("snr");
  const out: RadarDetection[] = [];
  for (let i = 0; i < cols.count; i++) {
    const [px, py, pz] = [x?.[i] ?? 0, y?.[i] ?? 0, z?.[i] ?? 0];
    const r = range ? range[i]! : Math.hypot(px, py, pz);
    const az = azimuth ? azimuth[i]! : Math.atan2(py, px);
    const el = elevation ? elevation[i]! : Math.atan2(pz, Math.hypot(px, py));
    if (!(Number.isFinite(r) && Number.isFinite(az) && Number.isFinite(el))) {
      ctx.dropped++;
      continue;
    }
    let rr = doppler ? doppler[i]! : Number.NaN;
    if (!doppler && vx && vy && r > 0) rr = (px * vx[i]! + py * vy[i]! + pz * (vz?.[i] ?? 0)) / r;
    out.push(
      detection({
        rangeM: r,
        azimuthRad: az,
        elevationRad: el,
        rangeRateMps: rr,
        rcsDbsm: rcs ? rcs[i]! : Number.NaN,
        snrDb: snr?.[i] ?? Number.NaN,
      }),
    );
  }
  return out;
}

/** A radar PointCloud2 frame from its columns. */
export function radarCloud(cols: PointColumns, ctx: DecodeContext, h: RosHeader): RadarFrame {
  return radarFrame(ctx, h, { detections: radarCloudDetections(cols, ctx), objects: [] });
}
