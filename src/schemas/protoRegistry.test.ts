import * as protobuf from "protobufjs";
import * as descriptor from "protobufjs/ext/descriptor";
import type { IFileDescriptorSet } from "protobufjs/ext/descriptor";
import { decodeProto, encodeProto, fileDescriptorSet, protoRoot } from "./protoRegistry";

const decodeSet = (b: Uint8Array) => descriptor.FileDescriptorSet.decode(b) as unknown as IFileDescriptorSet;

describe("protoRegistry", () => {
  it("loads our schemas, foxglove schemas and well-known types once", () => {
    const root = protoRoot();
    expect(protoRoot()).toBe(root);
    for (const t of [
      "avfusion.RadarScan",
      "avfusion.GroundTruth",
      "avfusion.SceneState",
      "foxglove.RawImage",
      "foxglove.PointCloud",
      "google.protobuf.Timestamp",
    ]) {
      expect(root.lookupType(t).fullName).toBe(`.${t}`);
    }
  });

  it("round-trips a RadarScan with snake_case keys and enum names", () => {
    const bytes = encodeProto("avfusion.RadarScan", {
      timestamp: { seconds: 1700000000, nanos: 5 },
      frame_id: "radar_front",
      detections: [{ range_m: 12.5, azimuth_rad: -0.25 }],
      objects: [{ id: 7, classification: "OBJECT_CLASS_TRUCK", position: { x: 3, y: -1, z: 0 } }],
      cycle_counter: 42,
    });
    const back = decodeProto<{
      timestamp: { seconds: number; nanos: number };
      frame_id: string;
      detections: { range_m: number; azimuth_rad: number }[];
      objects: { id: number; classification: number; position: { x: number; y: number } }[];
      cycle_counter: number;
    }>("avfusion.RadarScan", bytes);
    expect(back.timestamp).toEqual({ seconds: 1700000000, nanos: 5 });
    expect(back.frame_id).toBe("radar_front");
    expect(back.detections[0].range_m).toBe(12.5);
    expect(back.detections[0].azimuth_rad).toBe(-0.25);
    expect(back.objects[0].classification).toBe(2);
    expect(back.objects[0].position.y).toBe(-1);
    expect(back.cycle_counter).toBe(42);
  });

  it("encodes 64-bit integers given as bigint exactly", () => {
    const bytes = encodeProto("avfusion.SceneState", { timestamp: { seconds: 1_700_000_000n, nanos: 1 }, tick: 9_007_199_254_740_993n });
    const type = protoRoot().lookupType("avfusion.SceneState");
    const obj = type.toObject(type.decode(bytes), { longs: String }) as { tick: string; timestamp: { seconds: string } };
    expect(obj.tick).toBe("9007199254740993");
    expect(obj.timestamp.seconds).toBe("1700000000");
  });

  it("rejects unknown types and unknown (camelCase) fields with a clear message", () => {
    expect(() => encodeProto("avfusion.Nope", {})).toThrow('unknown protobuf type "avfusion.Nope"');
    expect(() => encodeProto("avfusion.RadarScan", { frameId: "x" })).toThrow("unknown field(s) frameId");
    expect(() => encodeProto("avfusion.RadarScan", { detections: [{ rangeM: 1 }] })).toThrow("detections[0].rangeM");
  });

  it.each([
    "avfusion.RadarScan",
    "avfusion.GroundTruth",
    "avfusion.SceneState",
    "foxglove.PointCloud",
    "foxglove.RawImage",
    "foxglove.FrameTransforms",
    "foxglove.SceneUpdate",
  ])("fileDescriptorSet(%s) decodes back to a usable type", (typeName) => {
    const fds = fileDescriptorSet(typeName);
    const set = decodeSet(fds);
    const names = set.file.map((f) => f.name);
    // dependencies come before the files that import them, and every import is present
    set.file.forEach((f, i) => {
      for (const dep of f.dependency ?? []) expect(names.slice(0, i)).toContain(dep);
    });
    expect(new Set(names).size).toBe(names.length);
    const root = protobuf.Root.fromDescriptor(fds, { keepCase: true });
    root.resolveAll();
    const type = root.lookupType(typeName);
    const ours = protoRoot().lookupType(typeName);
    const shape = (t: protobuf.Type) => t.fieldsArray.map((f) => [f.name, f.id, f.resolvedType?.fullName ?? f.type, f.repeated]);
    expect(shape(type)).toEqual(shape(ours));
  });

  it("fileDescriptorSet names files as imported and qualifies type names", () => {
    const set = decodeSet(fileDescriptorSet("avfusion.RadarScan"));
    const radar = set.file.find((f) => f.name === "avfusion/radar.proto");
    expect(radar?.package).toBe("avfusion");
    expect([...(radar?.dependency ?? [])].sort()).toEqual(["avfusion/common.proto", "google/protobuf/timestamp.proto"]);
    const scan = radar?.messageType?.find((m) => m.name === "RadarScan");
    expect(scan?.field?.find((f) => f.name === "timestamp")?.typeName).toBe(".google.protobuf.Timestamp");
    expect(scan?.field?.find((f) => f.name === "detections")?.typeName).toBe(".avfusion.RadarDetection");
    expect(set.file.find((f) => f.name === "google/protobuf/timestamp.proto")?.package).toBe("google.protobuf");
  });

  it("bytes encoded with our registry decode with the type from the descriptor set", () => {
    const bytes = encodeProto("foxglove.RawImage", {
      frame_id: "cam",
      width: 2,
      height: 1,
      encoding: "mono8",
      step: 2,
      data: new Uint8Array([9, 8]),
    });
    const root = protobuf.Root.fromDescriptor(fileDescriptorSet("foxglove.RawImage"), { keepCase: true });
    const msg = root.lookupType("foxglove.RawImage").toObject(root.lookupType("foxglove.RawImage").decode(bytes)) as {
      width: number;
      data: Uint8Array;
      encoding: string;
    };
    expect(msg.width).toBe(2);
    expect(msg.encoding).toBe("mono8");
    expect([...msg.data]).toEqual([9, 8]);
  });
});
