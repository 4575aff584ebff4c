/**
 * ros2msg schema texts (as rosbag2 writes them: the type, then its dependencies after `====` /
 * `MSG:` lines) for the sensor_msgs / tf2_msgs types we decode. Used by tests and generators to
 * build CDR messages with @foxglove/rosmsg2-serialization's MessageWriter.
 */
const SEP = "\n================================================================================\nMSG: ";

const TIME = "builtin_interfaces/Time\nint32 sec\nuint32 nanosec";
const HEADER = "std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id";

function schema(body: string, ...deps: string[]): string {
  return [body, ...deps].join(SEP) + "\n";
}

const VECTOR3 = "geometry_msgs/Vector3\nfloat64 x\nfloat64 y\nfloat64 z";
const AUDIO_DATA = "uint8[] data";

export const ROS2_SCHEMA_TEXT: Readonly<Record<string, string>> = {
  // radar_msgs (ros-perception/radar_msgs, ros2 branch), written out from its field list.
  "radar_msgs/msg/RadarScan": schema(
    "std_msgs/Header header\nradar_msgs/RadarReturn[] returns",
    HEADER,
    TIME,
    "radar_msgs/RadarReturn\nfloat32 range\nfloat32 azimuth\nfloat32 elevation\nfloat32 doppler_velocity\nfloat32 amplitude",
  ),
  "radar_msgs/msg/RadarTracks": schema(
    "std_msgs/Header header\nradar_msgs/RadarTrack[] tracks",
    HEADER,
    TIME,
    [
      "radar_msgs/RadarTrack",
      "uint16 NO_CLASSIFICATION=0",
      "uint16 STATIC=1",
      "uint16 DYNAMIC=2",
      "unique_identifier_msgs/UUID uuid",
      "geometry_msgs/Point position",
      "geometry_msgs/Vector3 velocity",
      "geometry_msgs/Vector3 acceleration",
      "geometry_msgs/Vector3 size",
      "uint16 classification",
      "float32[6] position_covariance",
      "float32[6] velocity_covariance",
      "float32[6] acceleration_covariance",
      "float32[6] size_covariance",
    ].join("\n"),
    "unique_identifier_msgs/UUID\nuint8[16] uuid",
    "geometry_msgs/Point\nfloat64 x\nfloat64 y\nfloat64 z",
    VECTOR3,
  ),
  // audio_common_msgs (ros-drivers/audio_common, ROS 2).
  "audio_common_msgs/msg/AudioData": schema(AUDIO_DATA),
  "audio_common_msgs/msg/AudioDataStamped": schema(
    "std_msgs/Header header\naudio_common_msgs/AudioData audio",
    HEADER,
    TIME,
    `audio_common_msgs/AudioData\n${AUDIO_DATA}`,
  ),
  "audio_common_msgs/msg/AudioInfo": schema(
    "uint8 channels\nuint32 sample_rate\nstring sample_format\nuint32 bitrate\nstring coding_format",
  ),
  "sensor_msgs/msg/Image": schema(
    "std_msgs/Header header\nuint32 height\nuint32 width\nstring encoding\nuint8 is_bigendian\nuint32 step\nuint8[] data",
    HEADER,
    TIME,
  ),
  "sensor_msgs/msg/CompressedImage": schema("std_msgs/Header header\nstring format\nuint8[] data", HEADER, TIME),
  "sensor_msgs/msg/PointCloud2": schema(
    "std_msgs/Header header\nuint32 height\nuint32 width\nPointField[] fields\nbool is_bigendian\nuint32 point_step\nuint32 row_step\nuint8[] data\nbool is_dense",
    HEADER,
    TIME,
    "sensor_msgs/PointField\nuint8 INT8=1\nuint8 UINT8=2\nuint8 INT16=3\nuint8 UINT16=4\nuint8 INT32=5\nuint8 UINT32=6\nuint8 FLOAT32=7\nuint8 FLOAT64=8\nstring name\nuint32 offset\nuint8 datatype\nuint32 count",
  ),
  "sensor_msgs/msg/CameraInfo": schema(
    "std_msgs/Header header\nuint32 height\nuint32 width\nstring distortion_model\nfloat64[] d\nfloat64[9] k\nfloat64[9] r\nfloat64[12] p\nuint32 binning_x\nuint32 binning_y\nsensor_msgs/RegionOfInterest roi",
    HEADER,
    TIME,
    "sensor_msgs/RegionOfInterest\nuint32 x_offset\nuint32 y_offset\nuint32 height\nuint32 width\nbool do_rectify",
  ),
  "tf2_msgs/msg/TFMessage": schema(
    "geometry_msgs/TransformStamped[] transforms",
    "geometry_msgs/TransformStamped\nstd_msgs/Header header\nstring child_frame_id\nTransform transform",
    HEADER,
    TIME,
    "geometry_msgs/Transform\nVector3 translation\nQuaternion rotation",
    VECTOR3,
    "geometry_msgs/Quaternion\nfloat64 x 0\nfloat64 y 0\nfloat64 z 0\nfloat64 w 1",
  ),
};
