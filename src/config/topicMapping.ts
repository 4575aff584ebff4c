import { z } from "zod";
import { BadInputError, TOPIC_ROLES, type TopicRole } from "../types";

/** What a source knows about a topic before any message is decoded. */
export type TopicInfo = {
  topic: string;
  schemaName: string;
  schemaEncoding: string;
  messageEncoding: string;
};

export type TopicClassification = {
  /** What the topic carries; null when the schema is not one we know. */
  role: TopicRole | null;
  /** Whether `createDecoder` can decode its messages. */
  supported: boolean;
  /** Why not, when `supported` is false. */
  reason?: string;
  /**
   * The roles the schema allows when it is more than one (vendor packets that carry LiDAR or radar,
   * `role` guessed from the topic name); a mapping's `role` may pick any of them.
   */
  roles?: readonly TopicRole[];
};

/** Serialization family of a schema, from its schema encoding (or its name when schemaless). */
export type SchemaFamily = "protobuf" | "ros2" | "json" | "unknown";

/**
 * Accepted schemas by family: name → role. ROS 2 names are normalized to `pkg/msg/Name`. The
 * protobuf names are also accepted with `jsonschema` + `json` (Foxglove SDK / WebSocket sources).
 */
export const PROTOBUF_SCHEMAS: Readonly<Record<string, TopicRole>> = {
  "foxglove.CompressedImage": "camera",
  "foxglove.RawImage": "camera",
  "foxglove.PointCloud": "lidar",
  "foxglove.RawAudio": "audio",
  "foxglove.FrameTransform": "calibration",
  "foxglove.FrameTransforms": "calibration",
  "foxglove.CameraCalibration": "calibration",
  "avfusion.RadarScan": "radar",
  "avfusion.GroundTruth": "groundTruth",
};

export const ROS2_SCHEMAS: Readonly<Record<string, TopicRole>> = {
  "sensor_msgs/msg/Image": "camera",
  "sensor_msgs/msg/CompressedImage": "camera",
  "sensor_msgs/msg/PointCloud2": "lidar",
  "sensor_msgs/msg/CameraInfo": "calibration",
  "tf2_msgs/msg/TFMessage": "calibration",
  "radar_msgs/msg/RadarScan": "radar",
  "radar_msgs/msg/RadarTracks": "radar",
  "audio_common_msgs/msg/AudioData": "audio",
  "audio_common_msgs/msg/AudioDataStamped": "audio",
  // The format of a sibling AudioData topic: sensor metadata, like CameraInfo, not a sensor of its own.
  "audio_common_msgs/msg/AudioInfo": "calibration",
};

/**
 * ROS 2 schemas that carry LiDAR or radar (a PointCloud2 is either): the topic name guesses
 * (`radar` in it: radar), the cloud's fields decide once a message is seen (see
 * src/decode/ros2Radar.ts `roleFromContent`), a mapping's `role` wins over both.
 */
const LIDAR_OR_RADAR_ROS2 = new Set(["sensor_msgs/msg/PointCloud2"]);

/** Annotations as boxes (nuScenes-to-MCAP converters): ground truth when mapped (src/decode/sceneUpdateTruth.ts). */
export const ANNOTATION_SCHEMA = "foxglove.SceneUpdate";

/**
 * Raw vendor packet schemas (ROS 2). Their decoders live in src/decode/vendor/; until one is passed
 * to `classifyTopic` / `createDecoder` as available, these topics are reported unsupported.
 */
export const VENDOR_PACKET_SCHEMAS: Readonly<Record<string, TopicRole | "lidarOrRadar">> = {
  "velodyne_msgs/msg/VelodyneScan": "lidar",
  "pandar_msgs/msg/PandarScan": "lidar",
  "pandar_msgs/msg/PandarPacket": "lidar",
  "nebula_msgs/msg/NebulaPackets": "lidarOrRadar",
  "nebula_msgs/msg/NebulaPacket": "lidarOrRadar",
};

const EXPECTED_MESSAGE_ENCODING: Record<Exclude<SchemaFamily, "unknown">, string> = {
  protobuf: "protobuf",
  ros2: "cdr",
  json: "json",
};

/** `sensor_msgs/Image` and `sensor_msgs/msg/Image` name the same ROS 2 type. */
export function normalizeRosName(name: string): string {
  const parts = name.split("/");
  return parts.length === 2 ? `${parts[0]}/msg/${parts[1]}` : name;
}

export function schemaFamily(info: Pick<TopicInfo, "schemaName" | "schemaEncoding">): SchemaFamily {
  switch (info.schemaEncoding) {
    case "protobuf":
      return "protobuf";
    case "ros2msg":
    case "ros2idl":
      return "ros2";
    case "jsonschema":
      return "json";
    case "":
      // Schemaless channel: a `pkg/msg/Name` schema name still says it is ROS 2.
      return /^[A-Za-z]\w*\/(msg\/)?[A-Za-z]\w*$/.test(info.schemaName) ? "ros2" : "unknown";
    default:
      return "unknown";
  }
}

export type ClassifyOptions = {
  /** Vendor packet schemas (e.g. `velodyne_msgs/msg/VelodyneScan`) a vendor decoder is available for. */
  vendorSchemas?: ReadonlySet<string>;
};

function vendorRole(topic: string, kind: TopicRole | "lidarOrRadar"): TopicRole {
  if (kind !== "lidarOrRadar") return kind;
  return /radar/i.test(topic) ? "radar" : "lidar";
}

/** The role the mapping gives a topic explicitly, if it does. */
export function mappedRole(mapping: TopicMapping | undefined, topic: string): TopicRole | undefined {
  const o = mapping?.[topic];
  return o === undefined || o === "ignore" ? undefined : o.role;
}

/** Which role a topic plays and whether we can decode it, from its schema name and encodings alone. */
export function classifyTopic(info: TopicInfo, options: ClassifyOptions = {}): TopicClassification {
  const cls = classifySchema(info, options);
  const family = schemaFamily(info);
  const name = normalizeRosName(info.schemaName);
  if (family === "ros2" && LIDAR_OR_RADAR_ROS2.has(name))
    return { ...cls, role: vendorRole(info.topic, "lidarOrRadar"), roles: ["lidar", "radar"] };
  const ambiguous = family === "ros2" && VENDOR_PACKET_SCHEMAS[name] === "lidarOrRadar";
  return ambiguous ? { ...cls, roles: ["lidar", "radar"] } : cls;
}

function classifySchema(info: TopicInfo, options: ClassifyOptions): TopicClassification {
  const family = schemaFamily(info);
  const name = family === "ros2" ? normalizeRosName(info.schemaName) : info.schemaName;
  const role: TopicRole | null =
    family === "protobuf" || family === "json"
      ? (PROTOBUF_SCHEMAS[name] ?? null)
      : family === "ros2"
        ? (ROS2_SCHEMAS[name] ?? (VENDOR_PACKET_SCHEMAS[name] ? vendorRole(info.topic, VENDOR_PACKET_SCHEMAS[name]) : null))
        : null;

  if (family !== "unknown" && info.messageEncoding !== EXPECTED_MESSAGE_ENCODING[family]) {
    return {
      role,
      supported: false,
      reason: `unsupported message encoding "${info.messageEncoding}" for schema ${info.schemaName || "(none)"} (expected ${EXPECTED_MESSAGE_ENCODING[family]})`,
    };
  }
  if (family === "ros2" && info.schemaEncoding === "ros2idl") {
    // No IDL parser ships with the project; ros2msg text is what rosbag2 writes by default.
    return { role, supported: false, reason: `unsupported schema encoding "ros2idl" for schema ${info.schemaName} (expected ros2msg)` };
  }
  if (family === "ros2" && VENDOR_PACKET_SCHEMAS[name]) {
    if (options.vendorSchemas?.has(name)) return { role, supported: true };
    return { role, supported: false, reason: "raw vendor packets: decoder not available" };
  }
  if (role == null && (family === "protobuf" || family === "json") && name === ANNOTATION_SCHEMA)
    // Boxes are drawn by many tools (our own --out among them): ground truth only when the config says so.
    return {
      role: null,
      supported: false,
      roles: ["groundTruth"],
      reason: `${ANNOTATION_SCHEMA}: read as ground truth only with role: groundTruth in the config's topics`,
    };
  if (role == null) {
    const what = info.schemaName === "" ? `(no schema, encoding "${info.messageEncoding}")` : info.schemaName;
    const enc = family === "unknown" && info.schemaEncoding !== "" ? ` with schema encoding "${info.schemaEncoding}"` : "";
    return { role: null, supported: false, reason: `unsupported schema ${what}${enc}` };
  }
  return { role, supported: true };
}

// --- topic → sensor mapping -------------------------------------------------------------------

/** GStreamer sample format names (what audio_capture's `sample_format` and AudioInfo use). */
export const AUDIO_SAMPLE_FORMATS = ["S16LE", "S16BE", "U8", "S8", "S32LE", "S32BE", "F32LE", "F32BE"] as const;
export type AudioSampleFormat = (typeof AUDIO_SAMPLE_FORMATS)[number];

/**
 * The PCM layout of a headerless audio topic (audio_common_msgs AudioData carries bare bytes):
 * given here, or read from the sibling `audio_info` topic (AudioInfo).
 */
export const AudioTopicFormat = z
  .object({
    /** Samples per second per channel (Hz). */
    sampleRate: z.number().int().min(1).max(384_000),
    /** Interleaved channels. */
    channels: z.number().int().min(1).max(64),
    /** Sample layout; default S16LE (audio_capture's default). */
    format: z.enum(AUDIO_SAMPLE_FORMATS).default("S16LE"),
  })
  .strict();
export type AudioTopicFormat = z.infer<typeof AudioTopicFormat>;

/** Per-topic override: `"ignore"`, or a role and/or sensor id replacing the detected ones. */
export const TopicOverride = z.union([
  z.literal("ignore"),
  z
    .object({
      role: z.enum(TOPIC_ROLES as [TopicRole, ...TopicRole[]]).optional(),
      sensorId: z
        .string()
        .regex(/^[A-Za-z0-9_.-]+$/, "sensorId: letters, digits, _ . - only")
        .optional(),
      ignore: z.boolean().optional(),
      /** PCM layout of an audio_common_msgs AudioData topic (it wins over the topic's AudioInfo). */
      audio: AudioTopicFormat.optional(),
    })
    .strict(),
]);
export type TopicOverride = z.infer<typeof TopicOverride>;

/**
 * Topic → override, keyed by the exact topic name (`/sensors/cam_front/image`). Validated as a
 * whole: two topics given one `sensorId` would make one sensor of them (and the second one's
 * frames vanish into the first), so the second is an error at `<topic>.sensorId`.
 */
export const TopicMapping = z.record(z.string().min(1), TopicOverride).superRefine((mapping, ctx) => {
  const owner = new Map<string, string>();
  for (const [topic, o] of Object.entries(mapping)) {
    if (o === "ignore" || o.ignore === true || o.sensorId === undefined) continue;
    const first = owner.get(o.sensorId);
    if (first === undefined) owner.set(o.sensorId, topic);
    else
      ctx.addIssue({
        code: "custom",
        path: [topic, "sensorId"],
        message: `"${o.sensorId}" is already the sensorId of ${first}, expected a sensor id no other topic has`,
      });
  }
});
export type TopicMapping = z.infer<typeof TopicMapping>;

export type ResolvedSensor = {
  sensorId: string;
  role: TopicRole | null;
  supported: boolean;
  reason?: string;
  /** The mapping says to drop this topic. */
  ignored: boolean;
};

/** Trailing topic segments that name the data, not the sensor. */
const GENERIC_SEGMENTS = new Set([
  "image",
  "image_raw",
  "image_rect",
  "image_rect_color",
  "image_color",
  "image_mono",
  "compressed",
  "raw",
  "points",
  "points_raw",
  "pointcloud",
  "point_cloud",
  "cloud",
  "scan",
  "packets",
  "velodyne_packets",
  "pandar_packets",
  "nebula_packets",
  "lidar_packets",
  "radar_packets",
  "detections",
  "objects",
  "tracks",
  "camera_info",
  "calibration",
  "info",
  "audio",
  "audio_raw",
  "data",
  "pcm",
  "ground_truth",
  "tf",
  "tf_static",
]);

/**
 * Data segments with processing suffixes, as converters and drivers name them:
 * `image_rect_compressed` (nuScenes-to-MCAP), `pointcloud_raw_ex` (Autoware), `points_filtered`.
 */
const GENERIC_DATA =
  /^(image|points|pointcloud|point_cloud|cloud)(_(raw|rect|color|mono|compressed|ex|filtered|downsampled|concatenated))+$/;

const isGeneric = (segment: string): boolean => GENERIC_SEGMENTS.has(segment) || GENERIC_DATA.test(segment);

/** Segments that say where a sensor sits; on their own they are ambiguous (`front` of what?). */
const PLACEMENT = /^(front|rear|back|left|right|top|bottom|center|centre|side)(_[a-z0-9]+)*$/;

/**
 * Sensor id from a topic: split on `/`, drop trailing generic segments (`image`, `points`,
 * `compressed`, `*_packets`, `camera_info`, ...; see GENERIC_SEGMENTS) while more than one remains,
 * take the last segment, prefix the one before it when the last only names a placement
 * (`/sensing/radar/front_center/nebula_packets` → `radar_front_center`), and replace characters
 * other than letters, digits and `_` by `_`. `/sensors/cam_front/image` → `cam_front`;
 * `/CAM_FRONT_LEFT/image_rect_compressed` → `CAM_FRONT_LEFT`; `/sensing/lidar/top/pointcloud_raw`
 * → `lidar_top`; `/velodyne_packets` → `velodyne_packets`; `/` → `root`.
 */
export function sensorIdFromTopic(topic: string): string {
  const segs = topic.split("/").filter((s) => s.length > 0);
  while (segs.length > 1 && isGeneric(segs[segs.length - 1].toLowerCase())) segs.pop();
  if (segs.length === 0) return "root";
  let id = segs[segs.length - 1];
  if (segs.length > 1 && PLACEMENT.test(id.toLowerCase())) id = `${segs[segs.length - 2]}_${id}`;
  return id.replace(/[^A-Za-z0-9_]/g, "_");
}

/**
 * A mapping's `role` may only say what the schema cannot: a radar scan forced to `camera` would be
 * decoded as radar and reported as a camera. Any role goes for a schema we do not know.
 */
function checkRole(topic: string, classify: TopicClassification, role: TopicRole | undefined): void {
  if (role === undefined || classify.role === null) return;
  const allowed = classify.roles ?? [classify.role];
  if (allowed.includes(role)) return;
  throw new BadInputError({
    where: `topics.${topic}.role`,
    what: `"${role}" contradicts the topic's schema, which carries ${allowed.join(" or ")}`,
    expected: `${allowed.map((r) => `"${r}"`).join(" or ")} or no role`,
    code: "config",
  });
}

/**
 * Sensor id and role of a topic: the mapping's override where it has one, else detected. A
 * `role` that contradicts the schema is bad config (BadInputError at `topics.<topic>.role`).
 */
export function resolveSensor(topic: string, classify: TopicClassification, mapping: TopicMapping = {}): ResolvedSensor {
  const override = mapping[topic];
  const base: ResolvedSensor = {
    sensorId: sensorIdFromTopic(topic),
    role: classify.role,
    supported: classify.supported,
    ignored: false,
  };
  if (classify.reason !== undefined) base.reason = classify.reason;
  if (override === undefined) return base;
  if (override === "ignore" || override.ignore === true) return { ...base, ignored: true };
  checkRole(topic, classify, override.role);
  // A schema read only in a role the mapping gives (annotations as ground truth) is supported then.
  const enabled = classify.role === null && override.role !== undefined && (classify.roles ?? []).includes(override.role);
  return {
    ...base,
    sensorId: override.sensorId ?? base.sensorId,
    role: override.role ?? base.role,
    ...(enabled ? { supported: true } : {}),
  };
}
