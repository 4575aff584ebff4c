import fc from "fast-check";
import { createDecoder } from "../src/decode/createDecoder";
import { JPEG_BYTES, pbStamp, protoMessage, ros2Message, rosHeader } from "../src/decode/testing/messages";
import type { SensorMessage } from "../src/types";

/** One valid message of every schema we decode; the fuzzers damage them. */
const T = 1_700_000_000_000_000_000n;
const points = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer);
const xyz = ["x", "y", "z"].map((name, i) => ({ name, offset: 4 * i }));
const SAMPLES: SensorMessage[] = [
  protoMessage("/cam/c", "foxglove.CompressedImage", { timestamp: pbStamp(T), format: "jpeg", data: JPEG_BYTES }),
  protoMessage("/cam/r", "foxglove.RawImage", { width: 2, height: 2, encoding: "rgb8", step: 6, data: new Uint8Array(12) }),
  protoMessage("/lidar", "foxglove.PointCloud", { point_stride: 16, fields: xyz.map((f) => ({ ...f, type: 7 })), data: points }),
  protoMessage("/mic", "foxglove.RawAudio", { data: new Uint8Array(8), format: "pcm-s16", sample_rate: 16000, number_of_channels: 1 }),
  protoMessage("/tf1", "foxglove.FrameTransform", { parent_frame_id: "a", child_frame_id: "b", rotation: { w: 1 } }),
  protoMessage("/tfs", "foxglove.FrameTransforms", { transforms: [{ parent_frame_id: "a", child_frame_id: "b", rotation: { w: 1 } }] }),
  protoMessage("/calib", "foxglove.CameraCalibration", { K: new Array(9).fill(1), P: new Array(12).fill(1) }),
  protoMessage("/radar", "avfusion.RadarScan", { detections: [{ range_m: 3 }], objects: [{ id: 1, position: { x: 1 } }] }),
  protoMessage("/gt", "avfusion.GroundTruth", { objects: [{ id: 1 }], visibility_m: 50 }),
  ros2Message("/ros/img", "sensor_msgs/msg/Image", {
    header: rosHeader(T, "c"),
    height: 1,
    width: 2,
    encoding: "mono8",
    step: 2,
    data: [1, 2],
  }),
  ros2Message("/ros/cimg", "sensor_msgs/msg/CompressedImage", { header: rosHeader(T, "c"), format: "jpeg", data: JPEG_BYTES }),
  ros2Message("/ros/pc2", "sensor_msgs/msg/PointCloud2", {
    header: rosHeader(T, "l"),
    height: 1,
    width: 2,
    fields: xyz.map((f) => ({ ...f, datatype: 7, count: 1 })),
    is_bigendian: false,
    point_step: 16,
    row_step: 32,
    data: points,
    is_dense: true,
  }),
  ros2Message("/ros/info", "sensor_msgs/msg/CameraInfo", {
    header: rosHeader(T, "c"),
    k: new Array(9).fill(1),
    r: new Array(9).fill(0),
    p: new Array(12).fill(0),
    roi: {},
  }),
  ros2Message("/ros/tf", "tf2_msgs/msg/TFMessage", {
    transforms: [{ header: rosHeader(T, "a"), child_frame_id: "b", transform: { translation: {}, rotation: { w: 1 } } }],
  }),
];

describe("decoder robustness", () => {
  it("every sample decodes undamaged", () => {
    const d = createDecoder();
    for (const s of SAMPLES) expect(d.decode(s)).toHaveProperty("messages");
    expect(d.stats.errors).toBe(0);
  });

  it("truncation, byte flips and garbage never throw; every call is counted exactly once", () => {
    const d = createDecoder();
    let calls = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...SAMPLES),
        fc.oneof(
          fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
          fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
          fc.record({ kind: fc.constant("garbage" as const), bytes: fc.uint8Array({ maxLength: 200 }) }),
        ),
        (sample, damage) => {
          let data: Uint8Array;
          if (damage.kind === "truncate") data = sample.data.subarray(0, damage.at % (sample.data.length + 1));
          else if (damage.kind === "flip") {
            data = sample.data.slice();
            data[damage.at % data.length] ^= damage.xor;
          } else data = damage.bytes;
          const r = d.decode({ ...sample, data });
          calls++;
          if ("error" in r) {
            expect(r.error.startsWith(`${sample.topic} @ ${sample.logTime}: `)).toBe(true);
            expect(r.error).not.toContain("\n");
          } else expect(r).toHaveProperty("messages");
        },
      ),
      { numRuns: 3000, seed: 7 },
    );
    expect(d.stats.decoded + d.stats.errors + d.stats.skipped).toBe(calls);
    expect(d.stats.errors).toBeGreaterThan(0);
  });
});
