import { mappedRole, normalizeRosName, type TopicMapping } from "../config/topicMapping";
import type { SensorMessage, TopicRole } from "../types";
import { createRos2Reader, pointCloud2FieldNames } from "./ros2";
import { radarCloudFields } from "./ros2Radar";
import { protobufReader } from "./protobufReader";

const POINTCLOUD2 = "sensor_msgs/msg/PointCloud2";
const FOXGLOVE_CLOUD = "foxglove.PointCloud";

/**
 * Whether a topic's role may still depend on its messages: a point cloud (ROS 2 PointCloud2 in
 * CDR, or foxglove.PointCloud in protobuf, as nuScenes-to-MCAP converters write radar) that the
 * mapping gives no role: LiDAR or radar, by its fields.
 */
export function roleFromContentApplies(
  info: Pick<SensorMessage, "topic" | "schemaName" | "messageEncoding">,
  mapping?: TopicMapping,
): boolean {
  if (mappedRole(mapping, info.topic) !== undefined) return false;
  if (info.schemaName === FOXGLOVE_CLOUD) return info.messageEncoding === "protobuf";
  return normalizeRosName(info.schemaName) === POINTCLOUD2 && info.messageEncoding === "cdr";
}

/** The field names of one cloud message. */
function cloudFieldNames(msg: SensorMessage): string[] {
  if (msg.schemaName === FOXGLOVE_CLOUD) {
    const fields = protobufReader(msg, true)(msg.data).fields;
    return Array.isArray(fields) ? fields.map((f) => String((f as { name?: unknown }).name ?? "")) : [];
  }
  return pointCloud2FieldNames(createRos2Reader(msg.schemaName, new TextDecoder().decode(msg.schemaData)).read(msg.data));
}

/**
 * The role a message's content says its topic plays, where the schema leaves it open and the
 * mapping does not fix it: a PointCloud2 with radar fields (Doppler, RCS, vx/vy: see
 * `radarCloudFields`) is radar. Undefined when the content says nothing (or does not decode:
 * the decode stage reports that). The plan (replay: the first message of the topic; live: the
 * warm-up's first message) and the decode stage (the channel's first message) ask the same
 * question of the same message, so a topic's frames are of the kind the plan gave its sensor.
 */
export function roleFromContent(msg: SensorMessage, mapping?: TopicMapping): TopicRole | undefined {
  if (!roleFromContentApplies(msg, mapping)) return undefined;
  try {
    return radarCloudFields(cloudFieldNames(msg)) ? "radar" : undefined;
  } catch {
    return undefined;
  }
}
