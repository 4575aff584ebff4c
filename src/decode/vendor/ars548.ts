/**
 * Continental ARS548 RDI radar: UDP payloads (big-endian, a SOME/IP-style header) → raw lists that
 * mirror the driver's message fields (continental_msgs ContinentalArs548DetectionList / ObjectList),
 * and from those to our RadarFrame. Layout after tier4/nebula's `continental_ars548.hpp` packet
 * structs (packed, no padding).
 */
import { fromSecNsec, type Nanos, type ObjectClass, type RadarDetection, type RadarFrame, type RadarObject, type Vec3 } from "../../types";
import { PacketDecodeError } from "./PacketDecodeError";

export const ARS548_METHOD = {
  objectList: 329,
  detectionList: 336,
  sensorStatus: 380,
  filterStatus: 396,
} as const;

/** UDP payload sizes; the header's length field counts the bytes after its own 8-byte header. */
export const ARS548_SIZE = {
  detectionList: 35336,
  objectList: 9401,
  /** Object list of the corner-radar firmware X.40.Y (200 objects). */
  objectListFw40: 37452,
  sensorStatus: 84,
  filterStatus: 330,
} as const;

const HEADER_SIZE = 8;
const MAX_DETECTIONS = 800;
const DETECTION_SIZE = 44;
const OBJECT_SIZE = 187;
/** Service id, method id, length, SOME/IP client/session/versions, E2E P07 header, stamp. */
const LIST_PREFIX = 50;
const DETECTIONS_AT = 101;
const DETECTION_TRAILER_AT = DETECTIONS_AT + MAX_DETECTIONS * DETECTION_SIZE;
const OBJECTS_AT = 51;

export type Ars548Stamp = {
  /** Radar clock (ns), valid when `syncStatus` is 1 (SYNC_OK). */
  sensorStamp: Nanos;
  /** 1 SYNC_OK, 2 NEVER_SYNC, 3 SYNC_LOST. */
  syncStatus: number;
};

export type Ars548Detection = {
  azimuthAngle: number;
  azimuthAngleStd: number;
  invalidFlags: number;
  invalidDistance: boolean;
  invalidDistanceStd: boolean;
  invalidAzimuth: boolean;
  invalidAzimuthStd: boolean;
  invalidElevation: boolean;
  invalidElevationStd: boolean;
  invalidRangeRate: boolean;
  invalidRangeRateStd: boolean;
  elevationAngle: number;
  elevationAngleStd: number;
  range: number;
  rangeStd: number;
  rangeRate: number;
  rangeRateStd: number;
  /** dBsm, integer. */
  rcs: number;
  measurementId: number;
  /** Percent, 0..100. */
  rawPositivePredictiveValue: number;
  classification: number;
  rawMultiTargetProbability: number;
  objectId: number;
  rawAmbiguityFlag: number;
  sortIndex: number;
};

export type Ars548DetectionList = Ars548Stamp & {
  type: "detectionList";
  /** Sensor mounting in the vehicle frame (m, rad) as the radar reports it. */
  originPos: Vec3;
  originRoll: number;
  originPitch: number;
  originPitchStd: number;
  originYaw: number;
  originYawStd: number;
  ambiguityFreeVelocityMin: number;
  ambiguityFreeVelocityMax: number;
  alignmentAzimuthCorrection: number;
  alignmentElevationCorrection: number;
  alignmentStatus: number;
  detections: Ars548Detection[];
};

export type Ars548Object = {
  objectId: number;
  /** ms */
  age: number;
  statusSensor: number;
  statusMeasurement: number;
  statusMovement: number;
  positionReference: number;
  /** Vehicle frame (rear axle origin, x forward, y left), m. */
  position: Vec3;
  positionStd: Vec3;
  positionCovarianceXy: number;
  orientation: number;
  orientationStd: number;
  /** Percent, 0..100. */
  rawExistenceProbability: number;
  existencePpv: number;
  rawClassificationCar: number;
  rawClassificationTruck: number;
  rawClassificationMotorcycle: number;
  rawClassificationBicycle: number;
  rawClassificationPedestrian: number;
  rawClassificationAnimal: number;
  rawClassificationHazard: number;
  rawClassificationUnknown: number;
  classificationOverdrivable: number;
  classificationUnderdrivable: number;
  absoluteVelocity: Vec3;
  absoluteVelocityStd: Vec3;
  absoluteVelocityCovarianceXy: number;
  relativeVelocity: Vec3;
  relativeVelocityStd: Vec3;
  relativeVelocityCovarianceXy: number;
  absoluteAcceleration: Vec3;
  absoluteAccelerationStd: Vec3;
  absoluteAccelerationCovarianceXy: number;
  relativeAcceleration: Vec3;
  relativeAccelerationStd: Vec3;
  relativeAccelerationCovarianceXy: number;
  orientationRateMean: number;
  orientationRateStd: number;
  shapeLengthEdgeMean: number;
  shapeLengthEdgeStd: number;
  shapeWidthEdgeMean: number;
  shapeWidthEdgeStd: number;
};

export type Ars548ObjectList = Ars548Stamp & {
  type: "objectList";
  objects: Ars548Object[];
};

export type Ars548SensorStatus = Ars548Stamp & {
  type: "sensorStatus";
  swVersion: string;
  /** Mounting: longitudinal, lateral, vertical (m), yaw, pitch (rad). */
  longitudinal: number;
  lateral: number;
  vertical: number;
  yaw: number;
  pitch: number;
  plugOrientation: number;
  vehicleLength: number;
  vehicleWidth: number;
  vehicleHeight: number;
  wheelbase: number;
  maximumDistance: number;
  frequencySlot: number;
  cycleTimeMs: number;
  timeSlotMs: number;
  hcc: number;
  powersaveStandstill: number;
  sensorIpAddress0: string;
  sensorIpAddress1: string;
  configurationCounter: number;
  radarStatus: number;
  voltageStatus: number;
  temperatureStatus: number;
  blockageStatus: number;
};

/** Recognised but not decoded (filter status); kept so callers can count it, not fail on it. */
export type Ars548Other = { type: "filterStatus"; byteLength: number };

export type Ars548Packet = Ars548DetectionList | Ars548ObjectList | Ars548SensorStatus | Ars548Other;

/** True when the bytes start like an ARS548 output PDU (service 0, known method, matching length). */
export function looksLikeArs548(bytes: Uint8Array): boolean {
  if (bytes.byteLength < HEADER_SIZE) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const method = view.getUint16(2);
  return (
    view.getUint16(0) === 0 &&
    (Object.values(ARS548_METHOD) as number[]).includes(method) &&
    view.getUint32(4) === bytes.byteLength - HEADER_SIZE
  );
}

/**
 * Decode one ARS548 UDP payload. Throws PacketDecodeError (one line: what, offset, expected) for a
 * truncated, oversized or unknown packet; never reads past the end of `bytes`.
 */
export function decodeArs548Packet(bytes: Uint8Array): Ars548Packet {
  if (bytes.byteLength < HEADER_SIZE) {
    throw new PacketDecodeError(
      `ARS548: packet is ${bytes.byteLength} bytes, expected at least the ${HEADER_SIZE}-byte header`,
      bytes.byteLength,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const serviceId = view.getUint16(0);
  const methodId = view.getUint16(2);
  const length = view.getUint32(4);
  if (serviceId !== 0) {
    throw new PacketDecodeError(`ARS548: service id ${serviceId} at offset 0, expected 0`, 0);
  }
  const checkSize = (what: string, sizes: number[]): void => {
    if (!sizes.includes(bytes.byteLength) || length !== bytes.byteLength - HEADER_SIZE) {
      throw new PacketDecodeError(
        `ARS548 ${what} (method ${methodId}): packet is ${bytes.byteLength} bytes with length field ${length} at offset 4, ` +
          `expected ${sizes.join(" or ")} bytes with length field ${sizes.map((s) => s - HEADER_SIZE).join(" or ")}`,
        Math.min(bytes.byteLength, sizes[0] ?? 0),
      );
    }
  };
  switch (methodId) {
    case ARS548_METHOD.detectionList:
      checkSize("detection list", [ARS548_SIZE.detectionList]);
      return decodeDetectionList(view);
    case ARS548_METHOD.objectList:
      checkSize("object list", [ARS548_SIZE.objectList, ARS548_SIZE.objectListFw40]);
      return decodeObjectList(view, bytes.byteLength === ARS548_SIZE.objectList ? 50 : 200);
    case ARS548_METHOD.sensorStatus:
      checkSize("sensor status", [ARS548_SIZE.sensorStatus]);
      return decodeSensorStatus(view);
    case ARS548_METHOD.filterStatus:
      checkSize("filter status", [ARS548_SIZE.filterStatus]);
      return { type: "filterStatus", byteLength: bytes.byteLength };
    default:
      throw new PacketDecodeError(
        `ARS548: method id ${methodId} at offset 2, expected one of ${Object.values(ARS548_METHOD).join(", ")}`,
        2,
      );
  }
}

function readStamp(view: DataView, at: number): Ars548Stamp {
  const nsec = view.getUint32(at);
  const sec = view.getUint32(at + 4);
  return { sensorStamp: fromSecNsec({ sec, nsec }), syncStatus: view.getUint8(at + 8) };
}

function decodeDetectionList(view: DataView): Ars548DetectionList {
  const f = (at: number): number => view.getFloat32(at);
  const count = view.getUint32(DETECTION_TRAILER_AT + 8);
  if (count > MAX_DETECTIONS) {
    throw new PacketDecodeError(
      `ARS548 detection list: number of detections ${count} at offset ${DETECTION_TRAILER_AT + 8}, expected at most ${MAX_DETECTIONS}`,
      DETECTION_TRAILER_AT + 8,
    );
  }
  const detections: Ars548Detection[] = [];
  for (let i = 0; i < count; i++) {
    const at = DETECTIONS_AT + i * DETECTION_SIZE;
    const flags = view.getUint8(at + 8);
    detections.push({
      azimuthAngle: f(at),
      azimuthAngleStd: f(at + 4),
      invalidFlags: flags,
      invalidDistance: (flags & 0x01) !== 0,
      invalidDistanceStd: (flags & 0x02) !== 0,
      invalidAzimuth: (flags & 0x04) !== 0,
      invalidAzimuthStd: (flags & 0x08) !== 0,
      invalidElevation: (flags & 0x10) !== 0,
      invalidElevationStd: (flags & 0x20) !== 0,
      invalidRangeRate: (flags & 0x40) !== 0,
      invalidRangeRateStd: (flags & 0x80) !== 0,
      elevationAngle: f(at + 9),
      elevationAngleStd: f(at + 13),
      range: f(at + 17),
      rangeStd: f(at + 21),
      rangeRate: f(at + 25),
      rangeRateStd: f(at + 29),
      rcs: view.getInt8(at + 33),
      measurementId: view.getUint16(at + 34),
      rawPositivePredictiveValue: view.getUint8(at + 36),
      classification: view.getUint8(at + 37),
      rawMultiTargetProbability: view.getUint8(at + 38),
      objectId: view.getUint16(at + 39),
      rawAmbiguityFlag: view.getUint8(at + 41),
      sortIndex: view.getUint16(at + 42),
    });
  }
  const t = DETECTION_TRAILER_AT;
  return {
    type: "detectionList",
    ...readStamp(view, 36),
    originPos: { x: f(52), y: f(60), z: f(68) },
    originRoll: f(76),
    originPitch: f(84),
    originPitchStd: f(88),
    originYaw: f(92),
    originYawStd: f(96),
    ambiguityFreeVelocityMin: f(t),
    ambiguityFreeVelocityMax: f(t + 4),
    alignmentAzimuthCorrection: f(t + 12),
    alignmentElevationCorrection: f(t + 16),
    alignmentStatus: view.getUint8(t + 20),
    detections,
  };
}

function decodeObjectList(view: DataView, maxObjects: number): Ars548ObjectList {
  const count = view.getUint8(LIST_PREFIX);
  if (count > maxObjects) {
    throw new PacketDecodeError(
      `ARS548 object list: number of objects ${count} at offset ${LIST_PREFIX}, expected at most ${maxObjects}`,
      LIST_PREFIX,
    );
  }
  const objects: Ars548Object[] = [];
  for (let i = 0; i < count; i++) objects.push(decodeObject(view, OBJECTS_AT + i * OBJECT_SIZE));
  return { type: "objectList", ...readStamp(view, 36), objects };
}

function decodeObject(view: DataView, at: number): Ars548Object {
  const f = (o: number): number => view.getFloat32(at + o);
  const u8 = (o: number): number => view.getUint8(at + o);
  const xy = (o: number): Vec3 => ({ x: f(o), y: f(o + 8), z: 0 });
  const xyStd = (o: number): Vec3 => ({ x: f(o + 4), y: f(o + 12), z: 0 });
  return {
    statusSensor: view.getUint16(at),
    objectId: view.getUint32(at + 2),
    age: view.getUint16(at + 6),
    statusMeasurement: u8(8),
    statusMovement: u8(9),
    positionReference: u8(12),
    position: { x: f(13), y: f(21), z: f(29) },
    positionStd: { x: f(17), y: f(25), z: f(33) },
    positionCovarianceXy: f(37),
    orientation: f(41),
    orientationStd: f(45),
    rawExistenceProbability: f(50),
    existencePpv: f(54),
    rawClassificationCar: u8(58),
    rawClassificationTruck: u8(59),
    rawClassificationMotorcycle: u8(60),
    rawClassificationBicycle: u8(61),
    rawClassificationPedestrian: u8(62),
    rawClassificationAnimal: u8(63),
    rawClassificationHazard: u8(64),
    rawClassificationUnknown: u8(65),
    classificationOverdrivable: u8(66),
    classificationUnderdrivable: u8(67),
    absoluteVelocity: xy(69),
    absoluteVelocityStd: xyStd(69),
    absoluteVelocityCovarianceXy: f(85),
    relativeVelocity: xy(90),
    relativeVelocityStd: xyStd(90),
    relativeVelocityCovarianceXy: f(106),
    absoluteAcceleration: xy(111),
    absoluteAccelerationStd: xyStd(111),
    absoluteAccelerationCovarianceXy: f(127),
    relativeAcceleration: xy(132),
    relativeAccelerationStd: xyStd(132),
    relativeAccelerationCovarianceXy: f(148),
    orientationRateMean: f(153),
    orientationRateStd: f(157),
    shapeLengthEdgeMean: f(166),
    shapeLengthEdgeStd: f(170),
    shapeWidthEdgeMean: f(179),
    shapeWidthEdgeStd: f(183),
  };
}

function decodeSensorStatus(view: DataView): Ars548SensorStatus {
  const f = (at: number): number => view.getFloat32(at);
  const u8 = (at: number): number => view.getUint8(at);
  const ip = (at: number): string => [0, 1, 2, 3].map((i) => u8(at + i)).join(".");
  return {
    type: "sensorStatus",
    ...readStamp(view, 8),
    swVersion: `${u8(17)}.${u8(18)}.${u8(19)}`,
    longitudinal: f(20),
    lateral: f(24),
    vertical: f(28),
    yaw: f(32),
    pitch: f(36),
    plugOrientation: u8(40),
    vehicleLength: f(41),
    vehicleWidth: f(45),
    vehicleHeight: f(49),
    wheelbase: f(53),
    maximumDistance: view.getUint16(57),
    frequencySlot: u8(59),
    cycleTimeMs: u8(60),
    timeSlotMs: u8(61),
    hcc: u8(62),
    powersaveStandstill: u8(63),
    sensorIpAddress0: ip(64),
    sensorIpAddress1: ip(68),
    configurationCounter: u8(72),
    radarStatus: u8(80),
    voltageStatus: u8(81),
    temperatureStatus: u8(82),
    blockageStatus: u8(83),
  };
}

// ---------------------------------------------------------------------------------------------
// Raw lists → RadarFrame

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
