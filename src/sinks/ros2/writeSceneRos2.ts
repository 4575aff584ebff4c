import type { SceneState } from "../../types";
import type { SceneContext } from "../sceneContext";
import { createMountingTracker, egoTransform } from "../transforms/transformTree";
import { toDetection3DArray, toMarkerArray, toTfMessage } from "./ros2Messages";
import type { Ros2McapSink } from "./Ros2McapSink";
import { DETECTION_3D_ARRAY, MARKER_ARRAY, TF_MESSAGE } from "./ros2Schemas";

export const ROS2_MARKERS_TOPIC = "/avfusion/markers";
export const ROS2_DETECTIONS_TOPIC = "/avfusion/detections";
export const ROS2_TF_TOPIC = "/tf";
export const ROS2_TF_STATIC_TOPIC = "/tf_static";
export const ROS2_OUTPUT_TOPICS = [ROS2_TF_STATIC_TOPIC, ROS2_TF_TOPIC, ROS2_MARKERS_TOPIC, ROS2_DETECTIONS_TOPIC] as const;

/**
 * The scene as ROS 2 messages, per tick at the scene's stamp: the sensor mountings on `/tf_static`
 * (latched; written first and again when they change), `odom → <scene frame>` on `/tf`, then
 * `/avfusion/markers` (MarkerArray) and `/avfusion/detections` (Detection3DArray).
 */
export function createRos2SceneWriter(sink: Ros2McapSink) {
  const mountings = createMountingTracker();
  return async (scene: SceneState, context?: SceneContext): Promise<void> => {
    const changed = mountings.changed(context, scene.stamp);
    if (changed.length > 0) await sink.write(ROS2_TF_STATIC_TOPIC, TF_MESSAGE, scene.stamp, toTfMessage(changed), true);
    await sink.write(ROS2_TF_TOPIC, TF_MESSAGE, scene.stamp, toTfMessage([egoTransform(scene)]));
    await sink.write(ROS2_MARKERS_TOPIC, MARKER_ARRAY, scene.stamp, toMarkerArray(scene));
    await sink.write(ROS2_DETECTIONS_TOPIC, DETECTION_3D_ARRAY, scene.stamp, toDetection3DArray(scene));
  };
}
