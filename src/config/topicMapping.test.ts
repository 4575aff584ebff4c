import { classifyTopic, resolveSensor, sensorIdFromTopic, TopicMapping } from "./topicMapping";

const pb = (schemaName: string, topic = "/t") => ({ topic, schemaName, schemaEncoding: "protobuf", messageEncoding: "protobuf" });
const ros = (schemaName: string, topic = "/t", messageEncoding = "cdr") => ({
  topic,
  schemaName,
  schemaEncoding: "ros2msg",
  messageEncoding,
});

describe("classifyTopic", () => {
  it.each([
    ["foxglove.CompressedImage", "camera"],
    ["foxglove.RawImage", "camera"],
    ["foxglove.PointCloud", "lidar"],
    ["foxglove.RawAudio", "audio"],
    ["foxglove.FrameTransform", "calibration"],
    ["foxglove.FrameTransforms", "calibration"],
    ["foxglove.CameraCalibration", "calibration"],
    ["avfusion.RadarScan", "radar"],
    ["avfusion.GroundTruth", "groundTruth"],
  ])("protobuf %s → %s", (schema, role) => {
    expect(classifyTopic(pb(schema))).toEqual({ role, supported: true });
  });

  it.each([
    ["sensor_msgs/msg/Image", "camera"],
    ["sensor_msgs/msg/CompressedImage", "camera"],
    ["sensor_msgs/msg/CameraInfo", "calibration"],
    ["tf2_msgs/msg/TFMessage", "calibration"],
    ["radar_msgs/msg/RadarScan", "radar"],
    ["radar_msgs/msg/RadarTracks", "radar"],
    ["audio_common_msgs/msg/AudioData", "audio"],
    ["audio_common_msgs/msg/AudioDataStamped", "audio"],
    ["audio_common_msgs/msg/AudioInfo", "calibration"],
  ])("ros2 %s → %s", (schema, role) => {
    expect(classifyTopic(ros(schema))).toEqual({ role, supported: true });
    expect(classifyTopic({ ...ros(schema), schemaEncoding: "ros2idl" })).toEqual({
      role,
      supported: false,
      reason: `unsupported schema encoding "ros2idl" for schema ${schema} (expected ros2msg)`,
    });
  });

  it.each(["sensor_msgs/msg/PointCloud2", "sensor_msgs/PointCloud2"])(
    "ros2 %s → lidar, or radar by its topic name; either role allowed",
    (schema) => {
      expect(classifyTopic(ros(schema))).toEqual({ role: "lidar", supported: true, roles: ["lidar", "radar"] });
      expect(classifyTopic(ros(schema, "/sensing/radar/front/pointcloud")).role).toBe("radar");
    },
  );

  it("vendor packets: role known, decoder not available unless given", () => {
    expect(classifyTopic(ros("velodyne_msgs/msg/VelodyneScan", "/velodyne_packets"))).toEqual({
      role: "lidar",
      supported: false,
      reason: "raw vendor packets: decoder not available",
    });
    expect(classifyTopic(ros("nebula_msgs/msg/NebulaPackets", "/sensing/radar/front_center/nebula_packets")).role).toBe("radar");
    expect(classifyTopic(ros("nebula_msgs/msg/NebulaPackets", "/sensing/lidar/top/nebula_packets")).role).toBe("lidar");
    expect(classifyTopic(ros("pandar_msgs/msg/PandarScan"), { vendorSchemas: new Set(["pandar_msgs/msg/PandarScan"]) })).toEqual({
      role: "lidar",
      supported: true,
    });
  });

  it("foxglove schemas as jsonschema + json", () => {
    expect(classifyTopic({ topic: "/c", schemaName: "foxglove.RawImage", schemaEncoding: "jsonschema", messageEncoding: "json" })).toEqual({
      role: "camera",
      supported: true,
    });
    expect(classifyTopic({ topic: "/c", schemaName: "foxglove.Log", schemaEncoding: "jsonschema", messageEncoding: "json" }).reason).toBe(
      "unsupported schema foxglove.Log",
    );
  });

  it("unknown schemas", () => {
    expect(classifyTopic(pb("foo.Bar"))).toEqual({ role: null, supported: false, reason: "unsupported schema foo.Bar" });
    expect(classifyTopic(ros("std_msgs/msg/String"))).toEqual({
      role: null,
      supported: false,
      reason: "unsupported schema std_msgs/msg/String",
    });
    expect(classifyTopic({ topic: "/x", schemaName: "", schemaEncoding: "", messageEncoding: "json" }).reason).toBe(
      'unsupported schema (no schema, encoding "json")',
    );
    expect(classifyTopic({ topic: "/x", schemaName: "foo", schemaEncoding: "flatbuffer", messageEncoding: "flatbuffer" }).reason).toBe(
      'unsupported schema foo with schema encoding "flatbuffer"',
    );
  });

  it("wrong message encoding for a known family", () => {
    expect(classifyTopic(ros("sensor_msgs/msg/Image", "/t", "wrong_format"))).toEqual({
      role: "camera",
      supported: false,
      reason: 'unsupported message encoding "wrong_format" for schema sensor_msgs/msg/Image (expected cdr)',
    });
    expect(classifyTopic(ros("test_msgs/msg/BasicTypes", "/t", "wrong_format")).reason).toBe(
      'unsupported message encoding "wrong_format" for schema test_msgs/msg/BasicTypes (expected cdr)',
    );
    expect(classifyTopic({ ...pb("foxglove.RawImage"), messageEncoding: "json" }).reason).toBe(
      'unsupported message encoding "json" for schema foxglove.RawImage (expected protobuf)',
    );
  });
});

describe("sensorIdFromTopic", () => {
  it.each([
    ["/sensors/cam_front/image", "cam_front"],
    ["/sensors/cam_front/image/compressed", "cam_front"],
    ["/sensing/lidar/front/velodyne_packets", "lidar_front"],
    ["/sensing/radar/front_center/nebula_packets", "radar_front_center"],
    ["/velodyne_packets", "velodyne_packets"],
    ["/lidar_top/points", "lidar_top"],
    ["radar-front", "radar_front"],
    ["/", "root"],
    ["/camera/camera_info", "camera"],
    // nuScenes-to-MCAP: six cameras, each its own sensor, its calibration beside it.
    ["/CAM_FRONT/image_rect_compressed", "CAM_FRONT"],
    ["/CAM_BACK_LEFT/image_rect_compressed", "CAM_BACK_LEFT"],
    ["/CAM_FRONT/camera_info", "CAM_FRONT"],
    ["/LIDAR_TOP", "LIDAR_TOP"],
    ["/RADAR_FRONT_LEFT", "RADAR_FRONT_LEFT"],
    // Autoware and other drivers' processing suffixes.
    ["/sensing/lidar/top/pointcloud_raw", "lidar_top"],
    ["/sensing/lidar/left/pointcloud_raw_ex", "lidar_left"],
    ["/sensing/camera/front/image_raw/compressed", "camera_front"],
  ])("%s → %s", (topic, id) => {
    expect(sensorIdFromTopic(topic)).toBe(id);
  });
});

describe("resolveSensor", () => {
  const cls = classifyTopic(pb("foxglove.RawImage", "/sensors/cam_front/image"));
  it("derives from the topic without a mapping", () => {
    expect(resolveSensor("/sensors/cam_front/image", cls)).toEqual({
      sensorId: "cam_front",
      role: "camera",
      supported: true,
      ignored: false,
    });
  });
  it("applies overrides and ignore", () => {
    const mapping = TopicMapping.parse({ "/sensors/cam_front/image": { sensorId: "front_wide" }, "/other": "ignore" });
    expect(resolveSensor("/sensors/cam_front/image", cls, mapping).sensorId).toBe("front_wide");
    expect(resolveSensor("/other", cls, mapping).ignored).toBe(true);
    expect(resolveSensor("/x", cls, TopicMapping.parse({ "/x": { role: "camera" } })).role).toBe("camera");
  });
  it("rejects a role the schema contradicts, naming the field; any role for an unknown schema", () => {
    const mapping = TopicMapping.parse({ "/x": { role: "radar" } });
    expect(() => resolveSensor("/x", cls, mapping)).toThrow(
      /^topics\.\/x\.role: "radar" contradicts the topic's schema, which carries camera, expected "camera" or no role$/,
    );
    expect(() => resolveSensor("/x", cls, TopicMapping.parse({ "/x": { role: "radar", ignore: true } }))).not.toThrow();
    expect(resolveSensor("/x", classifyTopic(pb("foo.Bar")), mapping).role).toBe("radar");
  });
  it("lets the role pick between LiDAR and radar for vendor packets that carry either", () => {
    const nebula = classifyTopic(ros("nebula_msgs/msg/NebulaPackets", "/sensing/front/nebula_packets"), {
      vendorSchemas: new Set(["nebula_msgs/msg/NebulaPackets"]),
    });
    expect(nebula).toEqual({ role: "lidar", supported: true, roles: ["lidar", "radar"] });
    const topic = "/sensing/front/nebula_packets";
    expect(resolveSensor(topic, nebula, TopicMapping.parse({ [topic]: { role: "radar" } })).role).toBe("radar");
    expect(() => resolveSensor(topic, nebula, TopicMapping.parse({ [topic]: { role: "camera" } }))).toThrow(
      /expected "lidar" or "radar" or no role/,
    );
  });
  it("rejects two topics mapped to one sensorId at the second one's sensorId", () => {
    const r = TopicMapping.safeParse({ "/a": { sensorId: "front" }, "/b": "ignore", "/c": { sensorId: "front" } });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(["/c", "sensorId"]);
    expect(r.error?.issues[0]?.message).toBe('"front" is already the sensorId of /a, expected a sensor id no other topic has');
    expect(TopicMapping.safeParse({ "/a": { sensorId: "front" }, "/c": { sensorId: "front", ignore: true } }).success).toBe(true);
  });
  it("rejects bad mappings with a message naming the field", () => {
    const r = TopicMapping.safeParse({ "/a": { role: "sonar" } });
    expect(r.success).toBe(false);
    expect(TopicMapping.safeParse({ "/a": { sensorId: "bad id" } }).success).toBe(false);
    expect(TopicMapping.safeParse({ "/a": { sensorid: "x" } }).success).toBe(false);
  });
});
