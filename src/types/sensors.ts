/** What a sensor stream carries. The four perception modalities. */
export type SensorKind = "camera" | "lidar" | "radar" | "audio";

/** What a topic maps to: a perception modality, or one of the side channels a pipeline also reads. */
export type TopicRole = SensorKind | "calibration" | "groundTruth";

export const SENSOR_KINDS: readonly SensorKind[] = ["camera", "lidar", "radar", "audio"];
export const TOPIC_ROLES: readonly TopicRole[] = ["camera", "lidar", "radar", "audio", "calibration", "groundTruth"];

/** Object classes shared by radar, ground truth, encoders and the scene state (order = proto enum order). */
export type ObjectClass = "unknown" | "car" | "truck" | "pedestrian" | "cyclist" | "motorcycle" | "emergency_vehicle" | "static_clutter";

export const OBJECT_CLASSES: readonly ObjectClass[] = [
  "unknown",
  "car",
  "truck",
  "pedestrian",
  "cyclist",
  "motorcycle",
  "emergency_vehicle",
  "static_clutter",
];

export type Vec3 = { x: number; y: number; z: number };
export type Quaternion = { x: number; y: number; z: number; w: number };
