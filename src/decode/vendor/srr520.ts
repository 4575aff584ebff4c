/**
 * Continental SRR520 corner radar over CAN-FD, as nebula forwards it: each packet is a 4-byte
 * big-endian CAN id followed by the frame payload. A list (near-range detections, high-resolution
 * range detections, objects) is a header frame, a fixed number of element frames and a CRC-list
 * frame; `Srr520Assembler` collects them and emits the list when it is complete. Field scaling and
 * bit layout after tier4/nebula's SRR520 decoder (read only; written anew here). The lists become
 * RadarFrames in srr520Frames.ts.
 */
import { fromSecNsec, type Nanos } from "../../types";
import { packetError } from "./packetError";
import type { StampedPacket } from "./readPacketMessage";

export const SRR520_CAN_ID = {
  nearHeader: 900,
  nearElement: 901,
  hrrHeader: 1100,
  hrrElement: 1101,
  objectHeader: 1200,
  objectElement: 1201,
  crcList: 800,
  status: 700,
  syncFollowUp: 53,
  vehicleDynamics: 600,
  sensorConfig: 601,
} as const;

/** Payload bytes (after the 4-byte CAN id) per CAN id. */
export const SRR520_PAYLOAD_SIZE: ReadonlyMap<number, number> = new Map([
  [SRR520_CAN_ID.nearHeader, 32],
  [SRR520_CAN_ID.nearElement, 64],
  [SRR520_CAN_ID.hrrHeader, 32],
  [SRR520_CAN_ID.hrrElement, 64],
  [SRR520_CAN_ID.objectHeader, 32],
  [SRR520_CAN_ID.objectElement, 64],
  [SRR520_CAN_ID.crcList, 4],
  [SRR520_CAN_ID.status, 64],
  [SRR520_CAN_ID.syncFollowUp, 8],
  [SRR520_CAN_ID.vehicleDynamics, 8],
  [SRR520_CAN_ID.sensorConfig, 16],
]);

type ListKind = "near" | "hrr" | "object";
const ELEMENTS: Record<ListKind, number> = { near: 50, hrr: 20, object: 20 };
const CRC_ID: Record<ListKind, number> = { near: 0, hrr: 1, object: 2 };
const DETECTIONS_PER_ELEMENT = 10;
const OBJECTS_PER_ELEMENT = 2;

export type Srr520ListHeader = {
  /** Radar-internal time (µs). */
  internalTimeStampUsec: number;
  /** Global (synchronised) time of the cycle (ns). */
  globalStamp: Nanos;
  /** 1 SYNC_OK, 2 NEVER_SYNC, 3 SYNC_LOST. */
  globalTimeStampSyncStatus: number;
  signalStatus: number;
  sequenceCounter: number;
  cycleCounter: number;
  /** Receive stamp of the header frame (ns). */
  packetStamp: Nanos;
};

export type Srr520Detection = {
  range: number;
  azimuthAngle: number;
  rangeRate: number;
  rcs: number;
  pdh00: number;
  pdh01: number;
  pdh02: number;
  pdh03: number;
  pdh04: number;
  pdh05: number;
  snr: number;
};

export type Srr520DetectionList = Srr520ListHeader & {
  type: "nearDetectionList" | "hrrDetectionList";
  vAmbiguous: number;
  maxRange: number;
  detections: Srr520Detection[];
};

export type Srr520Object = {
  objectId: number;
  distX: number;
  distY: number;
  vAbsX: number;
  vAbsY: number;
  aAbsX: number;
  aAbsY: number;
  distXStd: number;
  distYStd: number;
  vAbsXStd: number;
  vAbsYStd: number;
  aAbsXStd: number;
  aAbsYStd: number;
  boxLength: number;
  boxWidth: number;
  orientation: number;
  rcs: number;
  score: number;
  lifeCycles: number;
  boxValid: number;
  objectStatus: number;
};

export type Srr520ObjectList = Srr520ListHeader & {
  type: "objectList";
  egoVx: number;
  egoYawRate: number;
  motionType: number;
  objects: Srr520Object[];
};

export type Srr520List = Srr520DetectionList | Srr520ObjectList;

/** CAN id and payload of one forwarded frame; throws a packet error for unknown ids or sizes. */
export function splitSrr520Frame(data: Uint8Array): { canId: number; payload: Uint8Array } {
  if (data.byteLength < 4) {
    throw packetError("SRR520", `frame is ${data.byteLength} bytes`, "a 4-byte CAN id and a payload");
  }
  const canId = new DataView(data.buffer, data.byteOffset, 4).getUint32(0);
  const size = SRR520_PAYLOAD_SIZE.get(canId);
  if (size === undefined) {
    throw packetError("SRR520", `CAN id ${canId} at offset 0`, `one of ${[...SRR520_PAYLOAD_SIZE.keys()].join(", ")}`);
  }
  if (data.byteLength - 4 !== size) {
    throw packetError(`SRR520 CAN id ${canId}`, `payload is ${data.byteLength - 4} bytes`, `${size}`);
  }
  return { canId, payload: data.subarray(4) };
}

function readHeader(p: Uint8Array, packetStamp: Nanos): Srr520ListHeader & { view: DataView } {
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return {
    view,
    internalTimeStampUsec: view.getUint32(0),
    globalStamp: fromSecNsec({ sec: view.getUint32(4), nsec: view.getUint32(8) }),
    globalTimeStampSyncStatus: p[12]!,
    signalStatus: p[13]!,
    sequenceCounter: p[14]!,
    cycleCounter: view.getUint32(15),
    packetStamp,
  };
}

function detectionFromFragment(d: Uint8Array, at: number): Srr520Detection {
  const b = (i: number): number => d[at + i]!;
  const uRange = (b(0) << 4) | ((b(1) & 0xf0) >> 4);
  const uAzimuth = ((b(1) & 0x0f) << 5) | ((b(2) & 0xf8) >> 3);
  const uRangeRate = ((b(2) & 0x07) << 8) | b(3);
  const uRcs = (b(4) & 0xfe) >> 1;
  return {
    range: 0.024420024 * uRange,
    azimuthAngle: 0.006159986 * uAzimuth - 1.570796327,
    rangeRate: 0.014662757 * uRangeRate - 15,
    rcs: 0.476190476 * uRcs - 40,
    pdh00: 100 * (b(4) & 0x01),
    pdh01: 100 * ((b(5) & 0x80) >> 7),
    pdh02: 100 * ((b(5) & 0x40) >> 6),
    pdh03: 100 * ((b(5) & 0x20) >> 5),
    pdh04: 100 * ((b(5) & 0x10) >> 4),
    // The frame has no bit for it; nebula leaves it 0 as well.
    pdh05: 0,
    snr: 1.7 * (b(5) & 0x0f) + 11,
  };
}

function objectFromFragment(d: Uint8Array, at: number): Srr520Object {
  const b = (i: number): number => d[at + i]!;
  const u14a = (i: number): number => (b(i) << 6) | ((b(i + 1) & 0xfc) >> 2);
  const u14b = (i: number): number => ((b(i) & 0x03) << 12) | (b(i + 1) << 4) | ((b(i + 2) & 0xf0) >> 4);
  const u12a = (i: number): number => ((b(i) & 0x0f) << 8) | b(i + 1);
  const u12b = (i: number): number => (b(i) << 4) | ((b(i + 1) & 0xf0) >> 4);
  const STD = 0.001831166;
  return {
    objectId: b(0),
    distX: 0.009155553 * ((b(1) << 8) | b(2)) - 300,
    distY: 0.009155553 * ((b(3) << 8) | b(4)) - 300,
    vAbsX: 0.009156391 * u14a(5) - 75,
    vAbsY: 0.009156391 * u14b(6) - 75,
    aAbsX: 0.019569472 * (((b(8) & 0x0f) << 6) | ((b(9) & 0xfc) >> 2)) - 10,
    aAbsY: 0.019569472 * (((b(9) & 0x03) << 8) | b(10)) - 10,
    distXStd: STD * u14a(11),
    distYStd: STD * u14b(12),
    // 14 bits: 4 of byte 14, 8 of byte 15, the top 2 of byte 16 (nebula drops those two).
    vAbsXStd: STD * (((b(14) & 0x0f) << 10) | (b(15) << 2) | ((b(16) & 0xc0) >> 6)),
    vAbsYStd: STD * (((b(16) & 0x3f) << 8) | b(17)),
    aAbsXStd: STD * u14a(18),
    aAbsYStd: STD * u14b(19),
    boxLength: 0.007326007 * u12a(21),
    boxWidth: 0.007326007 * u12b(23),
    orientation: 0.001534729 * u12a(24) - 3.14159,
    rcs: 0.024425989 * u12b(26) - 50,
    score: 6.666666667 * (b(27) & 0x0f),
    lifeCycles: (b(28) << 8) | b(29),
    boxValid: b(30) & 0x01,
    objectStatus: (b(30) & 0x06) >> 1,
  };
}

type Pending = {
  kind: ListKind;
  header: Uint8Array;
  packetStamp: Nanos;
  elements: Uint8Array[];
  /** All payloads in order, for the CRC. */
  payloads: Uint8Array[];
};

/**
 * CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over the header and element payloads, which is
 * what the radar sends in its CRC-list frame (checked against the recordings).
 */
export function srr520Crc(payloads: readonly Uint8Array[]): number {
  let crc = 0xffff;
  for (const p of payloads) {
    for (const byte of p) {
      crc ^= byte << 8;
      for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}

/**
 * Collects SRR520 frames into lists. State spans messages (a list may straddle two NebulaPackets
 * messages); memory is bounded by one pending list per kind.
 */
export class Srr520Assembler {
  #pending = new Map<ListKind, Pending>();
  /** Set to false to accept lists whose CRC does not match (diagnostics only). */
  constructor(private readonly verifyCrc = true) {}

  /**
   * Add one frame. Returns a finished list when this frame completes one; throws
   * a packet error for a malformed frame or a list that fails its checks (that list is dropped).
   */
  push(packet: StampedPacket): Srr520List | undefined {
    const { canId, payload } = splitSrr520Frame(packet.data);
    switch (canId) {
      case SRR520_CAN_ID.nearHeader:
        return this.#start("near", payload, packet.stamp);
      case SRR520_CAN_ID.hrrHeader:
        return this.#start("hrr", payload, packet.stamp);
      case SRR520_CAN_ID.objectHeader:
        return this.#start("object", payload, packet.stamp);
      case SRR520_CAN_ID.nearElement:
        return this.#element("near", payload);
      case SRR520_CAN_ID.hrrElement:
        return this.#element("hrr", payload);
      case SRR520_CAN_ID.objectElement:
        return this.#element("object", payload);
      case SRR520_CAN_ID.crcList:
        return this.#finish(payload);
      default:
        // status, time sync, vehicle dynamics, configuration: not part of a list
        return undefined;
    }
  }

  #start(kind: ListKind, header: Uint8Array, packetStamp: Nanos): undefined {
    this.#pending.set(kind, { kind, header, packetStamp, elements: [], payloads: [header] });
    return undefined;
  }

  #element(kind: ListKind, payload: Uint8Array): undefined {
    const pending = this.#pending.get(kind);
    // An element before any header happens when a recording starts mid-list: nothing to add to.
    if (!pending) return undefined;
    if (pending.elements.length >= ELEMENTS[kind]) {
      this.#pending.delete(kind);
      throw packetError(`SRR520 ${kind} list`, `more than ${ELEMENTS[kind]} element frames`, `${ELEMENTS[kind]} then a CRC list`);
    }
    pending.elements.push(payload);
    pending.payloads.push(payload);
    return undefined;
  }

  #finish(payload: Uint8Array): Srr520List | undefined {
    const crcId = payload[0]!;
    const kind = (Object.keys(CRC_ID) as ListKind[]).find((k) => CRC_ID[k] === crcId);
    if (!kind) throw packetError("SRR520 CRC list", `list id ${crcId} at offset 4`, "0 (near), 1 (hrr) or 2 (object)");
    const pending = this.#pending.get(kind);
    this.#pending.delete(kind);
    if (!pending) return undefined;
    if (pending.elements.length !== ELEMENTS[kind]) {
      throw packetError(`SRR520 ${kind} list`, `${pending.elements.length} element frames before the CRC list`, `${ELEMENTS[kind]}`);
    }
    const sent = (payload[1]! << 8) | payload[2]!;
    const computed = srr520Crc(pending.payloads);
    if (this.verifyCrc && sent !== computed) {
      throw packetError(
        `SRR520 ${kind} list`,
        `CRC 0x${sent.toString(16)} at offset 5 of the CRC list`,
        `0x${computed.toString(16)} computed over its frames`,
      );
    }
    return kind === "object" ? decodeObjectList(pending) : decodeDetectionList(pending);
  }
}

function decodeDetectionList(p: Pending): Srr520DetectionList {
  const { view, ...header } = readHeader(p.header, p.packetStamp);
  const count = view.getUint16(23);
  const max = ELEMENTS[p.kind] * DETECTIONS_PER_ELEMENT;
  if (count > max) {
    throw packetError(`SRR520 ${p.kind} list`, `number of detections ${count} at offset 27`, `at most ${max}`);
  }
  const detections: Srr520Detection[] = [];
  for (const element of p.elements) {
    for (let f = 0; f < DETECTIONS_PER_ELEMENT && detections.length < count; f++) detections.push(detectionFromFragment(element, f * 6));
  }
  return {
    type: p.kind === "near" ? "nearDetectionList" : "hrrDetectionList",
    ...header,
    vAmbiguous: 0.003051851 * view.getUint16(19) - 100,
    maxRange: 0.1 * view.getUint16(21),
    detections,
  };
}

function decodeObjectList(p: Pending): Srr520ObjectList {
  const { view, ...header } = readHeader(p.header, p.packetStamp);
  const count = p.header[24]!;
  const max = ELEMENTS.object * OBJECTS_PER_ELEMENT;
  if (count > max) {
    throw packetError("SRR520 object list", `number of objects ${count} at offset 28`, `at most ${max}`);
  }
  const objects: Srr520Object[] = [];
  for (const element of p.elements) {
    for (let f = 0; f < OBJECTS_PER_ELEMENT && objects.length < count; f++) objects.push(objectFromFragment(element, f * 31));
  }
  return {
    type: "objectList",
    ...header,
    egoVx: 0.003051851 * view.getUint16(19) - 100,
    egoYawRate: 9.58766e-5 * view.getUint16(21) - 3.14159,
    motionType: p.header[23]!,
    objects,
  };
}
