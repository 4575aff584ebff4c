import { mappedRole, normalizeRosName, type TopicMapping } from "../config/topicMapping";
import type { SensorMessage, TopicRole } from "../types";
import { createRos2Reader, pointCloud2FieldNames } from "./ros2";
import { radarCloudFields } from "./ros2Radar";

const POINTCLOUD2 = "sensor_msgs/msg/PointCloud2";

/** Whether a topic's role may still depend on its messages: a PointCloud2 (LiDAR or radar) the mapping gives no role. */
export function roleFromContentApplies(
  info: Pick<SensorMessage, "topic" | "schemaName" | "messageEncoding">,
  mapping?: TopicMapping,
): boolean {
  return (
    normalizeRosName(info.schemaName) === POINTCLOUD2 && info.messageEncoding === "cdr" && mappedRole(mapping, info.topic) === undefined
  );
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
    const obj = createRos2Reader(msg.schemaName, new TextDecoder().decode(msg.schemaData)).read(msg.data);
    return radarCloudFields(pointCloud2FieldNames(obj)) ? "radar" : undefined;
  } catch {
    return undefined;
  }
}
