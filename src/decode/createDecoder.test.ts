import * as protobuf from "protobufjs";
import * as descriptor from "protobufjs/ext/descriptor";
import type {
  AudioFrame,
  CameraCalibration,
  CameraFrame,
  DecodedMessage,
  FrameTransform,
  GroundTruthFrame,
  PointCloudFrame,
  RadarFrame,
  SensorMessage,
} from "../types";
import { createDecoder, type DecodeResult } from "./createDecoder";
import { JPEG_BYTES, PNG_BYTES, pbStamp, protoMessage, ros2Bytes, ros2Message, rosHeader } from "./testing/messages";

const T = 1_700_000_000_123_456_789n;
const LOG = 1_700_000_001_000_000_000n;

function ok(r: DecodeResult): DecodedMessage[] {
  if (!("messages" in r)) throw new Error(`expected decoded messages, got ${JSON.stringify(r)}`);
  return r.messages;
}
function one<K extends DecodedMessage["kind"]>(r: DecodeResult, kind: K): Extract<DecodedMessage, { kind: K }> {
  const m = ok(r);
  expect(m).toHaveLength(1);
  expect(m[0].kind).toBe(kind);
  return m[0] as Extract<DecodedMessage, { kind: K }>;
}
function err(r: DecodeResult): string {
  if (!("error" in r)) throw new Error(`expected an error, got ${JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? String(v) : v))}`);
  return r.error;
}

/** Little-endian packed points: float32 x,y,z at 0,4,8, uint8 intensity at 13, uint16 ring at 14; stride 20. */
function packedCloud(points: number[][]): Uint8Array {
  const data = new Uint8Array(points.length * 20);
  const v = new DataView(data.buffer);
  points.forEach(([x, y, z, i, ring], n) => {
    v.setFloat32(n * 20, x, true);
    v.setFloat32(n * 20 + 4, y, true);
    v.setFloat32(n * 20 + 8, z, true);
    v.setUint8(n * 20 + 13, i);
    v.setUint16(n * 20 + 14, ring, true);
  });
  return data;
}

describe("createDecoder — foxglove protobuf", () => {
  it("CompressedImage jpeg and png; stamp from timestamp, receivedAt = logTime, sensorId from topic", () => {
    const d = createDecoder();
    const jpeg = one(
      d.decode(
        protoMessage(
          "/sensors/cam_front/image",
          "foxglove.CompressedImage",
          { timestamp: pbStamp(T), frame_id: "cam_front", format: "jpeg", data: JPEG_BYTES },
          LOG,
        ),
      ),
      "camera",
    );
    expect(jpeg).toMatchObject({
      sensorId: "cam_front",
      topic: "/sensors/cam_front/image",
      frameId: "cam_front",
      stamp: T,
      receivedAt: LOG,
      format: "jpeg",
      width: 0,
      height: 0,
    });
    expect(Array.from(jpeg.data)).toEqual(Array.from(JPEG_BYTES));
    const png = one(
      d.decode(protoMessage("/cam_rear/image", "foxglove.CompressedImage", { format: "png", data: PNG_BYTES }, LOG)),
      "camera",
    );
    expect(png.format).toBe("png");
    expect(png.stamp).toBe(LOG); // zero timestamp → log time
  });

  it("CompressedImage: data that is not a JPEG/PNG, a mismatched or unsupported format", () => {
    const d = createDecoder();
    expect(
      err(d.decode(protoMessage("/cam", "foxglove.CompressedImage", { format: "jpeg", data: new Uint8Array([1, 2, 3, 4, 5]) }, 5n))),
    ).toBe("/cam @ 5: foxglove.CompressedImage: data (5 bytes, starting 01 02 03 04) is not a JPEG or PNG file");
    expect(err(d.decode(protoMessage("/cam", "foxglove.CompressedImage", { format: "png", data: JPEG_BYTES })))).toContain(
      'format says "png" but the data is a JPEG file',
    );
    expect(err(d.decode(protoMessage("/cam", "foxglove.CompressedImage", { format: "webp", data: JPEG_BYTES })))).toContain(
      'unsupported compressed image format "webp", expected jpeg or png',
    );
    expect(d.stats.byTopic.get("/cam")).toMatchObject({ decoded: 0, errors: 3, role: "camera", sensorId: "cam" });
  });

  it.each([
    ["rgb8", 3],
    ["bgr8", 3],
    ["mono8", 1],
  ])("RawImage %s", (encoding, bpp) => {
    const d = createDecoder();
    const step = 3 * bpp + 2; // padded rows
    const data = Uint8Array.from({ length: step * 2 }, (_, i) => i);
    const f = one(
      d.decode(
        protoMessage("/cam/raw", "foxglove.RawImage", { timestamp: pbStamp(T), frame_id: "c", width: 3, height: 2, encoding, step, data }),
      ),
      "camera",
    );
    expect(f).toMatchObject({ format: encoding, width: 3, height: 2, step, stamp: T });
    expect(Array.from(f.data)).toEqual(Array.from(data));
  });

  it("RawImage: wrong data size, too-small step, unsupported encoding", () => {
    const d = createDecoder();
    const base = { width: 4, height: 2, encoding: "rgb8", step: 12 };
    expect(err(d.decode(protoMessage("/c", "foxglove.RawImage", { ...base, data: new Uint8Array(23) }, 7n)))).toBe(
      "/c @ 7: foxglove.RawImage: data is 23 bytes, expected step 12 × height 2 = 24",
    );
    expect(err(d.decode(protoMessage("/c", "foxglove.RawImage", { ...base, step: 10, data: new Uint8Array(20) })))).toContain(
      "step 10 is less than width 4 × 3 bytes per pixel",
    );
    expect(err(d.decode(protoMessage("/c", "foxglove.RawImage", { ...base, encoding: "16UC1", data: new Uint8Array(24) })))).toContain(
      'unsupported image encoding "16UC1"',
    );
  });

  it("PointCloud: packed fields at odd offsets, ring, NaN points dropped and counted", () => {
    const d = createDecoder();
    const fields = [
      { name: "x", offset: 0, type: 7 },
      { name: "y", offset: 4, type: 7 },
      { name: "z", offset: 8, type: 7 },
      { name: "intensity", offset: 13, type: 1 },
      { name: "ring", offset: 14, type: 3 },
    ];
    const data = packedCloud([
      [1.5, -2, 0.25, 200, 3],
      [NaN, 0, 0, 1, 1],
      [4, 5, 6, 7, 15],
    ]);
    const f = one(
      d.decode(
        protoMessage("/lidar_top/points", "foxglove.PointCloud", {
          timestamp: pbStamp(T),
          frame_id: "lidar",
          point_stride: 20,
          fields,
          data,
        }),
      ),
      "lidar",
    );
    expect(f).toMatchObject({ sensorId: "lidar_top", frameId: "lidar", count: 2, stamp: T });
    expect(Array.from(f.points)).toEqual([1.5, -2, 0.25, 200, 4, 5, 6, 7]);
    expect(Array.from(f.ring ?? [])).toEqual([3, 15]);
    expect(d.stats.droppedValues).toBe(1);
    expect(d.stats.byTopic.get("/lidar_top/points")?.droppedValues).toBe(1);
  });

  it("PointCloud: float64 and int16 fields, pose applied", () => {
    const d = createDecoder();
    const data = new Uint8Array(2 * 18);
    const v = new DataView(data.buffer);
    [
      [1, 2, -3],
      [10, 20, 30],
    ].forEach(([x, y, z], n) => {
      v.setFloat64(n * 18, x, true);
      v.setFloat64(n * 18 + 8, y, true);
      v.setInt16(n * 18 + 16, z, true);
    });
    const fields = [
      { name: "x", offset: 0, type: 8 },
      { name: "y", offset: 8, type: 8 },
      { name: "z", offset: 16, type: 4 },
    ];
    const f = one(
      d.decode(
        protoMessage("/l", "foxglove.PointCloud", {
          point_stride: 18,
          fields,
          data,
          pose: { position: { x: 100, y: 0, z: 0 }, orientation: { w: 1 } },
        }),
      ),
      "lidar",
    );
    expect(Array.from(f.points)).toEqual([101, 2, -3, 0, 110, 20, 30, 0]);
  });

  it("PointCloud: data not a multiple of the stride, unknown numeric type", () => {
    const d = createDecoder();
    const fields = [
      { name: "x", offset: 0, type: 7 },
      { name: "y", offset: 4, type: 7 },
    ];
    expect(err(d.decode(protoMessage("/l", "foxglove.PointCloud", { point_stride: 8, fields, data: new Uint8Array(20) })))).toContain(
      "data is 20 bytes, expected a multiple of point_stride 8",
    );
    expect(
      err(
        d.decode(protoMessage("/l", "foxglove.PointCloud", { point_stride: 8, fields: [{ name: "x", type: 0 }], data: new Uint8Array(8) })),
      ),
    ).toContain('fields[0] "x": unknown numeric type 0');
  });

  it("RawAudio pcm-s16 → Int16Array; odd byte counts rejected", () => {
    const d = createDecoder();
    const samples = Int16Array.from([0, -32768, 32767, 12, -5, 7]);
    const f = one(
      d.decode(
        protoMessage("/audio/mic", "foxglove.RawAudio", {
          timestamp: pbStamp(T),
          data: new Uint8Array(samples.buffer),
          format: "pcm-s16",
          sample_rate: 16000,
          number_of_channels: 2,
        }),
      ),
      "audio",
    ) as AudioFrame;
    expect(f).toMatchObject({ sensorId: "mic", sampleRate: 16000, channels: 2, stamp: T });
    expect(Array.from(f.samples)).toEqual(Array.from(samples));
    expect(
      err(
        d.decode(
          protoMessage("/audio/mic", "foxglove.RawAudio", {
            data: new Uint8Array(6),
            format: "pcm-s16",
            sample_rate: 16000,
            number_of_channels: 2,
          }),
        ),
      ),
    ).toContain("data is 6 bytes, expected a multiple of 2 bytes × 2 channels");
    expect(
      err(
        d.decode(
          protoMessage("/audio/mic", "foxglove.RawAudio", {
            data: new Uint8Array(4),
            format: "opus",
            sample_rate: 1,
            number_of_channels: 1,
          }),
        ),
      ),
    ).toContain('unsupported format "opus", expected pcm-s16');
  });

  it("FrameTransform and FrameTransforms", () => {
    const d = createDecoder();
    const tf = {
      timestamp: pbStamp(T),
      parent_frame_id: "base_link",
      child_frame_id: "lidar",
      translation: { x: 1, y: 2, z: 3 },
      rotation: { x: 0, y: 0, z: 0.6, w: 0.8 },
    };
    const single = one(d.decode(protoMessage("/tf", "foxglove.FrameTransform", tf)), "transform") as FrameTransform;
    expect(single).toEqual({
      kind: "transform",
      topic: "/tf",
      stamp: T,
      parentFrameId: "base_link",
      childFrameId: "lidar",
      translation: { x: 1, y: 2, z: 3 },
      rotation: { x: 0, y: 0, z: 0.6, w: 0.8 },
    });
    const many = ok(d.decode(protoMessage("/tfs", "foxglove.FrameTransforms", { transforms: [tf, { ...tf, child_frame_id: "cam" }] })));
    expect(many.map((m) => (m as FrameTransform).childFrameId)).toEqual(["lidar", "cam"]);
    expect(err(d.decode(protoMessage("/tf", "foxglove.FrameTransform", { ...tf, translation: { x: NaN } })))).toContain(
      "FrameTransform.translation.x: expected a finite number, got NaN",
    );
  });

  it("CameraCalibration", () => {
    const d = createDecoder();
    const K = [500, 0, 320, 0, 500, 240, 0, 0, 1];
    const P = [500, 0, 320, 0, 0, 500, 240, 0, 0, 0, 1, 0];
    const c = one(
      d.decode(
        protoMessage("/cam/calibration", "foxglove.CameraCalibration", {
          timestamp: pbStamp(T),
          frame_id: "cam",
          width: 640,
          height: 480,
          distortion_model: "plumb_bob",
          D: [0.1, 0, 0, 0, 0],
          K,
          R: [],
          P,
        }),
      ),
      "cameraCalibration",
    ) as CameraCalibration;
    expect(c).toMatchObject({
      frameId: "cam",
      width: 640,
      height: 480,
      distortionModel: "plumb_bob",
      K,
      P,
      R: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    });
    expect(c.D).toEqual([0.1, 0, 0, 0, 0]);
    expect(err(d.decode(protoMessage("/cam/calibration", "foxglove.CameraCalibration", { K: [1, 2], P })))).toContain(
      "CameraCalibration.K: expected 9 numbers, got 2",
    );
  });
});

describe("createDecoder — avfusion protobuf", () => {
  it("RadarScan: detections, objects, class mapping; NaN detections dropped", () => {
    const d = createDecoder();
    const r = one(
      d.decode(
        protoMessage("/sensing/radar/front_center/scan", "avfusion.RadarScan", {
          timestamp: pbStamp(T),
          frame_id: "radar_fc",
          detections: [
            {
              range_m: 25.5,
              azimuth_rad: 0.25,
              elevation_rad: -0.125,
              range_rate_mps: -3,
              rcs_dbsm: 10,
              snr_db: 20,
              existence_probability: 0.75,
            },
            { range_m: NaN },
          ],
          objects: [
            {
              id: 9,
              age_ms: 1200,
              position: { x: 20, y: 1, z: 0 },
              velocity: { x: -2 },
              classification: "OBJECT_CLASS_EMERGENCY_VEHICLE",
              class_probabilities: { car: 0.5, bicycle: 0.25 },
              length_m: 4.5,
              existence_probability: 0.875,
            },
          ],
        }),
      ),
      "radar",
    ) as RadarFrame;
    expect(r).toMatchObject({ sensorId: "radar_front_center", frameId: "radar_fc", stamp: T });
    expect(r.detections).toHaveLength(1);
    expect(r.detections[0]).toMatchObject({
      rangeM: 25.5,
      azimuthRad: 0.25,
      elevationRad: -0.125,
      rangeRateMps: -3,
      rcsDbsm: 10,
      snrDb: 20,
      existenceProbability: 0.75,
    });
    expect(r.objects[0]).toMatchObject({
      id: 9,
      ageMs: 1200,
      position: { x: 20, y: 1, z: 0 },
      velocity: { x: -2, y: 0, z: 0 },
      classification: "emergency_vehicle",
      length: 4.5,
      existenceProbability: 0.875,
    });
    expect(r.objects[0].classProbabilities).toEqual({ car: 0.5, cyclist: 0.25 });
    expect(d.stats.droppedValues).toBe(1);
  });

  it("GroundTruth: visibility 0 means clear (Infinity)", () => {
    const d = createDecoder();
    const g = one(
      d.decode(
        protoMessage("/ground_truth", "avfusion.GroundTruth", {
          timestamp: pbStamp(T),
          frame_id: "ego",
          objects: [
            {
              id: 3,
              classification: 6,
              position: { x: 30, y: -2, z: 0.8 },
              size: { x: 5, y: 2, z: 2.5 },
              yaw_rad: 0.5,
              siren_on: true,
              visibility: { camera: 0.5, radar: 1 },
            },
          ],
          visibility_m: 0,
          siren_active: true,
          siren_bearing_rad: -0.25,
          ego_speed_mps: 12.5,
        }),
      ),
      "groundTruth",
    ) as GroundTruthFrame;
    expect(g).toMatchObject({
      frameId: "ego",
      stamp: T,
      visibilityM: Infinity,
      sirenActive: true,
      sirenBearingRad: -0.25,
      egoSpeedMps: 12.5,
    });
    expect(g.objects[0]).toEqual({
      id: 3,
      classification: "emergency_vehicle",
      position: { x: 30, y: -2, z: 0.8 },
      size: { x: 5, y: 2, z: 2.5 },
      yawRad: 0.5,
      velocity: { x: 0, y: 0, z: 0 },
      sirenOn: true,
      visibility: { camera: 0.5, lidar: 0, radar: 1, audio: 0 },
    });
    const foggy = one(
      d.decode(protoMessage("/ground_truth", "avfusion.GroundTruth", { visibility_m: 80 })),
      "groundTruth",
    ) as GroundTruthFrame;
    expect(foggy.visibilityM).toBe(80);
  });
});

describe("createDecoder — protobuf schema from the recording", () => {
  it("uses the recording's FileDescriptorSet, not our registry (different field numbers)", () => {
    // A writer whose RawAudio numbers fields differently: our registry would misread it.
    const root = protobuf.parse(
      'syntax = "proto3"; package foxglove; message RawAudio { bytes data = 7; string format = 1; fixed32 sample_rate = 2; fixed32 number_of_channels = 3; }',
      { keepCase: true },
    ).root;
    const type = root.lookupType("foxglove.RawAudio");
    const schemaData = descriptor.FileDescriptorSet.encode(root.toDescriptor("proto3")).finish();
    const data = type
      .encode(type.fromObject({ data: new Uint8Array([1, 0, 2, 0]), format: "pcm-s16", sample_rate: 8000, number_of_channels: 1 }))
      .finish();
    const msg: SensorMessage = {
      topic: "/mic",
      schemaName: "foxglove.RawAudio",
      schemaEncoding: "protobuf",
      messageEncoding: "protobuf",
      schemaData,
      channelId: 77,
      logTime: 9n,
      publishTime: 9n,
      sequence: 0,
      data,
    };
    const f = one(createDecoder().decode(msg), "audio") as AudioFrame;
    expect(f.sampleRate).toBe(8000);
    expect(Array.from(f.samples)).toEqual([1, 2]);
  });

  it("garbage and truncated bytes, bad schema data: counted errors, never a throw", () => {
    const d = createDecoder();
    const good = protoMessage(
      "/cam",
      "foxglove.RawImage",
      { width: 1, height: 1, encoding: "mono8", step: 1, data: new Uint8Array([5]) },
      11n,
    );
    expect(err(d.decode({ ...good, data: new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]) }))).toMatch(
      /^\/cam @ 11: 5 bytes do not decode as protobuf foxglove\.RawImage \(/,
    );
    expect(err(d.decode({ ...good, data: good.data.subarray(0, good.data.length - 1) }))).toMatch(
      /do not decode as protobuf foxglove\.RawImage/,
    );
    const badSchema = { ...good, channelId: 99, schemaData: new Uint8Array([1, 2, 3]) };
    expect(err(d.decode(badSchema))).toMatch(
      /^\/cam @ 11: schema data \(3 bytes\) is not a valid FileDescriptorSet for foxglove\.RawImage/,
    );
    expect(one(d.decode(good), "camera").width).toBe(1);
    expect(d.stats.byTopic.get("/cam")).toMatchObject({ decoded: 1, errors: 3 });
    expect(d.stats).toMatchObject({ decoded: 1, errors: 3, skipped: 0 });
  });
});

describe("createDecoder — JSON-encoded foxglove schemas", () => {
  const json = (topic: string, schemaName: string, obj: object, logTime = 1n): SensorMessage => ({
    topic,
    schemaName,
    schemaEncoding: "jsonschema",
    messageEncoding: "json",
    schemaData: new TextEncoder().encode("{}"),
    channelId: 300,
    logTime,
    publishTime: logTime,
    sequence: 0,
    data: new TextEncoder().encode(JSON.stringify(obj)),
  });
  it("CompressedImage with base64 data and {sec, nsec} time; FrameTransform", () => {
    const d = createDecoder();
    const f = one(
      d.decode(
        json("/cam/image", "foxglove.CompressedImage", {
          timestamp: { sec: 1700000000, nsec: 5 },
          frame_id: "c",
          format: "jpeg",
          data: Buffer.from(JPEG_BYTES).toString("base64"),
        }),
      ),
      "camera",
    );
    expect(f).toMatchObject({ stamp: 1_700_000_000_000_000_005n, format: "jpeg", frameId: "c" });
    expect(Array.from(f.data)).toEqual(Array.from(JPEG_BYTES));
    const t = one(
      d.decode(
        json(
          "/tf",
          "foxglove.FrameTransform",
          { parent_frame_id: "a", child_frame_id: "b", translation: { x: 1, y: 2, z: 3 }, rotation: { x: 0, y: 0, z: 0, w: 1 } },
          9n,
        ),
      ),
      "transform",
    );
    expect(t).toMatchObject({ stamp: 9n, translation: { x: 1, y: 2, z: 3 } });
  });
  it("bad JSON and bad base64 are errors", () => {
    const d = createDecoder();
    const bad = { ...json("/cam/image", "foxglove.CompressedImage", {}, 4n), data: new TextEncoder().encode("{nope") };
    expect(err(d.decode(bad))).toMatch(/^\/cam\/image @ 4: 5 bytes are not a JSON message/);
    expect(err(d.decode(json("/cam/image", "foxglove.CompressedImage", { format: "jpeg", data: "***" })))).toContain(
      "CompressedImage.data: expected base64 bytes",
    );
  });
});

describe("createDecoder — ROS 2 CDR", () => {
  it("sensor_msgs/Image", () => {
    const d = createDecoder();
    const data = Uint8Array.from({ length: 2 * 6 }, (_, i) => i * 3);
    const f = one(
      d.decode(
        ros2Message(
          "/camera/image_raw",
          "sensor_msgs/msg/Image",
          { header: rosHeader(T, "cam"), height: 2, width: 2, encoding: "bgr8", is_bigendian: 0, step: 6, data },
          LOG,
        ),
      ),
      "camera",
    ) as CameraFrame;
    expect(f).toMatchObject({
      sensorId: "camera",
      frameId: "cam",
      stamp: T,
      receivedAt: LOG,
      format: "bgr8",
      width: 2,
      height: 2,
      step: 6,
    });
    expect(Array.from(f.data)).toEqual(Array.from(data));
    expect(
      err(
        d.decode(
          ros2Message("/camera/image_raw", "sensor_msgs/msg/Image", {
            header: rosHeader(T, "cam"),
            height: 2,
            width: 2,
            encoding: "bgr8",
            step: 6,
            data: data.subarray(1),
          }),
        ),
      ),
    ).toContain("sensor_msgs/msg/Image: data is 11 bytes, expected step 6 × height 2 = 12");
  });

  it("sensor_msgs/CompressedImage with a ROS format string; zero stamp → log time", () => {
    const d = createDecoder();
    const f = one(
      d.decode(
        ros2Message(
          "/cam/image/compressed",
          "sensor_msgs/msg/CompressedImage",
          { header: rosHeader(0n, "cam"), format: "bgr8; jpeg compressed bgr8", data: JPEG_BYTES },
          LOG,
        ),
      ),
      "camera",
    );
    expect(f).toMatchObject({ format: "jpeg", stamp: LOG, sensorId: "cam" });
  });

  it.each([
    [1, "int8", 1],
    [2, "uint8", 1],
    [3, "int16", 2],
    [4, "uint16", 2],
    [5, "int32", 4],
    [6, "uint32", 4],
    [7, "float32", 4],
    [8, "float64", 8],
  ])("PointCloud2 datatype %i (%s), big and little endian, organized with row padding", (datatype, _name, size) => {
    for (const bigEndian of [false, true]) {
      const d = createDecoder();
      const width = 2,
        height = 2,
        pointStep = 3 * size + 1,
        rowStep = width * pointStep + 3;
      const data = new Uint8Array(rowStep * height);
      const v = new DataView(data.buffer);
      const le = !bigEndian;
      const put = (o: number, val: number) => {
        switch (datatype) {
          case 1:
            return v.setInt8(o, val);
          case 2:
            return v.setUint8(o, val);
          case 3:
            return v.setInt16(o, val, le);
          case 4:
            return v.setUint16(o, val, le);
          case 5:
            return v.setInt32(o, val, le);
          case 6:
            return v.setUint32(o, val, le);
          case 7:
            return v.setFloat32(o, val, le);
          default:
            return v.setFloat64(o, val, le);
        }
      };
      const expected: number[] = [];
      for (let r = 0; r < height; r++)
        for (let c = 0; c < width; c++) {
          const base = r * rowStep + c * pointStep + 1;
          const vals = [r * 10 + c, 2 * c + 1, 3 + r];
          vals.forEach((val, k) => put(base + k * size, val));
          expected.push(...vals, 0);
        }
      const fields = ["x", "y", "z"].map((name, k) => ({ name, offset: 1 + k * size, datatype, count: 1 }));
      const f = one(
        d.decode(
          ros2Message("/points", "sensor_msgs/msg/PointCloud2", {
            header: rosHeader(T, "lidar"),
            height,
            width,
            fields,
            is_bigendian: bigEndian,
            point_step: pointStep,
            row_step: rowStep,
            data,
            is_dense: true,
          }),
        ),
        "lidar",
      ) as PointCloudFrame;
      expect(f.count).toBe(4);
      expect(Array.from(f.points)).toEqual(expected);
    }
  });

  it("PointCloud2: NaN points dropped, wrong data length rejected", () => {
    const d = createDecoder();
    const pts = new Float32Array([1, 2, 3, 50, NaN, NaN, NaN, 0, 4, 5, 6, 60]);
    const fields = [
      { name: "x", offset: 0, datatype: 7, count: 1 },
      { name: "y", offset: 4, datatype: 7, count: 1 },
      { name: "z", offset: 8, datatype: 7, count: 1 },
      { name: "intensity", offset: 12, datatype: 7, count: 1 },
    ];
    const msg = {
      header: rosHeader(T, "lidar"),
      height: 1,
      width: 3,
      fields,
      is_bigendian: false,
      point_step: 16,
      row_step: 48,
      data: new Uint8Array(pts.buffer),
      is_dense: false,
    };
    const f = one(d.decode(ros2Message("/velodyne_points", "sensor_msgs/msg/PointCloud2", msg)), "lidar") as PointCloudFrame;
    expect(Array.from(f.points)).toEqual([1, 2, 3, 50, 4, 5, 6, 60]);
    expect(d.stats.byTopic.get("/velodyne_points")?.droppedValues).toBe(1);
    expect(err(d.decode(ros2Message("/velodyne_points", "sensor_msgs/msg/PointCloud2", { ...msg, width: 4, row_step: 64 })))).toContain(
      "PointCloud2: data is 48 bytes, expected row_step 64 × height 1 = 64",
    );
  });

  it("CameraInfo and TFMessage", () => {
    const d = createDecoder();
    const k = [400, 0, 320, 0, 400, 240, 0, 0, 1];
    const r = [1, 0, 0, 0, 1, 0, 0, 0, 1];
    const p = [400, 0, 320, 0, 0, 400, 240, 0, 0, 0, 1, 0];
    const c = one(
      d.decode(
        ros2Message("/cam/camera_info", "sensor_msgs/msg/CameraInfo", {
          header: rosHeader(T, "cam"),
          height: 480,
          width: 640,
          distortion_model: "plumb_bob",
          d: [0.5, 0.25],
          k,
          r,
          p,
          binning_x: 0,
          binning_y: 0,
          roi: {},
        }),
      ),
      "cameraCalibration",
    );
    expect(c).toEqual({
      kind: "cameraCalibration",
      topic: "/cam/camera_info",
      stamp: T,
      frameId: "cam",
      width: 640,
      height: 480,
      distortionModel: "plumb_bob",
      D: [0.5, 0.25],
      K: k,
      R: r,
      P: p,
    });
    const tfs = ok(
      d.decode(
        ros2Message("/tf", "tf2_msgs/msg/TFMessage", {
          transforms: [
            {
              header: rosHeader(T, "map"),
              child_frame_id: "base_link",
              transform: { translation: { x: 1, y: 2, z: 3 }, rotation: { x: 0, y: 0, z: 0, w: 1 } },
            },
            {
              header: rosHeader(T + 1n, "base_link"),
              child_frame_id: "lidar",
              transform: { translation: { x: 0.5, y: 0, z: 1.8 }, rotation: { x: 0, y: 0, z: 1, w: 0 } },
            },
          ],
        }),
      ),
    ) as FrameTransform[];
    expect(tfs).toHaveLength(2);
    expect(tfs[1]).toEqual({
      kind: "transform",
      topic: "/tf",
      stamp: T + 1n,
      parentFrameId: "base_link",
      childFrameId: "lidar",
      translation: { x: 0.5, y: 0, z: 1.8 },
      rotation: { x: 0, y: 0, z: 1, w: 0 },
    });
  });

  it("garbage, truncated and over-long CDR: counted errors", () => {
    const d = createDecoder();
    const good = ros2Message(
      "/cam/camera_info",
      "sensor_msgs/msg/CameraInfo",
      { header: rosHeader(T, "cam"), k: new Array(9).fill(1), r: new Array(9).fill(0), p: new Array(12).fill(0), roi: {} },
      3n,
    );
    expect(err(d.decode({ ...good, data: good.data.subarray(0, 40) }))).toMatch(
      /^\/cam\/camera_info @ 3: 40 bytes do not decode as sensor_msgs\/msg\/CameraInfo \(/,
    );
    expect(err(d.decode({ ...good, data: new Uint8Array([9, 9, 9, 9, 9, 9]) }))).toBe(
      "/cam/camera_info @ 3: CDR encapsulation header 9 9, expected 0 0 (CDR_BE) or 0 1 (CDR_LE)",
    );
    expect(err(d.decode({ ...good, data: new Uint8Array(2) }))).toContain("2 bytes, expected a CDR message");
    const long = new Uint8Array(good.data.length + 16);
    long.set(good.data);
    expect(err(d.decode({ ...good, data: long }))).toContain("16 bytes left after decoding sensor_msgs/msg/CameraInfo");
    expect(one(d.decode(good), "cameraCalibration").frameId).toBe("cam");
    expect(d.stats.byTopic.get("/cam/camera_info")).toMatchObject({ decoded: 1, errors: 4 });
    // a ROS message whose content is wrong after decoding
    const badK = ros2Bytes("sensor_msgs/msg/CameraInfo", {
      header: rosHeader(T, "cam"),
      k: [1, 2, 3, 4, 5, 6, 7, 8, NaN],
      r: new Array(9).fill(0),
      p: new Array(12).fill(0),
      roi: {},
    });
    expect(err(d.decode({ ...good, data: badK }))).toContain("CameraInfo.k[8]: expected a finite number, got number NaN");
  });
});

describe("createDecoder — skipped topics and stats", () => {
  it("skips unknown schemas, wrong encodings, vendor packets and ignored topics, counted per topic", () => {
    const d = createDecoder({ mapping: { "/cam_ignored/image": "ignore", "/sensors/x/image": { sensorId: "front_wide" } } });
    const base = ros2Message("/chatter", "sensor_msgs/msg/Image", {});
    expect(d.decode({ ...base, topic: "/chatter", schemaName: "std_msgs/msg/String", channelId: 501 })).toEqual({
      skipped: "unsupported schema std_msgs/msg/String",
    });
    expect(d.decode({ ...base, topic: "/img2", messageEncoding: "json", channelId: 502 })).toEqual({
      skipped: 'unsupported message encoding "json" for schema sensor_msgs/msg/Image (expected cdr)',
    });
    expect(d.decode({ ...base, topic: "/velodyne_packets", schemaName: "velodyne_msgs/msg/VelodyneScan", channelId: 503 })).toEqual({
      skipped: "raw vendor packets: decoder not available",
    });
    expect(d.decode({ ...base, topic: "/cam_ignored/image", channelId: 504 })).toEqual({ skipped: "ignored by the topic mapping" });
    expect(d.decode({ ...base, topic: "/cam_ignored/image", channelId: 504 })).toEqual({ skipped: "ignored by the topic mapping" });
    const img = ros2Message("/sensors/x/image", "sensor_msgs/msg/Image", {
      header: rosHeader(T, "x"),
      height: 1,
      width: 1,
      encoding: "mono8",
      step: 1,
      data: [1],
    });
    expect(one(d.decode(img), "camera").sensorId).toBe("front_wide");
    expect(d.stats).toMatchObject({ decoded: 1, skipped: 5, errors: 0 });
    expect(d.stats.byTopic.get("/cam_ignored/image")).toMatchObject({ skipped: 2, decoded: 0 });
    expect(d.stats.byTopic.get("/velodyne_packets")).toMatchObject({
      role: "lidar",
      skipped: 1,
      lastReason: "raw vendor packets: decoder not available",
    });
  });

  it("hands vendor packets to a per-channel vendor decoder when one is given", () => {
    const created: string[] = [];
    let calls = 0;
    const d = createDecoder({
      vendor: {
        schemas: ["pandar_msgs/msg/PandarScan"],
        create: (schemaName, { sensorId, topic }) => {
          created.push(`${schemaName} ${sensorId} ${topic}`);
          return {
            decodeMessage: (m) => {
              calls++;
              if (calls === 2) return { frames: [], errors: ["packet 0: 3 bytes, expected 1500"] };
              if (calls === 3) return { frames: [], errors: [], unsupported: "Hesai packets: decoder not available" };
              const frame: PointCloudFrame = {
                kind: "lidar",
                sensorId,
                topic,
                frameId: "hesai",
                stamp: m.logTime,
                receivedAt: m.logTime,
                count: 3,
                points: new Float32Array(12),
              };
              return { frames: [frame], errors: calls === 4 ? ["packet 7: bad CRC"] : [] };
            },
          };
        },
      },
    });
    const msg: SensorMessage = {
      topic: "/pandar_packets",
      schemaName: "pandar_msgs/msg/PandarScan",
      schemaEncoding: "ros2msg",
      messageEncoding: "cdr",
      schemaData: new TextEncoder().encode("uint8[] x"),
      channelId: 1,
      logTime: 4n,
      publishTime: 4n,
      sequence: 0,
      data: new Uint8Array(8),
    };
    expect(one(d.decode(msg), "lidar")).toMatchObject({ count: 3, sensorId: "pandar_packets", stamp: 4n });
    expect(err(d.decode(msg))).toBe("/pandar_packets @ 4: packet 0: 3 bytes, expected 1500");
    expect(err(d.decode(msg))).toBe("/pandar_packets @ 4: Hesai packets: decoder not available");
    expect(ok(d.decode(msg))).toHaveLength(1);
    expect(created).toEqual(["pandar_msgs/msg/PandarScan pandar_packets /pandar_packets"]);
    expect(d.stats.byTopic.get("/pandar_packets")).toMatchObject({ decoded: 2, errors: 2, droppedValues: 1, role: "lidar" });
  });
});

describe("truncated CDR inside a larger buffer", () => {
  it("is an error, not a decode that borrows the neighbouring bytes", () => {
    const d = createDecoder();
    const whole = ros2Message(
      "/cam/image/compressed",
      "sensor_msgs/msg/CompressedImage",
      { header: rosHeader(0n, "cam"), format: "jpeg", data: JPEG_BYTES },
      7n,
    );
    // Lay the message in a bigger buffer (as in an MCAP chunk) and hand over a view cut short by 5 bytes.
    const chunk = new Uint8Array(whole.data.length + 64);
    chunk.set(whole.data, 0);
    const cut = { ...whole, data: chunk.subarray(0, whole.data.length - 5) };
    expect(err(d.decode(cut))).toMatch(/truncated|do not decode/);
  });
});
