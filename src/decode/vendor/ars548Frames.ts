import type { Nanos, ObjectClass, RadarDetection, RadarFrame, RadarObject, Vec3 } from "../../types";
import type { Ars548DetectionList, Ars548Object, Ars548ObjectList, Ars548Stamp } from "./ars548Types";

/*
 * ARS548 raw lists → our RadarFrame: detections in the radar's polar frame, objects in the vehicle
 * frame the radar reports them in, or moved into the radar frame when its mounting is known.
 */

export type Ars548FrameOptions = {
  sensorId: string;
  topic: string;
  /** Frame of the detections (the radar itself), e.g. the NebulaPackets header frame_id. */
  frameId: string;
  /**
   * Frame of the objects. The ARS548 reports objects in the vehicle frame it was configured with
   * (origin at the rear axle), not in its own frame; nebula calls this `object_frame`.
   */
  objectFrameId?: string;
  /** Host receive time of the packet (ns): the frame's `stamp` unless `useSensorTime`. */
  packetStamp: Nanos;
  receivedAt: Nanos;
  /** Stamp frames with the radar's clock when it reports SYNC_OK (nebula `use_sensor_time`). */
  useSensorTime?: boolean;
  /**
   * Where the radar sits in the vehicle frame. When given, objects are moved into the radar's own
   * frame (`frameId`), next to the detections; without it they stay in the vehicle frame
   * (`objectFrameId`).
   */
  mounting?: Ars548Mounting;
};

export const ARS548_DEFAULT_OBJECT_FRAME = "base_link";

/** Radar pose in the vehicle frame: position (m) and yaw, pitch, roll (rad, applied z-y-x). */
export type Ars548Mounting = { x: number; y: number; z: number; yawRad: number; pitchRad: number; rollRad: number };

/** The mounting the radar reports with every detection list (`origin_*`). */
export function ars548MountingOf(list: Ars548DetectionList): Ars548Mounting {
  return {
    x: list.originPos.x,
    y: list.originPos.y,
    z: list.originPos.z,
    yawRad: list.originYaw,
    pitchRad: list.originPitch,
    rollRad: list.originRoll,
  };
}

/** Rows of R, the rotation radar → vehicle (R = Rz(yaw)·Ry(pitch)·Rx(roll)). */
function rotation(m: Ars548Mounting): number[][] {
  const [cy, sy] = [Math.cos(m.yawRad), Math.sin(m.yawRad)];
  const [cp, sp] = [Math.cos(m.pitchRad), Math.sin(m.pitchRad)];
  const [cr, sr] = [Math.cos(m.rollRad), Math.sin(m.rollRad)];
  return [
    [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
    [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
    [-sp, cp * sr, cp * cr],
  ];
}

/** vehicle → radar: Rᵀ·v. */
function toSensor(r: number[][], v: Vec3): Vec3 {
  return {
    x: r[0]![0]! * v.x + r[1]![0]! * v.y + r[2]![0]! * v.z,
    y: r[0]![1]! * v.x + r[1]![1]! * v.y + r[2]![1]! * v.z,
    z: r[0]![2]! * v.x + r[1]![2]! * v.y + r[2]![2]! * v.z,
  };
}

/** Standard deviations through Rᵀ, ignoring the (small) cross-covariances. */
function stdToSensor(r: number[][], s: Vec3): Vec3 {
  const q = (i: number): number => Math.sqrt((r[0]![i]! * s.x) ** 2 + (r[1]![i]! * s.y) ** 2 + (r[2]![i]! * s.z) ** 2);
  return { x: q(0), y: q(1), z: q(2) };
}

function frameStamp(list: Ars548Stamp, opts: Ars548FrameOptions): Nanos {
  return opts.useSensorTime === true && list.syncStatus === 1 ? list.sensorStamp : opts.packetStamp;
}

/**
 * Detection list → RadarFrame (detections only, in the radar's polar frame, azimuth positive to
 * the left as the radar reports it). The ARS548 reports no SNR: `snrDb` is NaN. Detections whose
 * range or azimuth the radar flags invalid, or that are not finite numbers, are dropped.
 */
export function ars548DetectionsToFrame(list: Ars548DetectionList, opts: Ars548FrameOptions): RadarFrame {
  const detections: RadarDetection[] = [];
  for (const d of list.detections) {
    if (d.invalidDistance || d.invalidAzimuth) continue;
    // A corrupt payload with a valid header can carry NaN / Inf; keep them out of the pipeline.
    if (!(Number.isFinite(d.range) && d.range >= 0 && Number.isFinite(d.azimuthAngle) && Number.isFinite(d.rangeRate))) continue;
    detections.push({
      rangeM: d.range,
      azimuthRad: d.azimuthAngle,
      elevationRad: d.invalidElevation ? 0 : d.elevationAngle,
      rangeRateMps: d.rangeRate,
      rcsDbsm: d.rcs,
      snrDb: Number.NaN,
      rangeStdM: d.rangeStd,
      azimuthStdRad: d.azimuthAngleStd,
      rangeRateStdMps: d.rangeRateStd,
      existenceProbability: d.rawPositivePredictiveValue / 100,
    });
  }
  return {
    kind: "radar",
    sensorId: opts.sensorId,
    topic: opts.topic,
    frameId: opts.frameId,
    stamp: frameStamp(list, opts),
    receivedAt: opts.receivedAt,
    detections,
    objects: [],
  };
}

/**
 * How ARS548 classes map to ours. Animal and hazard (small obstacles on the road) have no class of
 * their own here, so they count towards `unknown`.
 */
function classProbabilities(o: Ars548Object): Partial<Record<ObjectClass, number>> {
  return {
    car: o.rawClassificationCar / 100,
    truck: o.rawClassificationTruck / 100,
    motorcycle: o.rawClassificationMotorcycle / 100,
    cyclist: o.rawClassificationBicycle / 100,
    pedestrian: o.rawClassificationPedestrian / 100,
    unknown: Math.min(1, (o.rawClassificationUnknown + o.rawClassificationAnimal + o.rawClassificationHazard) / 100),
  };
}

function argmaxClass(p: Partial<Record<ObjectClass, number>>): ObjectClass {
  let best: ObjectClass = "unknown";
  let bestP = -1;
  for (const [cls, prob] of Object.entries(p) as [ObjectClass, number][]) {
    if (prob > bestP) {
      best = cls;
      bestP = prob;
    }
  }
  return best;
}

/**
 * Object list → RadarFrame (objects only). The radar reports objects in the vehicle frame; with
 * `mounting` they are moved into the radar frame (`frameId`), else they keep the vehicle frame
 * (`objectFrameId`, default `base_link`). Velocity and acceleration are the radar's over-ground
 * (absolute) estimates, expressed in the frame's axes. The ARS548 reports no height, no z velocity and no
 * object RCS: `height` and `rcsDbsm` are NaN, z components 0. Objects whose position or
 * velocity is not a finite number (a corrupt payload) are dropped.
 */
export function ars548ObjectsToFrame(list: Ars548ObjectList, opts: Ars548FrameOptions): RadarFrame {
  const finite = (v: Vec3): boolean => Number.isFinite(v.x) && Number.isFinite(v.y) && Number.isFinite(v.z);
  const m = opts.mounting;
  const r = m ? rotation(m) : undefined;
  const objects: RadarObject[] = list.objects
    .filter((o) => finite(o.position) && finite(o.absoluteVelocity))
    .map((o) => {
      const probs = classProbabilities(o);
      const object: RadarObject = {
        id: o.objectId,
        ageMs: o.age,
        position: o.position,
        positionStd: o.positionStd,
        velocity: o.absoluteVelocity,
        velocityStd: o.absoluteVelocityStd,
        acceleration: o.absoluteAcceleration,
        yawRad: o.orientation,
        yawStdRad: o.orientationStd,
        length: o.shapeLengthEdgeMean,
        width: o.shapeWidthEdgeMean,
        height: Number.NaN,
        existenceProbability: o.rawExistenceProbability / 100,
        classification: argmaxClass(probs),
        classProbabilities: probs,
        rcsDbsm: Number.NaN,
      };
      if (!r || !m) return object;
      const p = o.position;
      return {
        ...object,
        position: toSensor(r, { x: p.x - m.x, y: p.y - m.y, z: p.z - m.z }),
        positionStd: stdToSensor(r, o.positionStd),
        velocity: toSensor(r, o.absoluteVelocity),
        velocityStd: stdToSensor(r, o.absoluteVelocityStd),
        acceleration: toSensor(r, o.absoluteAcceleration),
        yawRad: Math.atan2(Math.sin(o.orientation - m.yawRad), Math.cos(o.orientation - m.yawRad)),
      };
    });
  return {
    kind: "radar",
    sensorId: opts.sensorId,
    topic: opts.topic,
    frameId: m ? opts.frameId : (opts.objectFrameId ?? ARS548_DEFAULT_OBJECT_FRAME),
    stamp: frameStamp(list, opts),
    receivedAt: opts.receivedAt,
    detections: [],
    objects,
  };
}
