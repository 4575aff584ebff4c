import { encodeProto, fileDescriptorSet } from "../schemas/protoRegistry";
import { frameTransformsProto, pointCloudProto, radarScanProto } from "../schemas/protoObjects";
import type { DecodedMessage, FrameTransform, Nanos, PointCloudFrame, RadarFrame, SensorMessage } from "../types";

/**
 * Frames the live inputs decoded themselves (UDP drivers, mountings) as messages, for viewers
 * only (`live --serve` passes input topics through): the pipeline takes those frames through its
 * typed frame entry and never decodes these messages. LiDAR rotations as lossless
 * `foxglove.PointCloud`, radar lists as `avfusion.RadarScan`, mountings as `foxglove.FrameTransforms`.
 */

const descriptorCache = new Map<string, Uint8Array>();
function descriptor(typeName: string): Uint8Array {
  let d = descriptorCache.get(typeName);
  if (!d) descriptorCache.set(typeName, (d = fileDescriptorSet(typeName)));
  return d;
}

type MessageOptions = { topic?: string; channelId?: number; logTime: Nanos; sequence?: number };

function protobufMessage(typeName: string, topic: string, object: object, opts: MessageOptions): SensorMessage {
  return {
    topic: opts.topic ?? topic,
    schemaName: typeName,
    schemaEncoding: "protobuf",
    messageEncoding: "protobuf",
    schemaData: descriptor(typeName),
    channelId: opts.channelId ?? 0,
    logTime: opts.logTime,
    publishTime: opts.logTime,
    sequence: opts.sequence ?? 0,
    data: encodeProto(typeName, object),
  };
}

/** A LiDAR rotation as a lossless `foxglove.PointCloud`: decoding it gives back exactly the same points. */
export function pointCloudMessage(frame: PointCloudFrame, opts: MessageOptions): SensorMessage {
  return protobufMessage("foxglove.PointCloud", frame.topic, pointCloudProto(frame, "lossless"), opts);
}

/** A radar list (detections and objects) as `avfusion.RadarScan`. */
export function radarScanMessage(frame: RadarFrame, opts: MessageOptions): SensorMessage {
  const scan = radarScanProto(frame.stamp, frame.frameId, frame.detections, frame.objects, 0, frame.egoSpeedMps ?? 0);
  return protobufMessage("avfusion.RadarScan", frame.topic, scan, opts);
}

/** A `/tf`-style `foxglove.FrameTransforms` message carrying sensor mountings (parent ← child). */
export function transformsMessage(transforms: FrameTransform[], opts: MessageOptions): SensorMessage {
  return protobufMessage("foxglove.FrameTransforms", "/tf", frameTransformsProto(transforms), opts);
}

/**
 * The serving encoder: a decoded entry on `topic` as the message a viewer gets, stamped `logTime`
 * (sequence numbers per topic); undefined for kinds no live input decodes (camera, audio, ground truth).
 */
export function createFrameMessages(): (frame: DecodedMessage, topic: string, logTime: Nanos) => SensorMessage | undefined {
  const sequences = new Map<string, number>();
  return (frame, topic, logTime) => {
    const sequence = sequences.get(topic) ?? 0;
    const opts = { topic, logTime, sequence };
    let message: SensorMessage | undefined;
    if (frame.kind === "lidar") message = pointCloudMessage(frame, opts);
    else if (frame.kind === "radar") message = radarScanMessage(frame, opts);
    else if (frame.kind === "transform") message = transformsMessage([frame], opts);
    if (message) sequences.set(topic, sequence + 1);
    return message;
  };
}
