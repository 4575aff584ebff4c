import { encodeProto, fileDescriptorSet } from "../schemas/protoRegistry";
import type { RadarFrame, SensorMessage } from "../types";
import { roleFromContent } from "./contentRole";
import { createDecoder } from "./createDecoder";

/** nuScenes' radar point layout as nuScenes-to-MCAP converters write it in foxglove.PointCloud (FLOAT32 = 7, INT8 = 2, INT16 = 4). */
const NUSCENES_RADAR: [string, number, number][] = [
  ["x", 0, 7],
  ["y", 4, 7],
  ["z", 8, 7],
  ["dyn_prop", 12, 2],
  ["id", 13, 4],
  ["rcs", 15, 7],
  ["vx", 19, 7],
  ["vy", 23, 7],
  ["vx_comp", 27, 7],
  ["vy_comp", 31, 7],
  ["is_quality_valid", 35, 2],
  ["ambig_state", 36, 2],
  ["x_rms", 37, 2],
  ["y_rms", 38, 2],
  ["invalid_state", 39, 2],
  ["pdh0", 40, 2],
  ["vx_rms", 41, 2],
  ["vy_rms", 42, 2],
];
const STRIDE = 43;

type Pose = { position: { x: number; y: number; z: number }; orientation: { x: number; y: number; z: number; w: number } };
const IDENTITY: Pose = { position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } };

function radarCloudMessage(
  points: { x: number; y: number; z: number; rcs: number; vx: number; vy: number }[],
  topic = "/RADAR_FRONT",
  pose: Pose = IDENTITY,
): SensorMessage {
  const data = new Uint8Array(points.length * STRIDE);
  const view = new DataView(data.buffer);
  points.forEach((p, i) => {
    const o = i * STRIDE;
    view.setFloat32(o, p.x, true);
    view.setFloat32(o + 4, p.y, true);
    view.setFloat32(o + 8, p.z, true);
    view.setFloat32(o + 15, p.rcs, true);
    view.setFloat32(o + 19, p.vx, true);
    view.setFloat32(o + 23, p.vy, true);
  });
  const message = {
    timestamp: { seconds: 1_532_402_927, nanos: 814_384_000 },
    frame_id: "RADAR_FRONT",
    pose,
    point_stride: STRIDE,
    fields: NUSCENES_RADAR.map(([name, offset, type]) => ({ name, offset, type })),
    data,
  };
  return {
    topic,
    schemaName: "foxglove.PointCloud",
    schemaEncoding: "protobuf",
    messageEncoding: "protobuf",
    schemaData: fileDescriptorSet("foxglove.PointCloud"),
    channelId: 1,
    logTime: 1_532_402_927_814_384_000n,
    publishTime: 1_532_402_927_814_384_000n,
    sequence: 0,
    data: encodeProto("foxglove.PointCloud", message),
  };
}

describe("radar as foxglove.PointCloud (the nuScenes layout)", () => {
  it("its fields say radar: decoded into detections with the hand-computed range, azimuth, elevation and range rate", () => {
    const msg = radarCloudMessage([
      { x: 10, y: 2, z: 0.5, rcs: 7.5, vx: -5, vy: 0 },
      { x: 30, y: -4, z: 0, rcs: -2, vx: 0, vy: 3 },
    ]);
    expect(roleFromContent(msg)).toBe("radar");
    const r = createDecoder().decode(msg);
    if (!("messages" in r)) throw new Error(JSON.stringify(r));
    const f = r.messages[0] as RadarFrame;
    expect(f.kind).toBe("radar");
    expect(f.frameId).toBe("RADAR_FRONT");
    expect(f.stamp).toBe(1_532_402_927_814_384_000n);
    expect(f.detections).toHaveLength(2);
    const d = f.detections[0]!;
    const range = Math.hypot(10, 2, 0.5);
    expect(d.rangeM).toBeCloseTo(range, 5);
    expect(d.azimuthRad).toBeCloseTo(Math.atan2(2, 10), 6);
    expect(d.elevationRad).toBeCloseTo(Math.atan2(0.5, Math.hypot(10, 2)), 6);
    // The line-of-sight part of (vx, vy): what the radar measured.
    expect(d.rangeRateMps).toBeCloseTo((10 * -5) / range, 5);
    expect(d.rcsDbsm).toBeCloseTo(7.5, 5);
    expect(f.detections[1]!.rangeRateMps).toBeCloseTo((-4 * 3) / Math.hypot(30, 4), 5);
  });

  it("the cloud's pose moves the returns: 90° of yaw and 1 m forward put (10, 0) at (1, 10)", () => {
    const yaw90 = { position: { x: 1, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: Math.SQRT1_2, w: Math.SQRT1_2 } };
    const r = createDecoder().decode(radarCloudMessage([{ x: 10, y: 0, z: 0, rcs: 1, vx: 0, vy: 0 }], "/RADAR_FRONT", yaw90));
    if (!("messages" in r)) throw new Error(JSON.stringify(r));
    const d = (r.messages[0] as RadarFrame).detections[0]!;
    expect(d.rangeM).toBeCloseTo(Math.hypot(1, 10), 5);
    expect(d.azimuthRad).toBeCloseTo(Math.atan2(10, 1), 5);
  });

  it("a LiDAR cloud stays LiDAR; the mapping's role wins over the fields", () => {
    const lidar = radarCloudMessage([{ x: 5, y: 0, z: 0, rcs: 0, vx: 0, vy: 0 }], "/LIDAR_TOP");
    const obj = {
      timestamp: { seconds: 1, nanos: 0 },
      frame_id: "LIDAR_TOP",
      point_stride: 16,
      data: new Uint8Array(16),
      fields: ["x", "y", "z", "intensity"].map((name, i) => ({ name, offset: i * 4, type: 7 })),
    };
    const plain: SensorMessage = { ...lidar, data: encodeProto("foxglove.PointCloud", obj) };
    expect(roleFromContent(plain)).toBeUndefined();
    const r = createDecoder().decode(plain);
    expect("messages" in r && r.messages[0]!.kind).toBe("lidar");
    const forced = createDecoder({ mapping: { "/RADAR_FRONT": { role: "lidar" } } }).decode(
      radarCloudMessage([{ x: 5, y: 0, z: 0, rcs: 1, vx: 0, vy: 0 }]),
    );
    expect("messages" in forced && forced.messages[0]!.kind).toBe("lidar");
  });
});
