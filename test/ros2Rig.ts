import { createDecoder } from "../src/decode/createDecoder";
import { ros2Message, rosHeader } from "../src/decode/testing/messages";
import type { BuiltMessage, BuildOptions } from "../src/sources/mcap/buildRecording";
import type { DecodedMessage, ObjectClass, RadarFrame, SensorMessage } from "../src/types";
import { DEFAULT_RECORDING } from "./bridgeHelpers";
import { readAllMessages } from "./readAllMessages";

/*
 * recordings/default.mcap as a ROS 2 rig publishes it: every frame decoded with our decoder and
 * written again in ROS 2 CDR (MessageWriter) with the schemas rosbag2 would store —
 * sensor_msgs/CompressedImage, PointCloud2 (LiDAR), radar_msgs/RadarTracks (the radar's objects)
 * and RadarScan (its returns, as a second radar), the returns once more as a nuScenes-style
 * PointCloud2 (x, y, z, rcs, vx, vy) on a topic that does not say radar, audio_common_msgs
 * AudioDataStamped with its AudioInfo, CameraInfo and TFMessage.
 */

export const RIG_TOPICS = {
  camera: "/sensors/cam_front/image/compressed",
  cameraInfo: "/sensors/cam_front/camera_info",
  lidar: "/sensors/lidar_top/points",
  tracks: "/sensors/radar_front/tracks",
  returns: "/sensors/radar_front_returns/scan",
  cloud: "/sensors/srr_front/points",
  audio: "/sensors/mic_array/audio",
  audioInfo: "/sensors/mic_array/audio_info",
  tf: "/tf",
} as const;

const SCHEMA_OF: Record<string, string> = {
  [RIG_TOPICS.camera]: "sensor_msgs/msg/CompressedImage",
  [RIG_TOPICS.cameraInfo]: "sensor_msgs/msg/CameraInfo",
  [RIG_TOPICS.lidar]: "sensor_msgs/msg/PointCloud2",
  [RIG_TOPICS.tracks]: "radar_msgs/msg/RadarTracks",
  [RIG_TOPICS.returns]: "radar_msgs/msg/RadarScan",
  [RIG_TOPICS.cloud]: "sensor_msgs/msg/PointCloud2",
  [RIG_TOPICS.audio]: "audio_common_msgs/msg/AudioDataStamped",
  [RIG_TOPICS.audioInfo]: "audio_common_msgs/msg/AudioInfo",
  [RIG_TOPICS.tf]: "tf2_msgs/msg/TFMessage",
};

const TRACK_CLASS: Partial<Record<ObjectClass, number>> = {
  unknown: 32000,
  car: 32001,
  truck: 32002,
  motorcycle: 32005,
  cyclist: 32006,
  pedestrian: 32007,
};

const field = (name: string, offset: number) => ({ name, offset, datatype: 7, count: 1 });

function cloud2(header: object, names: string[], values: Float32Array, count: number) {
  const step = names.length * 4;
  return {
    header,
    height: 1,
    width: count,
    fields: names.map((n, k) => field(n, k * 4)),
    is_bigendian: false,
    point_step: step,
    row_step: step * count,
    data: new Uint8Array(values.buffer, values.byteOffset, count * step).slice(),
    is_dense: true,
  };
}

function radarMessages(f: RadarFrame, header: object): [string, object][] {
  const tracks = f.objects.map((o) => {
    const uuid = new Uint8Array(16);
    new DataView(uuid.buffer).setUint32(12, o.id);
    const v = (s: { x: number; y: number; z: number }) => [s.x ** 2, 0, 0, s.y ** 2, 0, s.z ** 2];
    return {
      uuid: { uuid },
      position: o.position,
      velocity: o.velocity,
      acceleration: o.acceleration,
      size: { x: o.length, y: o.width, z: Number.isFinite(o.height) ? o.height : 0 },
      classification: TRACK_CLASS[o.classification] ?? 0,
      position_covariance: v(o.positionStd),
      velocity_covariance: v(o.velocityStd),
      acceleration_covariance: [0, 0, 0, 0, 0, 0],
      size_covariance: [0, 0, 0, 0, 0, 0],
    };
  });
  const returns = f.detections.map((d) => ({
    range: d.rangeM,
    azimuth: d.azimuthRad,
    elevation: d.elevationRad,
    doppler_velocity: d.rangeRateMps,
    amplitude: d.rcsDbsm,
  }));
  // nuScenes-style: x, y, z, rcs, and the line-of-sight velocity split into vx, vy.
  const pts = new Float32Array(f.detections.length * 6);
  f.detections.forEach((d, i) => {
    const [ca, sa, ce] = [Math.cos(d.azimuthRad), Math.sin(d.azimuthRad), Math.cos(d.elevationRad)];
    pts.set(
      [d.rangeM * ca * ce, d.rangeM * sa * ce, d.rangeM * Math.sin(d.elevationRad), d.rcsDbsm, d.rangeRateMps * ca, d.rangeRateMps * sa],
      i * 6,
    );
  });
  return [
    [RIG_TOPICS.tracks, { header, tracks }],
    [RIG_TOPICS.returns, { header, returns }],
    [RIG_TOPICS.cloud, cloud2(header, ["x", "y", "z", "rcs", "vx", "vy"], pts, f.detections.length)],
  ];
}

/** One decoded entry of the recording as ROS 2 messages (topic, object), its stamp moved by `shift`. */
function toRos2(m: DecodedMessage, shift: bigint): [string, object][] {
  switch (m.kind) {
    case "camera":
      return [[RIG_TOPICS.camera, { header: rosHeader(m.stamp + shift, m.frameId), format: m.format, data: m.data }]];
    case "lidar":
      return [[RIG_TOPICS.lidar, cloud2(rosHeader(m.stamp + shift, m.frameId), ["x", "y", "z", "intensity"], m.points, m.count)]];
    case "radar":
      return radarMessages(m, rosHeader(m.stamp + shift, m.frameId));
    case "audio": {
      const data = new Uint8Array(m.samples.buffer, m.samples.byteOffset, m.samples.byteLength).slice();
      return [[RIG_TOPICS.audio, { header: rosHeader(m.stamp + shift, m.frameId), audio: { data } }]];
    }
    case "transform": {
      const t = {
        header: rosHeader(m.stamp + shift, m.parentFrameId),
        child_frame_id: m.childFrameId,
        transform: { translation: m.translation, rotation: m.rotation },
      };
      return [[RIG_TOPICS.tf, { transforms: [t] }]];
    }
    case "cameraCalibration":
      return [
        [
          RIG_TOPICS.cameraInfo,
          {
            header: rosHeader(m.stamp + shift, m.frameId),
            height: m.height,
            width: m.width,
            distortion_model: m.distortionModel,
            d: m.D,
            k: m.K,
            r: m.R,
            p: m.P,
          },
        ],
      ];
    case "groundTruth":
      return [];
  }
}

/** The AudioInfo audio_capture publishes beside the rig's audio (the recording's microphones: 16 kHz, 2 channels, S16LE). */
export function rigAudioInfo(frame: { sampleRate: number; channels: number }) {
  return {
    channels: frame.channels,
    sample_rate: frame.sampleRate,
    sample_format: "S16LE",
    bitrate: frame.sampleRate * frame.channels * 16,
    coding_format: "wave",
  };
}

/**
 * The rig's messages in log-time order, stamps moved by `shift` (ns, or a function of the
 * recording's first log time; log times unchanged: the caller sets them, e.g. to the wall clock
 * when serving). The AudioInfo comes first.
 */
export async function ros2RigMessages(shift: bigint | ((firstLogTime: bigint) => bigint) = 0n): Promise<SensorMessage[]> {
  const decoder = createDecoder();
  const out: SensorMessage[] = [];
  let info: SensorMessage | undefined;
  const recording = await readAllMessages(DEFAULT_RECORDING, "indexed");
  const shiftNs = typeof shift === "bigint" ? shift : shift(recording[0]!.logTime);
  for (const raw of recording) {
    const r = decoder.decode(raw);
    if (!("messages" in r)) continue;
    for (const m of r.messages) {
      if (m.kind === "audio" && !info)
        info = ros2Message(RIG_TOPICS.audioInfo, SCHEMA_OF[RIG_TOPICS.audioInfo]!, rigAudioInfo(m), raw.logTime);
      for (const [topic, obj] of toRos2(m, shiftNs)) out.push(ros2Message(topic, SCHEMA_OF[topic]!, obj, raw.logTime));
    }
  }
  return info ? [{ ...info, logTime: out[0]!.logTime }, ...out] : out;
}

/** `buildRecording` input for the rig as a rosbag2 MCAP (ros2msg schemas, cdr messages), plus extra topics. */
export function rosbag2Recording(messages: readonly SensorMessage[]): { messages: BuiltMessage[]; options: BuildOptions } {
  const schemas: NonNullable<BuildOptions["schemas"]> = {};
  for (const m of messages)
    schemas[m.topic] ??= { name: m.schemaName, encoding: m.schemaEncoding, messageEncoding: m.messageEncoding, data: m.schemaData };
  return { messages: messages.map((m) => ({ topic: m.topic, logTime: m.logTime, data: m.data })), options: { schemas, profile: "ros2" } };
}
