import type { Nanos } from "./time";
import type { ObjectClass, Quaternion, SensorKind, Vec3 } from "./sensors";

/** Fields every decoded sensor frame carries. */
type FrameBase = {
  /** Stable sensor name, e.g. `cam_front`; from the topic mapping. */
  sensorId: string;
  /** Topic it arrived on. */
  topic: string;
  /** Coordinate frame of the data (`frame_id`). */
  frameId: string;
  /** Sensor-clock stamp from the message header (ns). */
  stamp: Nanos;
  /** When the pipeline got it: MCAP log time on replay, arrival time live (ns). */
  receivedAt: Nanos;
};

/** Pixel layouts a camera frame may carry. Compressed frames are decoded lazily by the encoder. */
export type ImageFormat = "rgb8" | "bgr8" | "mono8" | "rgba8" | "bgra8" | "jpeg" | "png";

/** One camera image: raw pixels or compressed bytes, with its format and size. */
export type CameraFrame = FrameBase & {
  kind: "camera";
  format: ImageFormat;
  /** Pixel size; 0 for compressed frames until decoded (the header does not say). */
  width: number;
  height: number;
  /** Bytes per row for raw formats; 0 for compressed. */
  step: number;
  /** Raw pixels (row-major) or the compressed file bytes. */
  data: Uint8Array;
};

/** One LiDAR sweep (or rotation): packed x, y, z, intensity per point in the sensor frame. */
export type PointCloudFrame = FrameBase & {
  kind: "lidar";
  /** Number of points. */
  count: number;
  /**
   * Interleaved x, y, z (m, sensor frame) and intensity (0..255 where the sensor gives it, else 0),
   * `POINT_STRIDE` floats per point. A packed array keeps 100k-point sweeps cheap.
   */
  points: Float32Array;
  /** Optional ring/beam index per point when the source provides it. */
  ring?: Uint16Array;
};

export const POINT_STRIDE = 4;

export type RadarDetection = {
  rangeM: number;
  azimuthRad: number;
  elevationRad: number;
  rangeRateMps: number;
  rcsDbsm: number;
  snrDb: number;
  rangeStdM: number;
  azimuthStdRad: number;
  rangeRateStdMps: number;
  /** Probability that the detection is real (not clutter / multipath), 0..1. */
  existenceProbability: number;
};

export type RadarObject = {
  id: number;
  ageMs: number;
  /** Reference-point position and velocity in the radar frame (m, m/s). */
  position: Vec3;
  positionStd: Vec3;
  velocity: Vec3;
  velocityStd: Vec3;
  acceleration: Vec3;
  yawRad: number;
  yawStdRad: number;
  length: number;
  width: number;
  height: number;
  existenceProbability: number;
  classification: ObjectClass;
  /** Per-class probabilities as the radar reports them (0..1), by class name. */
  classProbabilities: Partial<Record<ObjectClass, number>>;
  rcsDbsm: number;
};

/** One radar scan: its detections and/or the objects the unit tracks itself. */
export type RadarFrame = FrameBase & {
  kind: "radar";
  detections: RadarDetection[];
  objects: RadarObject[];
  /** Ego speed over ground the radar used for its over-ground velocities (m/s), where it reports one. */
  egoSpeedMps?: number;
};

/** One chunk of microphone-array audio: interleaved samples per channel. */
export type AudioFrame = FrameBase & {
  kind: "audio";
  sampleRate: number;
  channels: number;
  /** Interleaved signed 16-bit PCM, `channels` samples per frame. */
  samples: Int16Array;
};

/** A decoded sensor frame, tagged by `kind`. */
export type SensorFrame = CameraFrame | PointCloudFrame | RadarFrame | AudioFrame;

/** Narrow a SensorFrame union by kind. */
export type FrameOf<K extends SensorKind> = Extract<SensorFrame, { kind: K }>;

/** A rigid transform `parent ← child` (foxglove.FrameTransform, tf2 TransformStamped). */
export type FrameTransform = {
  kind: "transform";
  topic: string;
  stamp: Nanos;
  parentFrameId: string;
  childFrameId: string;
  translation: Vec3;
  rotation: Quaternion;
};

/** Pinhole intrinsics (foxglove.CameraCalibration, sensor_msgs/CameraInfo). */
export type CameraCalibration = {
  kind: "cameraCalibration";
  topic: string;
  stamp: Nanos;
  frameId: string;
  width: number;
  height: number;
  distortionModel: string;
  D: number[];
  /** 3×3 row-major. */
  K: number[];
  /** 3×3 row-major. */
  R: number[];
  /** 3×4 row-major. */
  P: number[];
};

export type CalibrationUpdate = FrameTransform | CameraCalibration;

export type GroundTruthObject = {
  id: number;
  classification: ObjectClass;
  /** Box centre in the ego frame (m). */
  position: Vec3;
  /** Length (x), width (y), height (z) in m. */
  size: Vec3;
  yawRad: number;
  /** Velocity in the ego frame (m/s). */
  velocity: Vec3;
  sirenOn: boolean;
  /** Fraction of the object visible to each sensor (0..1); absent = not modelled. */
  visibility: Partial<Record<SensorKind, number>>;
};

export type GroundTruthFrame = {
  kind: "groundTruth";
  topic: string;
  stamp: Nanos;
  frameId: string;
  objects: GroundTruthObject[];
  /** Meteorological visibility (m); Infinity in clear air. */
  visibilityM: number;
  sirenActive: boolean;
  sirenBearingRad: number;
  egoSpeedMps: number;
  /**
   * Set for ground truth read from annotations (a `foxglove.SceneUpdate` topic): the objects are
   * in `frameId` (e.g. `map`), and the pipeline moves them into the ego frame through /tf. Absent:
   * the objects are in the ego frame already, as `avfusion.GroundTruth` defines them.
   */
  inFrame?: true;
};

/** Everything a decoder may produce. */
export type DecodedMessage = SensorFrame | CalibrationUpdate | GroundTruthFrame;
