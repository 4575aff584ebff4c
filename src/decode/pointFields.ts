import { normalized, POINT_STRIDE as SHARED_POINT_STRIDE, rotationMatrix, type Quaternion, type Vec3 } from "../types";
import { BadInputError } from "../types/errors";

// A module-local copy: CommonJS re-exports are property getters, too slow for per-point loops.
const POINT_STRIDE = SHARED_POINT_STRIDE;

export type NumericType = "int8" | "uint8" | "int16" | "uint16" | "int32" | "uint32" | "float32" | "float64";

export const NUMERIC_SIZE: Readonly<Record<NumericType, number>> = {
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  float32: 4,
  float64: 8,
};

/** foxglove.PackedElementField.NumericType (0 = UNKNOWN). */
export const FOXGLOVE_NUMERIC: readonly (NumericType | undefined)[] = [
  undefined,
  "uint8",
  "int8",
  "uint16",
  "int16",
  "uint32",
  "int32",
  "float32",
  "float64",
];

/** sensor_msgs/PointField datatype constants (0 is not a valid type). */
export const ROS_POINTFIELD_NUMERIC: readonly (NumericType | undefined)[] = [
  undefined,
  "int8",
  "uint8",
  "int16",
  "uint16",
  "int32",
  "uint32",
  "float32",
  "float64",
];

export type PackedField = { name: string; offset: number; type: NumericType };

export type PackedLayout = {
  data: Uint8Array;
  /** Points per row and rows (an unorganized cloud has height 1). */
  width: number;
  height: number;
  /** Bytes from one point to the next within a row, and from one row to the next. */
  pointStep: number;
  rowStep: number;
  fields: readonly PackedField[];
  littleEndian: boolean;
  /** Applied to every point (foxglove.PointCloud `pose`); identity when absent. */
  pose?: { position: Vec3; orientation: Quaternion };
};

export type UnpackedPoints = {
  count: number;
  points: Float32Array;
  ring?: Uint16Array;
  /** Points dropped because x, y or z was NaN or infinite. */
  dropped: number;
};

function reader(view: DataView, type: NumericType, le: boolean): (offset: number) => number {
  switch (type) {
    case "int8":
      return (o) => view.getInt8(o);
    case "uint8":
      return (o) => view.getUint8(o);
    case "int16":
      return (o) => view.getInt16(o, le);
    case "uint16":
      return (o) => view.getUint16(o, le);
    case "int32":
      return (o) => view.getInt32(o, le);
    case "uint32":
      return (o) => view.getUint32(o, le);
    case "float32":
      return (o) => view.getFloat32(o, le);
    case "float64":
      return (o) => view.getFloat64(o, le);
  }
}

const INTENSITY_NAMES = ["intensity", "i", "reflectivity"];

/** Strides, sizes and field offsets that keep every read inside `data` and inside its point. */
function checkLayout(layout: PackedLayout, what: string): void {
  const { data, width, height, pointStep, rowStep, fields } = layout;
  if (pointStep <= 0) throw new BadInputError({ where: what, what: `point stride is ${pointStep}`, expected: "> 0" });
  if (rowStep < width * pointStep) {
    throw new BadInputError({ where: what, what: `row step ${rowStep} is less than width ${width} × point step ${pointStep}` });
  }
  const needed = height === 0 || width === 0 ? 0 : (height - 1) * rowStep + width * pointStep;
  if (data.length < needed) {
    throw new BadInputError({
      where: what,
      what: `data is ${data.length} bytes`,
      expected: `at least ${needed} for ${width}×${height} points of ${pointStep} bytes`,
    });
  }
  for (const f of fields) {
    if (f.offset < 0 || f.offset + NUMERIC_SIZE[f.type] > pointStep) {
      throw new BadInputError({
        where: what,
        what: `field "${f.name}" (${f.type} at offset ${f.offset}) does not fit in a point of ${pointStep} bytes`,
      });
    }
  }
}

/**
 * Packed point records of any numeric field types, offsets and strides → our interleaved
 * x, y, z, intensity Float32Array. A missing coordinate reads 0 (at least two of x, y, z are
 * required); points with a non-finite coordinate are dropped and counted.
 */
export function unpackPoints(layout: PackedLayout, what: string): UnpackedPoints {
  checkLayout(layout, what);
  const { data, width, height, pointStep, rowStep, fields, littleEndian } = layout;
  const byName = new Map(fields.map((f) => [f.name, f]));
  const coords = ["x", "y", "z"].map((n) => byName.get(n));
  if (coords.filter((c) => c !== undefined).length < 2) {
    throw new BadInputError({
      where: what,
      what: `expected at least two of the fields x, y, z, got ${fields.map((f) => f.name).join(", ") || "no fields"}`,
    });
  }
  const intensityField = INTENSITY_NAMES.map((n) => byName.get(n)).find((f) => f !== undefined);
  const ringField = byName.get("ring");

  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const zero = (): number => 0;
  const rx = coords[0] ? reader(view, coords[0].type, littleEndian) : zero;
  const ry = coords[1] ? reader(view, coords[1].type, littleEndian) : zero;
  const rz = coords[2] ? reader(view, coords[2].type, littleEndian) : zero;
  const ri = intensityField ? reader(view, intensityField.type, littleEndian) : zero;
  const rr = ringField ? reader(view, ringField.type, littleEndian) : zero;
  const ox = coords[0]?.offset ?? 0;
  const oy = coords[1]?.offset ?? 0;
  const oz = coords[2]?.offset ?? 0;
  const oi = intensityField?.offset ?? 0;
  const or = ringField?.offset ?? 0;

  const total = width * height;
  const aligned =
    littleEndian &&
    HOST_LITTLE_ENDIAN &&
    pointStep % 4 === 0 &&
    rowStep % 4 === 0 &&
    coords.every((c) => c === undefined || (c.type === "float32" && c.offset % 4 === 0)) &&
    (intensityField === undefined || (intensityField.type === "float32" && intensityField.offset % 4 === 0)) &&
    ringField === undefined;
  if (aligned) return unpackFloat32(layout, coords, intensityField, total, what);

  let points = new Float32Array(total * POINT_STRIDE);
  let ring = ringField ? new Uint16Array(total) : undefined;
  let n = 0;
  let dropped = 0;
  for (let r = 0; r < height; r++) {
    const rowBase = r * rowStep;
    for (let c = 0; c < width; c++) {
      const base = rowBase + c * pointStep;
      const x = rx(base + ox);
      const y = ry(base + oy);
      const z = rz(base + oz);
      if (!Number.isFinite(x) || !Number.isFinite(y) || !Number.isFinite(z)) {
        dropped++;
        continue;
      }
      const o = n * POINT_STRIDE;
      points[o] = x;
      points[o + 1] = y;
      points[o + 2] = z;
      const i = ri(base + oi);
      points[o + 3] = Number.isFinite(i) ? i : 0;
      if (ring) ring[n] = rr(base + or);
      n++;
    }
  }
  if (n < total) {
    points = points.slice(0, n * POINT_STRIDE);
    if (ring) ring = ring.slice(0, n);
  }
  if (layout.pose) transformInPlace(points, n, layout.pose.position, layout.pose.orientation);
  const out: UnpackedPoints = { count: n, points, dropped };
  if (ring) out.ring = ring;
  return out;
}

/** Every field of a cloud as one number per point (row-major), by name. */
export type PointColumns = { count: number; get(name: string): Float64Array | undefined };

/**
 * Packed point records → one column per field, for clouds read by field name rather than as
 * x, y, z, intensity (radar clouds: Doppler, RCS, velocities). Sparse clouds (radar: hundreds of
 * points), so the plain DataView path is enough.
 */
export function readColumns(layout: PackedLayout, what: string): PointColumns {
  checkLayout(layout, what);
  const { data, width, height, pointStep, rowStep, fields, littleEndian } = layout;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const columns = new Map<string, Float64Array>();
  for (const f of fields) {
    const read = reader(view, f.type, littleEndian);
    const col = new Float64Array(width * height);
    let k = 0;
    for (let r = 0; r < height; r++) for (let c = 0; c < width; c++) col[k++] = read(r * rowStep + c * pointStep + f.offset);
    columns.set(f.name, col);
  }
  if (layout.pose) poseColumns(columns, layout.pose);
  return { count: width * height, get: (name) => columns.get(name) };
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Fast path for the common layout (little-endian float32 x, y, z [, intensity] at 4-byte offsets):
 * read through a Float32Array view instead of a DataView, copying the bytes once if they are not
 * 4-byte aligned in their buffer (CDR payloads usually are not).
 */
function unpackFloat32(
  layout: PackedLayout,
  coords: (PackedField | undefined)[],
  intensityField: PackedField | undefined,
  total: number,
  what: string,
): UnpackedPoints {
  void what;
  const { width, height, pointStep, rowStep } = layout;
  let data = layout.data;
  const usedBytes = height === 0 ? 0 : (height - 1) * rowStep + width * pointStep;
  if (data.byteOffset % 4 !== 0) {
    // Not Buffer#slice: on a Node Buffer (protobufjs output) that is a view, not a copy.
    const copy = new Uint8Array(usedBytes + ((4 - (usedBytes % 4)) % 4));
    copy.set(data.subarray(0, Math.min(copy.length, data.length)));
    data = copy;
  }
  const f32 = new Float32Array(data.buffer, data.byteOffset, Math.floor(Math.min(data.byteLength, usedBytes + 3) / 4));
  const ps = pointStep / 4;
  const rs = rowStep / 4;
  const ox = coords[0] ? coords[0].offset / 4 : -1;
  const oy = coords[1] ? coords[1].offset / 4 : -1;
  const oz = coords[2] ? coords[2].offset / 4 : -1;
  const oi = intensityField ? intensityField.offset / 4 : -1;
  let points = new Float32Array(total * POINT_STRIDE);
  let n = 0;
  let dropped = 0;
  for (let r = 0; r < height; r++) {
    let base = r * rs;
    for (let c = 0; c < width; c++, base += ps) {
      const x = ox < 0 ? 0 : f32[base + ox];
      const y = oy < 0 ? 0 : f32[base + oy];
      const z = oz < 0 ? 0 : f32[base + oz];
      // x - x is NaN for NaN and ±Infinity, 0 otherwise: one test for all three.
      if (x - x + (y - y) + (z - z) !== 0) {
        dropped++;
        continue;
      }
      const o = n * POINT_STRIDE;
      points[o] = x;
      points[o + 1] = y;
      points[o + 2] = z;
      const i = oi < 0 ? 0 : f32[base + oi];
      points[o + 3] = i - i === 0 ? i : 0;
      n++;
    }
  }
  if (n < total) points = points.slice(0, n * POINT_STRIDE);
  if (layout.pose) transformInPlace(points, n, layout.pose.position, layout.pose.orientation);
  return { count: n, points, dropped };
}

/** The rotation matrix (row-major 3×3) of a quaternion, normalised first. */
const quaternionMatrix = (q: Quaternion): number[] => rotationMatrix(normalized(q));

const isIdentity = (t: Vec3, q: Quaternion): boolean => t.x === 0 && t.y === 0 && t.z === 0 && q.x === 0 && q.y === 0 && q.z === 0;

function transformInPlace(points: Float32Array, count: number, t: Vec3, q: Quaternion): void {
  if (isIdentity(t, q)) return;
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = quaternionMatrix(q) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  for (let i = 0; i < count; i++) {
    const o = i * POINT_STRIDE;
    const px = points[o],
      py = points[o + 1],
      pz = points[o + 2];
    points[o] = m00 * px + m01 * py + m02 * pz + t.x;
    points[o + 1] = m10 * px + m11 * py + m12 * pz + t.y;
    points[o + 2] = m20 * px + m21 * py + m22 * pz + t.z;
  }
}

/** x, y, z columns moved by the cloud's pose (a radar cloud read by field name). */
function poseColumns(columns: Map<string, Float64Array>, pose: NonNullable<PackedLayout["pose"]>): void {
  const [x, y, z] = [columns.get("x"), columns.get("y"), columns.get("z")];
  if (!x || !y || isIdentity(pose.position, pose.orientation)) return;
  const m = quaternionMatrix(pose.orientation);
  const t = pose.position;
  for (let i = 0; i < x.length; i++) {
    const [px, py, pz] = [x[i]!, y[i]!, z?.[i] ?? 0];
    x[i] = m[0]! * px + m[1]! * py + m[2]! * pz + t.x;
    y[i] = m[3]! * px + m[4]! * py + m[5]! * pz + t.y;
    if (z) z[i] = m[6]! * px + m[7]! * py + m[8]! * pz + t.z;
  }
}
