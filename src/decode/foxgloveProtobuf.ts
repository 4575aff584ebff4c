import type { AudioFrame, CameraCalibration, DecodedMessage, FrameTransform, Nanos, PointCloudFrame, RadarFrame } from "../types";
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
  stampOf,
  strField,
  uintField,
  vec3Field,
} from "./common";
import { FOXGLOVE_NUMERIC, type PackedField, type PackedLayout, readColumns, unpackPoints } from "./pointFields";
import { radarCloud } from "./ros2Radar";
import { BadInputError } from "../types/errors";

/**
 * Foxglove schemas (protobuf, decoded to plain objects with .proto field names) → our frames.
 * The objects come from the recording's own descriptor, so only the fields are trusted, not their types.
 */
export const FOXGLOVE_DECODERS: Readonly<Record<string, (obj: Fields, ctx: DecodeContext) => DecodedMessage[]>> = {
  "foxglove.CompressedImage": (o, ctx) => [
    compressedImageFrame(ctx, "foxglove.CompressedImage", {
      stamp: stampOf(o.timestamp, ctx.logTime, "timestamp"),
      frameId: strField(o, "frame_id", "CompressedImage"),
      format: strField(o, "format", "CompressedImage"),
      data: bytesField(o, "data", "CompressedImage"),
    }),
  ],
  "foxglove.RawImage": (o, ctx) => [
    rawImageFrame(ctx, "foxglove.RawImage", {
      stamp: stampOf(o.timestamp, ctx.logTime, "timestamp"),
      frameId: strField(o, "frame_id", "RawImage"),
      width: uintField(o, "width", "RawImage"),
      height: uintField(o, "height", "RawImage"),
      encoding: strField(o, "encoding", "RawImage"),
      step: uintField(o, "step", "RawImage"),
      data: bytesField(o, "data", "RawImage"),
    }),
  ],
  "foxglove.PointCloud": (o, ctx) => [pointCloud(o, ctx)],
  "foxglove.RawAudio": (o, ctx) => [rawAudio(o, ctx)],
  "foxglove.FrameTransform": (o, ctx) => [frameTransform(o, ctx, "FrameTransform")],
  "foxglove.FrameTransforms": (o, ctx) =>
    arrayField(o, "transforms", "FrameTransforms").map((t, i) =>
      frameTransform(asFields(t, `transforms[${i}]`), ctx, `FrameTransforms.transforms[${i}]`),
    ),
  "foxglove.CameraCalibration": (o, ctx) => [cameraCalibration(o, ctx)],
};

/** A foxglove.PointCloud's packed layout, checked, with its frame and stamp. */
function pointCloudLayout(o: Fields, ctx: DecodeContext): { layout: PackedLayout; frameId: string; stamp: Nanos } {
  const what = "foxglove.PointCloud";
  const stride = uintField(o, "point_stride", what);
  const data = bytesField(o, "data", what);
  const fields: PackedField[] = arrayField(o, "fields", what).map((raw, i) => {
    const f = asFields(raw, `${what}.fields[${i}]`);
    const typeNum = uintField(f, "type", `${what}.fields[${i}]`);
    const type = FOXGLOVE_NUMERIC[typeNum];
    if (!type)
      throw new BadInputError({
        where: `${what}.fields[${i}] "${strField(f, "name", what)}"`,
        what: `unknown numeric type ${typeNum}`,
        expected: "1..8 (UINT8..FLOAT64)",
      });
    return { name: strField(f, "name", what), offset: uintField(f, "offset", `${what}.fields[${i}]`), type };
  });
  if (stride === 0) throw new BadInputError({ where: what, what: "point_stride is 0", expected: "the bytes per point" });
  if (data.length % stride !== 0) {
    throw new BadInputError({ where: what, what: `data is ${data.length} bytes`, expected: `a multiple of point_stride ${stride}` });
  }
  const pose = o.pose == null ? undefined : asFields(o.pose, `${what}.pose`);
  const layout: PackedLayout = {
    data,
    width: data.length / stride,
    height: 1,
    pointStep: stride,
    rowStep: data.length,
    fields,
    littleEndian: true,
    pose: pose
      ? { position: vec3Field(pose, "position", `${what}.pose`), orientation: quatField(pose, "orientation", `${what}.pose`) }
      : undefined,
  };
  return { layout, frameId: strField(o, "frame_id", what), stamp: stampOf(o.timestamp, ctx.logTime, "timestamp") };
}

function pointCloud(o: Fields, ctx: DecodeContext): PointCloudFrame {
  const { layout, frameId, stamp } = pointCloudLayout(o, ctx);
  const out = unpackPoints(layout, "foxglove.PointCloud");
  ctx.dropped += out.dropped;
  const frame: PointCloudFrame = {
    kind: "lidar",
    sensorId: ctx.sensorId,
    topic: ctx.topic,
    frameId,
    stamp,
    receivedAt: ctx.logTime,
    count: out.count,
    points: out.points,
  };
  if (out.ring) frame.ring = out.ring;
  return frame;
}

/**
 * A foxglove.PointCloud whose topic plays radar (its fields say so, contentRole.ts, or the
 * mapping does): the layout nuScenes-to-MCAP converters write (x, y, z, rcs, vx, vy, vx_comp,
 * vy_comp and the quality fields), read by field name into radar detections (ros2Radar.ts); the
 * cloud's pose is applied to x, y, z (readColumns).
 */
export function pointCloudRadar(o: Fields, ctx: DecodeContext): RadarFrame {
  const { layout, frameId, stamp } = pointCloudLayout(o, ctx);
  return radarCloud(readColumns(layout, "foxglove.PointCloud"), ctx, { stamp, frameId });
}

function rawAudio(o: Fields, ctx: DecodeContext): AudioFrame {
  const what = "foxglove.RawAudio";
  const format = strField(o, "format", what);
  if (format !== "pcm-s16") throw new BadInputError({ where: what, what: `unsupported format "${format}"`, expected: "pcm-s16" });
  const sampleRate = uintField(o, "sample_rate", what);
  const channels = uintField(o, "number_of_channels", what);
  if (sampleRate === 0) throw new BadInputError({ where: what, what: "sample_rate is 0", expected: "Hz > 0" });
  if (channels === 0) throw new BadInputError({ where: what, what: "number_of_channels is 0", expected: "≥ 1" });
  const data = bytesField(o, "data", what);
  if (data.length % (2 * channels) !== 0) {
    throw new BadInputError({
      where: what,
      what: `data is ${data.length} bytes`,
      expected: `a multiple of 2 bytes × ${channels} channels`,
    });
  }
  const samples = new Int16Array(data.length / 2);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(i * 2, true);
  return {
    kind: "audio",
    sensorId: ctx.sensorId,
    topic: ctx.topic,
    frameId: "",
    stamp: stampOf(o.timestamp, ctx.logTime, "timestamp"),
    receivedAt: ctx.logTime,
    sampleRate,
    channels,
    samples,
  };
}

function frameTransform(o: Fields, ctx: DecodeContext, what: string): FrameTransform {
  const parentFrameId = strField(o, "parent_frame_id", what);
  const childFrameId = strField(o, "child_frame_id", what);
  if (childFrameId === "") throw new BadInputError({ where: what, what: "child_frame_id is empty", expected: "a frame name" });
  return {
    kind: "transform",
    topic: ctx.topic,
    stamp: stampOf(o.timestamp, ctx.logTime, "timestamp"),
    parentFrameId,
    childFrameId,
    translation: vec3Field(o, "translation", what),
    rotation: quatField(o, "rotation", what),
  };
}

function cameraCalibration(o: Fields, ctx: DecodeContext): CameraCalibration {
  const what = "foxglove.CameraCalibration";
  const R = numArrayField(o, "R", what);
  return {
    kind: "cameraCalibration",
    topic: ctx.topic,
    stamp: stampOf(o.timestamp, ctx.logTime, "timestamp"),
    frameId: strField(o, "frame_id", what),
    width: uintField(o, "width", what),
    height: uintField(o, "height", what),
    distortionModel: strField(o, "distortion_model", what),
    D: numArrayField(o, "D", what),
    K: numArrayField(o, "K", what, 9),
    // An empty R means "no rectification": the identity.
    R: R.length === 0 ? [1, 0, 0, 0, 1, 0, 0, 0, 1] : checkLength(R, 9, `${what}.R`),
    P: numArrayField(o, "P", what, 12),
  };
}

function checkLength(arr: number[], n: number, what: string): number[] {
  if (arr.length !== n) throw new BadInputError({ where: what, what: `expected ${n} numbers, got ${arr.length}` });
  return arr;
}
