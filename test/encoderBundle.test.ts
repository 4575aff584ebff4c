import sharp from "sharp";
import { createBundleEncoder } from "../src/encoders/encodeBundle";
import type { Encoder } from "../src/encoders/common/types";
import type { SensorEncoders } from "../src/encoders/sensorEncoders";
import type { CameraFrame, PointCloudFrame, SensorEvidence, SensorFrame, SensorSync, SyncedBundle } from "../src/types";

const counters = { received: 1, included: 1, late: 0, reordered: 0, duplicate: 0, overflow: 0, unused: 0 };

function bundle(frames: SensorFrame[]): SyncedBundle {
  const sensors: SensorSync[] = frames.map((f) => ({ sensorId: f.sensorId, status: "included", frame: f, skew: 0n, age: 0n, counters }));
  return {
    seq: 0,
    tick: 1_000n,
    origin: "fixed",
    trigger: "complete",
    emittedAt: 1_000n,
    sensors,
    frames,
    diagnostics: { unknownSensor: 0, malformed: 0, skippedTicks: 0, pendingTickOverflow: 0 },
  };
}

const camera = (sensorId: string, data: Uint8Array): CameraFrame => ({
  kind: "camera",
  sensorId,
  topic: `/${sensorId}`,
  frameId: sensorId,
  stamp: 1_000n,
  receivedAt: 1_000n,
  format: "jpeg",
  width: 0,
  height: 0,
  step: 0,
  data,
});
const lidar = (sensorId: string): PointCloudFrame => ({
  kind: "lidar",
  sensorId,
  topic: `/${sensorId}`,
  frameId: sensorId,
  stamp: 1_000n,
  receivedAt: 1_000n,
  count: 1,
  points: Float32Array.from([10, 0, 0, 0]),
});

/** Fake encoders that log the order of encode calls and what they were given. */
function fakeEncoders(opts: { refuseCamera?: boolean } = {}) {
  const calls: string[] = [];
  const make = (f: SensorFrame): Encoder<SensorFrame> => ({
    name: `fake-${f.kind}`,
    modelVersion: "test",
    encode(frame) {
      calls.push(`${frame.sensorId}:${frame.kind === "camera" ? frame.format : frame.kind}`);
      return {
        sensorId: frame.sensorId,
        kind: frame.kind,
        stamp: frame.stamp,
        detections: [],
        quality: 1,
        encoder: { name: "fake", modelVersion: "test", backend: "none" },
        timingMs: {},
      } as SensorEvidence;
    },
    encodeBatch(frames) {
      return frames.map((x) => this.encode(x));
    },
    diagnostics: () => ({ frames: 0, skipped: 0 }),
    dispose: () => undefined,
  });
  const encoders = {
    forFrame: async (f: SensorFrame) => {
      if (opts.refuseCamera && f.kind === "camera") throw new Error("camera encoder disabled");
      return make(f);
    },
    dispose: async () => undefined,
  } as unknown as SensorEncoders;
  return { encoders, calls };
}

let jpeg: Uint8Array;
beforeAll(async () => {
  jpeg = new Uint8Array(
    await sharp(Buffer.alloc(32 * 16 * 3, 90), { raw: { width: 32, height: 16, channels: 3 } })
      .jpeg()
      .toBuffer(),
  );
});

describe("createBundleEncoder", () => {
  test("camera frames are decoded while the others encode, encoded last, and the evidence keeps the bundle's order", async () => {
    const { encoders, calls } = fakeEncoders();
    const encode = createBundleEncoder(encoders, new Map());
    const out = await encode(bundle([camera("cam_a", jpeg), lidar("lidar_top"), camera("cam_b", jpeg)]));
    expect(calls).toEqual(["lidar_top:lidar", "cam_a:rgb8", "cam_b:rgb8"]);
    expect(out.evidence.evidence.map((e) => e.sensorId)).toEqual(["cam_a", "lidar_top", "cam_b"]);
    expect(out.failures.size).toBe(0);
    expect(out.encodeMs).toBeGreaterThanOrEqual(0);
    expect(out.evidence.sync.map((s) => s.kind)).toEqual(["camera", "lidar", "camera"]);
  });

  test("a corrupt JPEG is a one-line failure of its sensor; the other frames still give evidence", async () => {
    const { encoders } = fakeEncoders();
    const encode = createBundleEncoder(encoders, new Map());
    const out = await encode(bundle([camera("cam_a", Uint8Array.from([0xff, 0xd8, 1, 2])), lidar("lidar_top")]));
    expect(out.evidence.evidence.map((e) => e.sensorId)).toEqual(["lidar_top"]);
    expect(out.failures.get("cam_a")).toMatch(/^camera frame on \/cam_a \(sensor cam_a, stamp 1000 ns\): cannot decode jpeg \(4 bytes\)/);
  });

  test("a camera without an encoder reports why and is never decoded", async () => {
    const { encoders, calls } = fakeEncoders({ refuseCamera: true });
    const encode = createBundleEncoder(encoders, new Map());
    // A corrupt JPEG: had it been decoded, the failure would name the decoder instead.
    const out = await encode(bundle([camera("cam_a", Uint8Array.from([1, 2, 3])), lidar("lidar_top")]));
    expect(out.failures.get("cam_a")).toBe("camera encoder disabled");
    expect(calls).toEqual(["lidar_top:lidar"]);
  });
});
