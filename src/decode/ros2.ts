import { parse as parseRosMsg } from "@foxglove/rosmsg";
import { MessageReader } from "@foxglove/rosmsg2-serialization";
import type { CameraCalibration, DecodedMessage, FrameTransform, PointCloudFrame, TopicRole } from "../types";
import { BadInputError } from "../types/errors";
import {
  arrayField,
  asFields,
  bytesField,
  compressedImageFrame,
  type DecodeContext,
  type Fields,
  numArrayField,
  quatField,
  rawImageFrame,
  rosHeader,
  type RosHeader,
  strField,
  uintField,
  vec3Field,
} from "./common";
import { type PackedField, type PackedLayout, readColumns, ROS_POINTFIELD_NUMERIC, unpackPoints } from "./pointFields";
import { audioData, audioInfo, type AudioChannel } from "./ros2Audio";
import { radarCloud, radarScan, radarTracks } from "./ros2Radar";

/**
 * A CDR reader for one ROS 2 schema (ros2msg text with its `====` / `MSG:` dependencies).
 * Works for any message type, not only the ones we turn into frames.
 */
export type Ros2Reader = {
  read(data: Uint8Array): Fields;
};

/**
 * rmw pads each CDR buffer to a multiple of 4 bytes, so up to 3 trailing bytes are normal. More
 * means the schema describes a shorter message than the one written: a schema/payload mismatch.
 */
const MAX_PADDING = 3;

const SECTION = /^={10,}\s*$/m;

/** service_msgs/msg/ServiceEventInfo as of ROS 2 Iron/Jazzy. */
const SERVICE_EVENT_INFO = [
  "uint8 REQUEST_SENT = 0",
  "uint8 REQUEST_RECEIVED = 1",
  "uint8 RESPONSE_SENT = 2",
  "uint8 RESPONSE_RECEIVED = 3",
  "uint8 event_type",
  "builtin_interfaces/Time stamp",
  "char[16] client_gid",
  "int64 sequence_number",
].join("\n");

/**
 * rosbag2 records service introspection topics (`pkg/srv/Name_Event`) with the .srv text
 * (request `---` response) as the schema, not the event message that is on the wire. Rebuild the
 * event type: `{ info: ServiceEventInfo, request: Request[<=1], response: Response[<=1] }`.
 */
export function serviceEventDefinition(schemaName: string, text: string): string | undefined {
  const m = /^([\w]+)\/srv\/(\w+)_Event$/.exec(schemaName);
  if (!m) return undefined;
  const [head, ...deps] = text.split(SECTION);
  const parts = head.split(/^---\s*$/m);
  if (parts.length !== 2) return undefined;
  const [pkg, srv] = [m[1], m[2]];
  const sep = "\n================================================================================\n";
  return (
    [
      `service_msgs/ServiceEventInfo info\n${pkg}/${srv}_Request[<=1] request\n${pkg}/${srv}_Response[<=1] response`,
      `MSG: service_msgs/ServiceEventInfo\n${SERVICE_EVENT_INFO}`,
      `MSG: builtin_interfaces/Time\nint32 sec\nuint32 nanosec`,
      `MSG: ${pkg}/${srv}_Request\n${parts[0].trim()}`,
      `MSG: ${pkg}/${srv}_Response\n${parts[1].trim()}`,
      ...deps.map((d) => d.trim()).filter((d) => d !== ""),
    ].join(sep) + "\n"
  );
}

export function createRos2Reader(schemaName: string, schemaText: string): Ros2Reader {
  let reader: MessageReader<Fields>;
  try {
    const defs = parseRosMsg(serviceEventDefinition(schemaName, schemaText) ?? schemaText, { ros2: true });
    if (defs.length === 0) throw new Error("no message definition");
    reader = new MessageReader<Fields>(defs);
  } catch (err) {
    throw new BadInputError({
      where: `schema ${schemaName}`,
      what: `ros2msg text does not parse (${(err as Error).message.split("\n")[0]})`,
    });
  }
  return {
    read(data: Uint8Array): Fields {
      if (data.length < 4)
        throw new BadInputError({
          where: "",
          what: `${data.length} bytes`,
          expected: "a CDR message (4-byte encapsulation header and body)",
        });
      // Only CDR encapsulation kinds 0/1 (plain CDR, big/little endian) are what rmw writes.
      if (data[0] !== 0 || data[1] > 3) {
        throw new BadInputError({
          where: "",
          what: `CDR encapsulation header ${data[0]} ${data[1]}`,
          expected: "0 0 (CDR_BE) or 0 1 (CDR_LE)",
        });
      }
      let msg: Fields;
      try {
        msg = reader.readMessage<Fields>(data);
      } catch (err) {
        throw new BadInputError({
          where: "",
          what: `${data.length} bytes do not decode as ${schemaName} (${(err as Error).message.split("\n")[0]})`,
        });
      }
      const trailing = data.length - reader.lastReadByteLength();
      // @foxglove/cdr reads byte arrays as views without checking the message's own length, so a
      // truncated message inside a larger chunk buffer can "decode" from its neighbours' bytes.
      if (trailing < 0) {
        throw new BadInputError({
          where: "",
          what: `${schemaName} needs ${reader.lastReadByteLength()} bytes but the message has ${data.length} (truncated)`,
        });
      }
      if (trailing > MAX_PADDING) {
        throw new BadInputError({
          where: "",
          what: `${trailing} bytes left after decoding ${schemaName} from ${data.length}`,
          expected: `at most ${MAX_PADDING} bytes of padding`,
        });
      }
      return msg;
    },
  };
}

const header = rosHeader;

const POINTCLOUD2 = "sensor_msgs/msg/PointCloud2";

/** Plain object → frames, for one schema. */
export type Ros2Converter = (obj: Fields, ctx: DecodeContext) => DecodedMessage[];

/** ROS 2 schemas we turn into frames the same way on every channel, keyed by normalized name (`pkg/msg/Name`). */
export const ROS2_DECODERS: Readonly<Record<string, Ros2Converter>> = {
  "sensor_msgs/msg/Image": (o, ctx) => {
    const what = "sensor_msgs/msg/Image";
    const h = header(o, ctx, what);
    // is_bigendian only matters for multi-byte channels, which we do not accept.
    const encoding = strField(o, "encoding", what);
    return [
      rawImageFrame(ctx, what, {
        stamp: h.stamp,
        frameId: h.frameId,
        width: uintField(o, "width", what),
        height: uintField(o, "height", what),
        encoding,
        step: uintField(o, "step", what),
        data: bytesField(o, "data", what),
      }),
    ];
  },
  "sensor_msgs/msg/CompressedImage": (o, ctx) => {
    const what = "sensor_msgs/msg/CompressedImage";
    const h = header(o, ctx, what);
    return [
      compressedImageFrame(ctx, what, {
        stamp: h.stamp,
        frameId: h.frameId,
        format: strField(o, "format", what),
        data: bytesField(o, "data", what),
      }),
    ];
  },
  "sensor_msgs/msg/PointCloud2": (o, ctx) => [pointCloud2(o, ctx)],
  "sensor_msgs/msg/CameraInfo": (o, ctx) => [cameraInfo(o, ctx)],
  "tf2_msgs/msg/TFMessage": (o, ctx) =>
    arrayField(o, "transforms", "tf2_msgs/msg/TFMessage").map((t, i) =>
      transformStamped(asFields(t, `transforms[${i}]`), ctx, `tf2_msgs/msg/TFMessage.transforms[${i}]`),
    ),
  "radar_msgs/msg/RadarScan": (o, ctx) => [radarScan(o, ctx, header(o, ctx, "radar_msgs/msg/RadarScan"))],
  "radar_msgs/msg/RadarTracks": (o, ctx) => [radarTracks(o, ctx, header(o, ctx, "radar_msgs/msg/RadarTracks"))],
};

/** What a channel's converter depends on beyond its schema: the role it plays, where audio formats come from. */
export type Ros2Channel = { role: TopicRole | null; audio: AudioChannel };

/**
 * The converter of one ROS 2 channel: a PointCloud2 whose role is radar becomes radar detections;
 * audio_common_msgs read their PCM layout from the config or the namespace's AudioInfo.
 */
export function ros2Converter(name: string, channel: Ros2Channel): Ros2Converter | undefined {
  switch (name) {
    case "sensor_msgs/msg/PointCloud2":
      if (channel.role !== "radar") break;
      return (o, ctx) => {
        const { h, layout } = pointCloud2Layout(o, ctx);
        return [radarCloud(layout === undefined ? { count: 0, get: () => undefined } : readColumns(layout, POINTCLOUD2), ctx, h)];
      };
    case "audio_common_msgs/msg/AudioInfo":
      return (o, ctx) => audioInfo(o, ctx, channel.audio.formats);
    case "audio_common_msgs/msg/AudioData":
      return (o, ctx) => [audioData(o, ctx, channel.audio, undefined)];
    case "audio_common_msgs/msg/AudioDataStamped":
      return (o, ctx) => [audioData(o, ctx, channel.audio, header(o, ctx, name))];
  }
  return ROS2_DECODERS[name];
}

/** The field names of a PointCloud2 message object. */
export function pointCloud2FieldNames(o: Fields): string[] {
  return arrayField(o, "fields", POINTCLOUD2).map((raw, i) => strField(asFields(raw, `${POINTCLOUD2}.fields[${i}]`), "name", POINTCLOUD2));
}

/** A PointCloud2's header and packed layout (undefined for an empty cloud), checked against its data. */
function pointCloud2Layout(o: Fields, ctx: DecodeContext): { h: RosHeader; layout: PackedLayout | undefined } {
  const what = POINTCLOUD2;
  const h = header(o, ctx, what);
  const fields: PackedField[] = arrayField(o, "fields", what).map((raw, i) => {
    const w = `${what}.fields[${i}]`;
    const f = asFields(raw, w);
    const datatype = uintField(f, "datatype", w);
    const type = ROS_POINTFIELD_NUMERIC[datatype];
    const name = strField(f, "name", w);
    if (!type) throw new BadInputError({ where: `${w} "${name}"`, what: `unknown datatype ${datatype}`, expected: "1..8 (INT8..FLOAT64)" });
    return { name, offset: uintField(f, "offset", w), type };
  });
  const width = uintField(o, "width", what);
  const height = uintField(o, "height", what);
  const pointStep = uintField(o, "point_step", what);
  const rowStep = uintField(o, "row_step", what);
  const data = bytesField(o, "data", what);
  if (width * height > 0 && data.length !== rowStep * height) {
    throw new BadInputError({
      where: what,
      what: `data is ${data.length} bytes`,
      expected: `row_step ${rowStep} × height ${height} = ${rowStep * height}`,
    });
  }
  const bigEndian = o.is_bigendian === true || o.is_bigendian === 1;
  return { h, layout: width * height === 0 ? undefined : { data, width, height, pointStep, rowStep, fields, littleEndian: !bigEndian } };
}

function pointCloud2(o: Fields, ctx: DecodeContext): PointCloudFrame {
  const { h, layout } = pointCloud2Layout(o, ctx);
  const out =
    layout === undefined ? { count: 0, points: new Float32Array(0), dropped: 0, ring: undefined } : unpackPoints(layout, POINTCLOUD2);
  ctx.dropped += out.dropped;
  const frame: PointCloudFrame = {
    kind: "lidar",
    sensorId: ctx.sensorId,
    topic: ctx.topic,
    frameId: h.frameId,
    stamp: h.stamp,
    receivedAt: ctx.logTime,
    count: out.count,
    points: out.points,
  };
  if (out.ring) frame.ring = out.ring;
  return frame;
}

function cameraInfo(o: Fields, ctx: DecodeContext): CameraCalibration {
  const what = "sensor_msgs/msg/CameraInfo";
  const h = header(o, ctx, what);
  return {
    kind: "cameraCalibration",
    topic: ctx.topic,
    stamp: h.stamp,
    frameId: h.frameId,
    width: uintField(o, "width", what),
    height: uintField(o, "height", what),
    distortionModel: strField(o, "distortion_model", what),
    D: numArrayField(o, "d", what),
    K: numArrayField(o, "k", what, 9),
    R: numArrayField(o, "r", what, 9),
    P: numArrayField(o, "p", what, 12),
  };
}

function transformStamped(o: Fields, ctx: DecodeContext, what: string): FrameTransform {
  const h = header(o, ctx, what);
  const childFrameId = strField(o, "child_frame_id", what);
  if (childFrameId === "") throw new BadInputError({ where: what, what: "child_frame_id is empty", expected: "a frame name" });
  const t = o.transform == null ? {} : asFields(o.transform, `${what}.transform`);
  return {
    kind: "transform",
    topic: ctx.topic,
    stamp: h.stamp,
    parentFrameId: h.frameId,
    childFrameId,
    translation: vec3Field(t, "translation", `${what}.transform`),
    rotation: quatField(t, "rotation", `${what}.transform`),
  };
}
