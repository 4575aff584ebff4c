/**
 * Continental ARS548 RDI radar: UDP payloads (big-endian, a SOME/IP-style header) → raw lists that
 * mirror the driver's message fields (continental_msgs ContinentalArs548DetectionList / ObjectList),
 * (ars548Types.ts; to our RadarFrame in ars548Frames.ts). Layout after tier4/nebula's `continental_ars548.hpp` packet
 * structs (packed, no padding).
 */
import { fromSecNsec, type Vec3 } from "../../types";
import type {
  Ars548Detection,
  Ars548DetectionList,
  Ars548Object,
  Ars548ObjectList,
  Ars548Packet,
  Ars548SensorStatus,
  Ars548Stamp,
} from "./ars548Types";
import { packetError } from "./packetError";

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
 * Decode one ARS548 UDP payload. Throws a packet error (one line: what, offset, expected) for a
 * truncated, oversized or unknown packet; never reads past the end of `bytes`.
 */
export function decodeArs548Packet(bytes: Uint8Array): Ars548Packet {
  if (bytes.byteLength < HEADER_SIZE) {
    throw packetError("ARS548", `packet is ${bytes.byteLength} bytes`, `at least the ${HEADER_SIZE}-byte header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const serviceId = view.getUint16(0);
  const methodId = view.getUint16(2);
  const length = view.getUint32(4);
  if (serviceId !== 0) {
    throw packetError("ARS548", `service id ${serviceId} at offset 0`, "0");
  }
  const checkSize = (what: string, sizes: number[]): void => {
    if (!sizes.includes(bytes.byteLength) || length !== bytes.byteLength - HEADER_SIZE) {
      throw packetError(
        `ARS548 ${what} (method ${methodId})`,
        `packet is ${bytes.byteLength} bytes with length field ${length} at offset 4`,
        `${sizes.join(" or ")} bytes with length field ${sizes.map((s) => s - HEADER_SIZE).join(" or ")}`,
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
      throw packetError("ARS548", `method id ${methodId} at offset 2`, `one of ${Object.values(ARS548_METHOD).join(", ")}`);
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
    throw packetError(
      "ARS548 detection list",
      `number of detections ${count} at offset ${DETECTION_TRAILER_AT + 8}`,
      `at most ${MAX_DETECTIONS}`,
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
    throw packetError("ARS548 object list", `number of objects ${count} at offset ${LIST_PREFIX}`, `at most ${maxObjects}`);
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
