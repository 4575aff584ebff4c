import type { CameraFrame, ImageFormat, Nanos, Quaternion, Vec3 } from "../types";
import { BadInputError } from "../types/errors";

/** What every schema decoder gets besides the decoded object. */
export type DecodeContext = {
  topic: string;
  sensorId: string;
  /** MCAP log time / arrival time (ns); the fallback when a header stamp is zero. */
  logTime: Nanos;
  /** Points (or detections) dropped for non-finite values; the decoder adds to it. */
  dropped: number;
};

/** A plain decoded object (protobuf `toObject` output or a CDR-read ROS message). */
export type Fields = Record<string, unknown>;

export function asFields(value: unknown, what: string): Fields {
  if (value == null || typeof value !== "object" || Array.isArray(value))
    throw new BadInputError({ where: what, what: `expected a message, got ${describe(value)}` });
  return value as Fields;
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return `${typeof value} ${String(value)}`;
  if (typeof value === "string") return `"${value.length > 40 ? value.slice(0, 40) + "…" : value}"`;
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value;
}

/** An integer-valued field (protobuf int64 may arrive as a decimal string or bigint). */
export function bigintField(obj: Fields, key: string, what: string): bigint {
  const v = obj[key];
  if (v == null) return 0n;
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  if (typeof v === "string" && /^-?\d+$/.test(v)) return BigInt(v);
  throw new BadInputError({ where: `${what}.${key}`, what: `expected an integer, got ${describe(v)}` });
}

export function numField(obj: Fields, key: string, what: string, opts: { finite?: boolean } = { finite: true }): number {
  const v = obj[key];
  if (v == null) return 0;
  let n: number;
  if (typeof v === "number") n = v;
  // 64-bit integers arrive as decimal strings (protobuf) or bigint (CDR).
  else if (typeof v === "bigint" || (typeof v === "string" && /^-?\d+$/.test(v))) n = Number(v);
  else throw new BadInputError({ where: `${what}.${key}`, what: `expected a number, got ${describe(v)}` });
  if (opts.finite !== false && !Number.isFinite(n))
    throw new BadInputError({ where: `${what}.${key}`, what: `expected a finite number, got ${n}` });
  return n;
}

export function uintField(obj: Fields, key: string, what: string): number {
  const n = numField(obj, key, what);
  if (!Number.isInteger(n) || n < 0)
    throw new BadInputError({ where: `${what}.${key}`, what: `expected a non-negative integer, got ${n}` });
  return n;
}

export function strField(obj: Fields, key: string, what: string): string {
  const v = obj[key];
  if (v == null) return "";
  if (typeof v !== "string") throw new BadInputError({ where: `${what}.${key}`, what: `expected a string, got ${describe(v)}` });
  return v;
}

export function bytesField(obj: Fields, key: string, what: string): Uint8Array {
  const v = obj[key];
  if (v == null) return new Uint8Array(0);
  if (v instanceof Uint8Array) return v;
  if (Array.isArray(v) && v.every((b) => typeof b === "number")) return Uint8Array.from(v as number[]);
  // JSON-encoded messages carry bytes as base64 (Foxglove's JSON schemas say contentEncoding base64).
  if (typeof v === "string") {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0)
      throw new BadInputError({ where: `${what}.${key}`, what: `expected base64 bytes, got ${describe(v)}` });
    return new Uint8Array(Buffer.from(v, "base64"));
  }
  throw new BadInputError({ where: `${what}.${key}`, what: `expected bytes, got ${describe(v)}` });
}

export function arrayField(obj: Fields, key: string, what: string): unknown[] {
  const v = obj[key];
  if (v == null) return [];
  if (Array.isArray(v)) return v;
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  throw new BadInputError({ where: `${what}.${key}`, what: `expected a list, got ${describe(v)}` });
}

export function numArrayField(obj: Fields, key: string, what: string, length?: number): number[] {
  const arr = arrayField(obj, key, what);
  if (length !== undefined && arr.length !== length)
    throw new BadInputError({ where: `${what}.${key}`, what: `expected ${length} numbers, got ${arr.length}` });
  return arr.map((v, i) => {
    if (typeof v !== "number" || !Number.isFinite(v))
      throw new BadInputError({ where: `${what}.${key}[${i}]`, what: `expected a finite number, got ${describe(v)}` });
    return v;
  });
}

export function vec3Field(obj: Fields, key: string, what: string): Vec3 {
  const v = obj[key];
  if (v == null) return { x: 0, y: 0, z: 0 };
  const f = asFields(v, `${what}.${key}`);
  const w = `${what}.${key}`;
  return { x: numField(f, "x", w), y: numField(f, "y", w), z: numField(f, "z", w) };
}

/** A rotation; an absent quaternion is the identity (protobuf leaves unset messages null). */
export function quatField(obj: Fields, key: string, what: string): Quaternion {
  const v = obj[key];
  if (v == null) return { x: 0, y: 0, z: 0, w: 1 };
  const f = asFields(v, `${what}.${key}`);
  const w = `${what}.${key}`;
  const q = { x: numField(f, "x", w), y: numField(f, "y", w), z: numField(f, "z", w), w: numField(f, "w", w) };
  const norm = Math.hypot(q.x, q.y, q.z, q.w);
  if (norm < 1e-6) throw new BadInputError({ where: w, what: "expected a unit quaternion, got a zero quaternion" });
  return q;
}

/**
 * Header stamp from a protobuf Timestamp `{seconds, nanos}` or a ROS Time `{sec, nanosec}`;
 * zero or absent falls back to the log time.
 */
export function stampOf(value: unknown, logTime: Nanos, what: string): Nanos {
  if (value == null) return logTime;
  const f = asFields(value, what);
  let ns: bigint;
  if ("seconds" in f || "nanos" in f) {
    ns = bigintField(f, "seconds", what) * 1_000_000_000n + bigintField(f, "nanos", what);
  } else {
    ns = bigintField(f, "sec", what) * 1_000_000_000n + bigintField(f, "nanosec" in f ? "nanosec" : "nsec", what);
  }
  return ns === 0n ? logTime : ns;
}

/** A ROS std_msgs/Header: its stamp (log time when zero) and frame. */
export type RosHeader = { stamp: Nanos; frameId: string };

export function rosHeader(o: Fields, ctx: DecodeContext, what: string): RosHeader {
  const h = o.header == null ? {} : asFields(o.header, `${what}.header`);
  return { stamp: stampOf(h.stamp, ctx.logTime, `${what}.header.stamp`), frameId: strField(h, "frame_id", `${what}.header`) };
}

/** Bytes per pixel of the raw layouts we accept, by the encoding names foxglove and ROS use. */
const RAW_ENCODINGS: Readonly<Record<string, { format: ImageFormat; bpp: number }>> = {
  rgb8: { format: "rgb8", bpp: 3 },
  bgr8: { format: "bgr8", bpp: 3 },
  mono8: { format: "mono8", bpp: 1 },
  rgba8: { format: "rgba8", bpp: 4 },
  bgra8: { format: "bgra8", bpp: 4 },
  "8UC1": { format: "mono8", bpp: 1 },
};

export function rawImageFrame(
  ctx: DecodeContext,
  what: string,
  img: { stamp: Nanos; frameId: string; width: number; height: number; encoding: string; step: number; data: Uint8Array },
): CameraFrame {
  const enc = RAW_ENCODINGS[img.encoding];
  if (!enc) {
    throw new BadInputError({
      where: what,
      what: `unsupported image encoding "${img.encoding}"`,
      expected: `one of ${Object.keys(RAW_ENCODINGS).join(", ")}`,
    });
  }
  if (img.width === 0 || img.height === 0) throw new BadInputError({ where: what, what: `empty image ${img.width}×${img.height}` });
  const step = img.step === 0 ? img.width * enc.bpp : img.step;
  if (step < img.width * enc.bpp) {
    throw new BadInputError({
      where: what,
      what: `step ${step} is less than width ${img.width} × ${enc.bpp} bytes per pixel (${img.encoding})`,
    });
  }
  if (img.data.length !== step * img.height) {
    throw new BadInputError({
      where: what,
      what: `data is ${img.data.length} bytes`,
      expected: `step ${step} × height ${img.height} = ${step * img.height}`,
    });
  }
  return {
    kind: "camera",
    sensorId: ctx.sensorId,
    topic: ctx.topic,
    frameId: img.frameId,
    stamp: img.stamp,
    receivedAt: ctx.logTime,
    format: enc.format,
    width: img.width,
    height: img.height,
    step,
    data: img.data,
  };
}

function sniffCompressed(data: Uint8Array): "jpeg" | "png" | undefined {
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return "jpeg";
  if (data.length >= 8 && data[0] === 0x89 && data[1] === 0x50 && data[2] === 0x4e && data[3] === 0x47) return "png";
  return undefined;
}

/**
 * A compressed camera frame. The declared format (`jpeg`, `png`; ROS strings like
 * `bgr8; jpeg compressed bgr8` too) must agree with the file's magic bytes, so garbage is caught
 * here rather than in the encoder.
 */
export function compressedImageFrame(
  ctx: DecodeContext,
  what: string,
  img: { stamp: Nanos; frameId: string; format: string; data: Uint8Array },
): CameraFrame {
  const f = img.format.toLowerCase();
  const declared = /jpe?g/.test(f) ? "jpeg" : /png/.test(f) ? "png" : f === "" ? undefined : null;
  if (declared === null)
    throw new BadInputError({ where: what, what: `unsupported compressed image format "${img.format}"`, expected: "jpeg or png" });
  const sniffed = sniffCompressed(img.data);
  if (sniffed === undefined) {
    const head = Array.from(img.data.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
    throw new BadInputError({
      where: what,
      what: `data (${img.data.length} bytes, starting ${head || "empty"}) is not a JPEG or PNG file`,
    });
  }
  if (declared !== undefined && declared !== sniffed) {
    throw new BadInputError({ where: what, what: `format says "${img.format}" but the data is a ${sniffed.toUpperCase()} file` });
  }
  return {
    kind: "camera",
    sensorId: ctx.sensorId,
    topic: ctx.topic,
    frameId: img.frameId,
    stamp: img.stamp,
    receivedAt: ctx.logTime,
    format: sniffed,
    width: 0,
    height: 0,
    step: 0,
    data: img.data,
  };
}
