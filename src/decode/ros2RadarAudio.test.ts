import { parse as parseRosMsg } from "@foxglove/rosmsg";
import { MessageReader } from "@foxglove/rosmsg2-serialization";
import { classifyTopic, resolveSensor, TopicMapping } from "../config/topicMapping";
import type { AudioFrame, DecodedMessage, RadarFrame } from "../types";
import { roleFromContent } from "./contentRole";
import { createDecoder, type DecodeResult } from "./createDecoder";
import { ros2Bytes, ros2Message, rosHeader } from "./testing/messages";
import { ROS2_SCHEMA_TEXT } from "./testing/ros2Schemas";

const T = 1_700_000_000_123_456_789n;
const LOG = 1_700_000_001_000_000_000n;

function one<K extends DecodedMessage["kind"]>(r: DecodeResult, kind: K): Extract<DecodedMessage, { kind: K }> {
  if (!("messages" in r)) throw new Error(`expected decoded messages, got ${JSON.stringify(r)}`);
  expect(r.messages).toHaveLength(1);
  expect(r.messages[0]!.kind).toBe(kind);
  return r.messages[0] as Extract<DecodedMessage, { kind: K }>;
}
function err(r: DecodeResult): string {
  if (!("error" in r)) throw new Error(`expected an error, got ${Object.keys(r).join(", ")}`);
  return r.error;
}

const scan = {
  header: rosHeader(T, "radar_front"),
  returns: [
    { range: 20, azimuth: 0.25, elevation: -0.05, doppler_velocity: -3.5, amplitude: 12 },
    { range: Number.NaN, azimuth: 0, elevation: 0, doppler_velocity: 0, amplitude: 0 },
    { range: 7.5, azimuth: -0.5, elevation: 0, doppler_velocity: 1.25, amplitude: -4 },
  ],
};

const zeros = [0, 0, 0, 0, 0, 0];
function uuid(...head: number[]): { uuid: Uint8Array } {
  const u = new Uint8Array(16);
  u.set(head);
  return { uuid: u };
}
const track = (over: object) => ({
  uuid: uuid(7),
  position: { x: 30, y: -2, z: 0.5 },
  velocity: { x: 10, y: 0.5, z: 0 },
  acceleration: { x: 0.2, y: 0, z: 0 },
  size: { x: 4.5, y: 1.8, z: 1.5 },
  classification: 32001,
  position_covariance: [0.25, 0, 0, 0.04, 0, 0.01],
  velocity_covariance: zeros,
  acceleration_covariance: zeros,
  size_covariance: zeros,
  ...over,
});

describe("ROS 2 radar_msgs", () => {
  it("RadarScan and RadarTracks are radar topics, classified from the schema alone", () => {
    const info = (schemaName: string) => ({ topic: "/radar/scan", schemaName, schemaEncoding: "ros2msg", messageEncoding: "cdr" });
    expect(classifyTopic(info("radar_msgs/msg/RadarScan"))).toEqual({ role: "radar", supported: true });
    expect(classifyTopic(info("radar_msgs/RadarTracks"))).toEqual({ role: "radar", supported: true });
  });

  it("RadarScan: CDR bytes round-trip through our reader; returns → detections, the NaN return dropped and counted", () => {
    const msg = ros2Message("/sensors/radar_front/scan", "radar_msgs/msg/RadarScan", scan, LOG);
    // The bytes the writer made read back as the same message with @foxglove's own reader.
    const back = new MessageReader(parseRosMsg(ROS2_SCHEMA_TEXT["radar_msgs/msg/RadarScan"]!, { ros2: true })).readMessage<typeof scan>(
      msg.data,
    );
    expect(back.returns[2]).toEqual({ range: 7.5, azimuth: -0.5, elevation: 0, doppler_velocity: 1.25, amplitude: -4 });
    const d = createDecoder();
    const f = one(d.decode(msg), "radar") as RadarFrame;
    expect(f).toMatchObject({ sensorId: "radar_front", frameId: "radar_front", stamp: T, receivedAt: LOG, objects: [] });
    expect(f.detections).toHaveLength(2);
    const [a, b] = f.detections;
    expect(a!.rangeM).toBe(20);
    expect(a!.azimuthRad).toBeCloseTo(0.25, 6); // float32 on the wire
    expect(a!.elevationRad).toBeCloseTo(-0.05, 6);
    expect(a!.rangeRateMps).toBe(-3.5);
    expect(a!.rcsDbsm).toBe(12); // amplitude (dB) stands in for RCS
    expect(a!.existenceProbability).toBe(1);
    expect(Number.isNaN(a!.snrDb) && Number.isNaN(a!.rangeStdM)).toBe(true); // not reported
    expect(b).toMatchObject({ rangeM: 7.5, azimuthRad: -0.5, rangeRateMps: 1.25, rcsDbsm: -4 });
    expect(d.stats.droppedValues).toBe(1);
  });

  it("RadarTracks: uuid → id, covariance → std, Autoware's vendor class, no heading; a NaN track dropped", () => {
    const d = createDecoder();
    const tracks = {
      header: rosHeader(T, "radar_front"),
      tracks: [
        track({}),
        track({ uuid: uuid(0, 0, 0, 1, 0, 0, 0, 2), classification: 32007, velocity_covariance: [1, 0, 0, 4, 0, 9] }),
        track({ position: { x: Number.NaN, y: 0, z: 0 } }),
        track({ classification: 2 }),
      ],
    };
    const f = one(d.decode(ros2Message("/sensors/radar_front/tracks", "radar_msgs/msg/RadarTracks", tracks, LOG)), "radar") as RadarFrame;
    expect(f.sensorId).toBe("radar_front");
    expect(f.detections).toEqual([]);
    expect(f.objects).toHaveLength(3);
    const [car, ped, dynamic] = f.objects;
    // uuid words 0x07000000 ^ 0 ^ 0 ^ 0; then 0x00000001 ^ 0x00000002.
    expect(car!.id).toBe(0x07000000);
    expect(ped!.id).toBe(3);
    expect(car).toMatchObject({
      position: { x: 30, y: -2, z: 0.5 },
      velocity: { x: 10, y: 0.5, z: 0 },
      length: 4.5,
      width: 1.8,
      height: 1.5,
    });
    expect(car!.positionStd.x).toBeCloseTo(0.5, 6);
    expect(car!.positionStd.y).toBeCloseTo(0.2, 6);
    expect(car!.positionStd.z).toBeCloseTo(0.1, 6);
    expect(car!.velocityStd).toEqual({ x: 0.5, y: 0.5, z: 0.5 }); // all-zero covariance: not reported
    expect(ped!.velocityStd).toEqual({ x: 1, y: 2, z: 3 });
    expect(car!.classification).toBe("car");
    expect(car!.classProbabilities).toEqual({ car: 1 });
    expect(ped!.classification).toBe("pedestrian");
    expect(dynamic!.classification).toBe("unknown");
    expect(dynamic!.classProbabilities).toEqual({});
    expect(Number.isNaN(car!.yawRad)).toBe(true);
    expect(car).toMatchObject({ existenceProbability: 1, rcsDbsm: 0, ageMs: 0 });
    expect(d.stats.droppedValues).toBe(1);
  });

  it("RadarTracks: a negative variance is one error line naming the field", () => {
    const tracks = { header: rosHeader(T, "r"), tracks: [track({ position_covariance: [-1, 0, 0, 1, 0, 1] })] };
    expect(err(createDecoder().decode(ros2Message("/radar/tracks", "radar_msgs/msg/RadarTracks", tracks, LOG)))).toBe(
      `/radar/tracks @ ${LOG}: radar_msgs/msg/RadarTracks.tracks[0].position_covariance: negative variance in [-1, 0, 0, 1, 0, 1], expected variances ≥ 0`,
    );
  });
});

const FIELD = (name: string, offset: number, datatype = 7) => ({ name, offset, datatype, count: 1 });

/** nuScenes-style radar points: float32 x, y, z, rcs, vx, vy (stride 24). */
function nuscenesCloud(points: number[][]) {
  const data = new Uint8Array(points.length * 24);
  const v = new DataView(data.buffer);
  points.forEach((p, n) => p.forEach((value, k) => v.setFloat32(n * 24 + k * 4, value, true)));
  return {
    header: rosHeader(T, "radar_front"),
    height: 1,
    width: points.length,
    fields: ["x", "y", "z", "rcs", "vx", "vy"].map((name, k) => FIELD(name, k * 4)),
    is_bigendian: false,
    point_step: 24,
    row_step: 24 * points.length,
    data,
    is_dense: true,
  };
}

describe("ROS 2 PointCloud2 radar clouds", () => {
  const cloud = nuscenesCloud([
    [10, 10, 0, 5, -1, 0],
    [Number.NaN, 0, 0, 0, 0, 0],
    [20, 0, 0, -3, 2, 7],
  ]);

  it("fields say radar (rcs, vx/vy): the content role, and detections with the hand-computed range, azimuth and range rate", () => {
    const msg = ros2Message("/RADAR_FRONT", "sensor_msgs/msg/PointCloud2", cloud, LOG);
    expect(roleFromContent(msg)).toBe("radar");
    // The mapping wins: a role given for the topic is not second-guessed.
    expect(roleFromContent(msg, TopicMapping.parse({ "/RADAR_FRONT": { role: "lidar" } }))).toBeUndefined();
    const d = createDecoder();
    const f = one(d.decode(msg), "radar") as RadarFrame;
    expect(f).toMatchObject({ sensorId: "RADAR_FRONT", stamp: T, objects: [] });
    expect(f.detections).toHaveLength(2);
    const [a, b] = f.detections;
    expect(a!.rangeM).toBeCloseTo(Math.SQRT2 * 10, 5);
    expect(a!.azimuthRad).toBeCloseTo(Math.PI / 4, 6);
    expect(a!.elevationRad).toBe(0);
    // The line-of-sight part of (vx, vy) = (-1, 0) at 45°: -cos 45°.
    expect(a!.rangeRateMps).toBeCloseTo(-Math.SQRT1_2, 6);
    expect(a!.rcsDbsm).toBe(5);
    expect(b).toMatchObject({ rangeM: 20, azimuthRad: 0, rangeRateMps: 2, rcsDbsm: -3 });
    expect(d.stats.droppedValues).toBe(1);
    expect(d.stats.byTopic.get("/RADAR_FRONT")!.role).toBe("radar");
  });

  it("a LiDAR cloud stays LiDAR; role radar from the config makes any cloud radar; an FMCW LiDAR's velocity is not radar", () => {
    const lidar = {
      ...nuscenesCloud([[1, 2, 3, 0, 0, 0]]),
      fields: ["x", "y", "z", "intensity", "ring", "velocity"].map((name, k) => FIELD(name, k * 4)),
    };
    const msg = ros2Message("/points_raw", "sensor_msgs/msg/PointCloud2", lidar, LOG);
    expect(roleFromContent(msg)).toBeUndefined();
    expect(one(createDecoder().decode(msg), "lidar")).toBeDefined();
    const mapping = TopicMapping.parse({ "/points_raw": { role: "radar" } });
    // PointCloud2 may be either: the mapping's role is not a contradiction.
    expect(resolveSensor("/points_raw", classifyTopic(msg), mapping).role).toBe("radar");
    const r = one(createDecoder({ mapping }).decode(msg), "radar") as RadarFrame;
    expect(r.detections[0]!.rangeM).toBeCloseTo(Math.hypot(1, 2, 3), 5);
    expect(r.detections[0]!.rcsDbsm).toBe(0); // intensity stands in for RCS
    expect(Number.isNaN(r.detections[0]!.rangeRateMps)).toBe(true); // no Doppler field
  });

  it("a topic named radar is radar before any message is seen; classification lists both roles", () => {
    const info = {
      topic: "/sensing/radar/front/points",
      schemaName: "sensor_msgs/msg/PointCloud2",
      schemaEncoding: "ros2msg",
      messageEncoding: "cdr",
    };
    expect(classifyTopic(info)).toEqual({ role: "radar", supported: true, roles: ["lidar", "radar"] });
    expect(classifyTopic({ ...info, topic: "/points" }).role).toBe("lidar");
  });
});

function pcm16(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const v = new DataView(out.buffer);
  values.forEach((s, i) => v.setInt16(i * 2, s, true));
  return out;
}

describe("ROS 2 audio_common_msgs", () => {
  it("AudioData with AudioInfo on the sibling topic: S16LE stereo samples, stamp = log time", () => {
    const d = createDecoder();
    const info = { channels: 2, sample_rate: 16000, sample_format: "S16LE", bitrate: 512000, coding_format: "wave" };
    expect(d.decode(ros2Message("/mic/audio_info", "audio_common_msgs/msg/AudioInfo", info, LOG))).toEqual({ messages: [] });
    const f = one(
      d.decode(ros2Message("/mic/audio", "audio_common_msgs/msg/AudioData", { data: pcm16([1, -2, 300, -32768]) }, LOG)),
      "audio",
    ) as AudioFrame;
    expect(f).toMatchObject({ sensorId: "mic", sampleRate: 16000, channels: 2, stamp: LOG, receivedAt: LOG });
    expect([...f.samples]).toEqual([1, -2, 300, -32768]);
  });

  it("AudioDataStamped: header stamp and frame; U8 and F32LE converted to 16-bit; a WAV header skipped", () => {
    const mapping = TopicMapping.parse({ "/mic/audio_stamped": { audio: { sampleRate: 8000, channels: 1, format: "U8" } } });
    const d = createDecoder({ mapping });
    const wav = new Uint8Array(
      [..."RIFF"]
        .map((c) => c.charCodeAt(0))
        .concat(
          [0, 0, 0, 0],
          [..."WAVEdata"].map((c) => c.charCodeAt(0)),
          [3, 0, 0, 0],
          [128, 255, 0],
        ),
    );
    const stamped = { header: rosHeader(T, "mic_link"), audio: { data: wav } };
    const f = one(
      d.decode(ros2Message("/mic/audio_stamped", "audio_common_msgs/msg/AudioDataStamped", stamped, LOG)),
      "audio",
    ) as AudioFrame;
    expect(f).toMatchObject({ stamp: T, frameId: "mic_link", sampleRate: 8000, channels: 1 });
    expect([...f.samples]).toEqual([0, 127 << 8, -128 << 8]);

    const f32 = new Uint8Array(8);
    new DataView(f32.buffer).setFloat32(0, 0.5, true);
    new DataView(f32.buffer).setFloat32(4, -2, true);
    const m2 = TopicMapping.parse({ "/a/audio": { audio: { sampleRate: 48000, channels: 1, format: "F32LE" } } });
    const g = one(
      createDecoder({ mapping: m2 }).decode(ros2Message("/a/audio", "audio_common_msgs/msg/AudioData", { data: f32 }, LOG)),
      "audio",
    ) as AudioFrame;
    expect([...g.samples]).toEqual([16384, -32767]);
  });

  it("what cannot be decoded is one line: no format, mp3 coding, a partial sample frame", () => {
    const d = createDecoder();
    const data = { data: pcm16([1, 2, 3]) };
    expect(err(d.decode(ros2Message("/mic/audio", "audio_common_msgs/msg/AudioData", data, LOG)))).toBe(
      `/mic/audio @ ${LOG}: audio_common_msgs/msg/AudioData: no sample rate, channels or sample format: no AudioInfo on /mic/audio_info yet and no topics./mic/audio.audio in the config, expected an AudioInfo on /mic/audio_info or topics./mic/audio.audio: { sampleRate, channels, format }`,
    );
    const mp3 = { channels: 1, sample_rate: 16000, sample_format: "S16LE", bitrate: 0, coding_format: "mp3" };
    d.decode(ros2Message("/mic/audio_info", "audio_common_msgs/msg/AudioInfo", mp3, LOG));
    expect(err(d.decode(ros2Message("/mic/audio", "audio_common_msgs/msg/AudioData", data, LOG)))).toBe(
      `/mic/audio @ ${LOG}: audio_common_msgs/msg/AudioData: /mic/audio_info says coding_format "mp3" (compressed audio), expected coding_format wave (raw PCM), or topics./mic/audio.audio in the config`,
    );
    const stereo = { ...mp3, channels: 2, coding_format: "wave" };
    d.decode(ros2Message("/mic/audio_info", "audio_common_msgs/msg/AudioInfo", stereo, LOG));
    expect(err(d.decode(ros2Message("/mic/audio", "audio_common_msgs/msg/AudioData", data, LOG)))).toContain(
      "data is 6 bytes, expected a multiple of 2 bytes (S16LE) × 2 channels",
    );
    expect(ros2Bytes("audio_common_msgs/msg/AudioData", data).length).toBeGreaterThan(6);
  });
});
