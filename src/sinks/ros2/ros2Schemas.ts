/**
 * Full ros2msg definitions of the types the ROS 2 output writes, as rosbag2 stores them in an MCAP
 * schema: the main definition, then each dependency after a `====` line and `MSG: pkg/Type`.
 * Written from ROS 2 Humble and later (common_interfaces 4.x: visualization_msgs/Marker with its
 * texture and mesh_file fields; vision_msgs 4.x: Detection3D with `string id`), comments dropped.
 */
const SEPARATOR = "================================================================================";

function definition(main: string, deps: readonly string[]): string {
  return [main, ...deps.map((d) => `${SEPARATOR}\nMSG: ${d}`)].join("\n") + "\n";
}

const DEFS: Record<string, string> = {
  "builtin_interfaces/Time": "int32 sec\nuint32 nanosec",
  "builtin_interfaces/Duration": "int32 sec\nuint32 nanosec",
  "std_msgs/Header": "builtin_interfaces/Time stamp\nstring frame_id",
  "std_msgs/ColorRGBA": "float32 r\nfloat32 g\nfloat32 b\nfloat32 a",
  "geometry_msgs/Point": "float64 x\nfloat64 y\nfloat64 z",
  "geometry_msgs/Vector3": "float64 x\nfloat64 y\nfloat64 z",
  "geometry_msgs/Quaternion": "float64 x 0\nfloat64 y 0\nfloat64 z 0\nfloat64 w 1",
  "geometry_msgs/Pose": "Point position\nQuaternion orientation",
  "geometry_msgs/PoseWithCovariance": "Pose pose\nfloat64[36] covariance",
  "geometry_msgs/Transform": "Vector3 translation\nQuaternion rotation",
  "geometry_msgs/TransformStamped": "std_msgs/Header header\nstring child_frame_id\nTransform transform",
  "sensor_msgs/CompressedImage": "std_msgs/Header header\nstring format\nuint8[] data",
  "visualization_msgs/UVCoordinate": "float32 u\nfloat32 v",
  "visualization_msgs/MeshFile": "string filename\nuint8[] data",
  "visualization_msgs/Marker": [
    "int32 ARROW=0",
    "int32 CUBE=1",
    "int32 SPHERE=2",
    "int32 CYLINDER=3",
    "int32 LINE_STRIP=4",
    "int32 LINE_LIST=5",
    "int32 CUBE_LIST=6",
    "int32 SPHERE_LIST=7",
    "int32 POINTS=8",
    "int32 TEXT_VIEW_FACING=9",
    "int32 MESH_RESOURCE=10",
    "int32 TRIANGLE_LIST=11",
    "int32 ARROW_STRIP=12",
    "int32 ADD=0",
    "int32 MODIFY=0",
    "int32 DELETE=2",
    "int32 DELETEALL=3",
    "std_msgs/Header header",
    "string ns",
    "int32 id",
    "int32 type",
    "int32 action",
    "geometry_msgs/Pose pose",
    "geometry_msgs/Vector3 scale",
    "std_msgs/ColorRGBA color",
    "builtin_interfaces/Duration lifetime",
    "bool frame_locked",
    "geometry_msgs/Point[] points",
    "std_msgs/ColorRGBA[] colors",
    "string texture_resource",
    "sensor_msgs/CompressedImage texture",
    "UVCoordinate[] uv_coordinates",
    "string text",
    "string mesh_resource",
    "MeshFile mesh_file",
    "bool mesh_use_embedded_materials",
  ].join("\n"),
  "visualization_msgs/MarkerArray": "Marker[] markers",
  "vision_msgs/ObjectHypothesis": "string class_id\nfloat64 score",
  "vision_msgs/ObjectHypothesisWithPose": "ObjectHypothesis hypothesis\ngeometry_msgs/PoseWithCovariance pose",
  "vision_msgs/BoundingBox3D": "geometry_msgs/Pose center\ngeometry_msgs/Vector3 size",
  "vision_msgs/Detection3D": "std_msgs/Header header\nObjectHypothesisWithPose[] results\nBoundingBox3D bbox\nstring id",
  "vision_msgs/Detection3DArray": "std_msgs/Header header\nDetection3D[] detections",
  "tf2_msgs/TFMessage": "geometry_msgs/TransformStamped[] transforms",
};

/** Each type's dependencies, in the order rosbag2 lists them (depth first, each once). */
const DEPS: Record<string, readonly string[]> = {
  "visualization_msgs/MarkerArray": [
    "visualization_msgs/Marker",
    "std_msgs/Header",
    "builtin_interfaces/Time",
    "geometry_msgs/Pose",
    "geometry_msgs/Point",
    "geometry_msgs/Quaternion",
    "geometry_msgs/Vector3",
    "std_msgs/ColorRGBA",
    "builtin_interfaces/Duration",
    "sensor_msgs/CompressedImage",
    "visualization_msgs/UVCoordinate",
    "visualization_msgs/MeshFile",
  ],
  "vision_msgs/Detection3DArray": [
    "std_msgs/Header",
    "builtin_interfaces/Time",
    "vision_msgs/Detection3D",
    "vision_msgs/ObjectHypothesisWithPose",
    "vision_msgs/ObjectHypothesis",
    "geometry_msgs/PoseWithCovariance",
    "geometry_msgs/Pose",
    "geometry_msgs/Point",
    "geometry_msgs/Quaternion",
    "vision_msgs/BoundingBox3D",
    "geometry_msgs/Vector3",
  ],
  "tf2_msgs/TFMessage": [
    "geometry_msgs/TransformStamped",
    "std_msgs/Header",
    "builtin_interfaces/Time",
    "geometry_msgs/Transform",
    "geometry_msgs/Vector3",
    "geometry_msgs/Quaternion",
  ],
};

export const MARKER_ARRAY = "visualization_msgs/msg/MarkerArray";
export const DETECTION_3D_ARRAY = "vision_msgs/msg/Detection3DArray";
export const TF_MESSAGE = "tf2_msgs/msg/TFMessage";
export type Ros2SchemaName = typeof MARKER_ARRAY | typeof DETECTION_3D_ARRAY | typeof TF_MESSAGE;

/** The schema text of `pkg/msg/Type`: its definition and all it depends on. */
export function ros2SchemaText(name: Ros2SchemaName): string {
  const short = name.replace("/msg/", "/");
  return definition(
    DEFS[short]!,
    (DEPS[short] ?? []).map((d) => `${d}\n${DEFS[d]!}`),
  );
}
