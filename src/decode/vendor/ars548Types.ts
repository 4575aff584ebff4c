import type { Nanos, Vec3 } from "../../types";

/*
 * The raw lists of an ARS548 RDI radar, as `decodeArs548Packet` reads them: fields named after the
 * driver's messages (continental_msgs ContinentalArs548DetectionList / ObjectList / SensorStatus).
 */

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
