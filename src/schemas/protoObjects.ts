import type { CameraCalibration, FrameTransform, GroundTruthFrame, Nanos, ObjectClass, RadarDetection, RadarObject, Vec3 } from "../types";
import { NS_PER_SEC } from "../types";

// Globals are looked up through a slow path inside Jest's sandbox; module constants are not.
const M = Math;

/**
 * Plain objects with the .proto field names (snake_case) for `encodeProto`, from the shared
 * frame types. One function per schema we write.
 */
export function timestamp(ns: Nanos): { seconds: number; nanos: number } {
  const sec = ns / NS_PER_SEC;
  return { seconds: Number(sec), nanos: Number(ns - sec * NS_PER_SEC) };
}

export function objectClassEnum(c: ObjectClass): string {
  return `OBJECT_CLASS_${c.toUpperCase()}`;
}

const vec = (v: Vec3): Vec3 => ({ x: v.x, y: v.y, z: v.z });

export function groundTruthProto(g: GroundTruthFrame): object {
  return {
    timestamp: timestamp(g.stamp),
    frame_id: g.frameId,
    objects: g.objects.map((o) => ({
      id: o.id,
      classification: objectClassEnum(o.classification),
      position: vec(o.position),
      size: vec(o.size),
      yaw_rad: o.yawRad,
      velocity: vec(o.velocity),
      siren_on: o.sirenOn,
      // Absent when not modelled (an annotated real frame), so it reads back as `{}`, not as 0 = unseen.
      ...(Object.keys(o.visibility).length === 0
        ? {}
        : {
            visibility: {
              camera: o.visibility.camera ?? 0,
              lidar: o.visibility.lidar ?? 0,
              radar: o.visibility.radar ?? 0,
              audio: o.visibility.audio ?? 0,
            },
          }),
    })),
    visibility_m: Number.isFinite(g.visibilityM) ? g.visibilityM : 0,
    siren_active: g.sirenActive,
    siren_bearing_rad: g.sirenBearingRad,
    ego_speed_mps: g.egoSpeedMps,
  };
}

function radarClassProbabilities(p: Partial<Record<ObjectClass, number>>): object {
  return {
    car: (p.car ?? 0) + (p.emergency_vehicle ?? 0),
    truck: p.truck ?? 0,
    motorcycle: p.motorcycle ?? 0,
    bicycle: p.cyclist ?? 0,
    pedestrian: p.pedestrian ?? 0,
    animal: 0,
    hazard: p.static_clutter ?? 0,
    unknown: p.unknown ?? 0,
  };
}

export function radarScanProto(
  stamp: Nanos,
  frameId: string,
  detections: RadarDetection[],
  objects: RadarObject[],
  cycle: number,
  egoSpeed: number,
): object {
  return {
    timestamp: timestamp(stamp),
    frame_id: frameId,
    detections: detections.map((d, i) => ({
      range_m: d.rangeM,
      azimuth_rad: d.azimuthRad,
      elevation_rad: d.elevationRad,
      range_rate_mps: d.rangeRateMps,
      rcs_dbsm: d.rcsDbsm,
      snr_db: d.snrDb,
      range_std_m: d.rangeStdM,
      azimuth_std_rad: d.azimuthStdRad,
      range_rate_std_mps: d.rangeRateStdMps,
      existence_probability: d.existenceProbability,
      measurement_id: i,
    })),
    objects: objects.map((o) => ({
      id: o.id,
      age_ms: o.ageMs,
      position: vec(o.position),
      position_std: vec(o.positionStd),
      velocity: vec(o.velocity),
      velocity_std: vec(o.velocityStd),
      acceleration: vec(o.acceleration),
      yaw_rad: o.yawRad,
      yaw_std_rad: o.yawStdRad,
      length_m: o.length,
      width_m: o.width,
      height_m: o.height,
      existence_probability: o.existenceProbability,
      classification: objectClassEnum(o.classification),
      class_probabilities: radarClassProbabilities(o.classProbabilities),
      rcs_dbsm: o.rcsDbsm,
    })),
    cycle_counter: cycle,
    ego_speed_mps: egoSpeed,
  };
}

/**
 * Coordinates are rounded to 1/256 m (3.9 mm, well below the 2 cm range noise) so that the low
 * mantissa bytes are zero and zstd can shrink point clouds noticeably.
 */
export const POINT_QUANTUM_M = 1 / 256;
function quantize(v: number): number {
  return M.round(v * 256) / 256;
}

/**
 * How a point cloud is laid out on the wire. `compact` (the simulator's recordings): x, y, z
 * float32 rounded to 1/256 m, intensity uint8 at 12, ring uint16 at 14; 16 bytes. `lossless`
 * (frames the live glue passes on): x, y, z, intensity float32, ring uint16 at 16 when present;
 * 16 or 20 bytes, so decoding gives back exactly the points that were written.
 */
export type PointCloudLayout = "compact" | "lossless";

/** The compact layout's stride (bytes per point). */
export const POINT_CLOUD_STRIDE = 16;

/** The fields of a cloud to write: `points` holds x, y, z, intensity per point (POINT_STRIDE 4). */
export type PointCloudInput = { stamp: Nanos; frameId: string; points: Float32Array; count: number; ring?: Uint16Array | undefined };

type Field = { name: string; offset: number; type: "FLOAT32" | "UINT8" | "UINT16" };

function pointFields(layout: PointCloudLayout, hasRing: boolean): { stride: number; fields: Field[] } {
  const xyz: Field[] = [
    { name: "x", offset: 0, type: "FLOAT32" },
    { name: "y", offset: 4, type: "FLOAT32" },
    { name: "z", offset: 8, type: "FLOAT32" },
  ];
  if (layout === "compact") {
    return {
      stride: POINT_CLOUD_STRIDE,
      fields: [...xyz, { name: "intensity", offset: 12, type: "UINT8" }, { name: "ring", offset: 14, type: "UINT16" }],
    };
  }
  const ring: Field[] = hasRing ? [{ name: "ring", offset: 16, type: "UINT16" }] : [];
  return { stride: hasRing ? 20 : 16, fields: [...xyz, { name: "intensity", offset: 12, type: "FLOAT32" }, ...ring] };
}

/** `foxglove.PointCloud` from a cloud, in the given layout (the one writer of point clouds). */
export function pointCloudProto(cloud: PointCloudInput, layout: PointCloudLayout): object {
  const { stride, fields } = pointFields(layout, cloud.ring !== undefined);
  const { points, ring, count } = cloud;
  const data = new Uint8Array(count * stride);
  const view = new DataView(data.buffer);
  const compact = layout === "compact";
  for (let i = 0; i < count; i++) {
    const o = i * stride;
    const s = i * 4;
    view.setFloat32(o, compact ? quantize(points[s]!) : points[s]!, true);
    view.setFloat32(o + 4, compact ? quantize(points[s + 1]!) : points[s + 1]!, true);
    view.setFloat32(o + 8, compact ? quantize(points[s + 2]!) : points[s + 2]!, true);
    if (compact) view.setUint8(o + 12, points[s + 3]!);
    else view.setFloat32(o + 12, points[s + 3]!, true);
    if (ring) view.setUint16(o + (compact ? 14 : 16), ring[i]!, true);
  }
  return {
    timestamp: timestamp(cloud.stamp),
    frame_id: cloud.frameId,
    pose: { position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
    point_stride: stride,
    fields,
    data,
  };
}

export function compressedImageProto(stamp: Nanos, frameId: string, data: Uint8Array, format: "jpeg" | "png" = "jpeg"): object {
  return { timestamp: timestamp(stamp), frame_id: frameId, data, format };
}

export function rawAudioProto(stamp: Nanos, samples: Int16Array, sampleRate: number, channels: number): object {
  const data = new Uint8Array(samples.length * 2);
  const view = new DataView(data.buffer);
  for (let i = 0; i < samples.length; i++) view.setInt16(i * 2, samples[i]!, true);
  return { timestamp: timestamp(stamp), data, format: "pcm-s16", sample_rate: sampleRate, number_of_channels: channels };
}

export function frameTransformsProto(transforms: FrameTransform[]): object {
  return {
    transforms: transforms.map((t) => ({
      timestamp: timestamp(t.stamp),
      parent_frame_id: t.parentFrameId,
      child_frame_id: t.childFrameId,
      translation: vec(t.translation),
      rotation: { x: t.rotation.x, y: t.rotation.y, z: t.rotation.z, w: t.rotation.w },
    })),
  };
}

export function cameraCalibrationProto(c: CameraCalibration): object {
  return {
    timestamp: timestamp(c.stamp),
    frame_id: c.frameId,
    width: c.width,
    height: c.height,
    distortion_model: c.distortionModel,
    D: c.D,
    K: c.K,
    R: c.R,
    P: c.P,
  };
}
