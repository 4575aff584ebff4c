import fc from "fast-check";
import { NUMERIC_SIZE, type NumericType, type PackedField, unpackPoints } from "./pointFields";

const TYPES: NumericType[] = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "float32", "float64"];

function write(view: DataView, type: NumericType, offset: number, value: number, le: boolean): void {
  switch (type) {
    case "int8":
      return view.setInt8(offset, value);
    case "uint8":
      return view.setUint8(offset, value);
    case "int16":
      return view.setInt16(offset, value, le);
    case "uint16":
      return view.setUint16(offset, value, le);
    case "int32":
      return view.setInt32(offset, value, le);
    case "uint32":
      return view.setUint32(offset, value, le);
    case "float32":
      return view.setFloat32(offset, value, le);
    case "float64":
      return view.setFloat64(offset, value, le);
  }
}

/** Values every type holds exactly and float32 represents exactly. */
const smallInt = fc.integer({ min: 0, max: 100 });

describe("unpackPoints", () => {
  it("reads any numeric type at any offset, stride, row step and endianness", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TYPES),
        fc.constantFrom(...TYPES),
        fc.boolean(),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 9 }),
        fc.array(fc.tuple(smallInt, smallInt, smallInt, smallInt), { minLength: 15, maxLength: 15 }),
        (coordType, intensityType, le, pad, width, height, rowPad, values) => {
          const cs = NUMERIC_SIZE[coordType];
          const fields: PackedField[] = [
            { name: "x", offset: pad, type: coordType },
            { name: "y", offset: pad + cs, type: coordType },
            { name: "z", offset: pad + 2 * cs, type: coordType },
            { name: "intensity", offset: pad + 3 * cs, type: intensityType },
          ];
          const pointStep = pad + 3 * cs + NUMERIC_SIZE[intensityType] + 1;
          const rowStep = width * pointStep + rowPad;
          const data = new Uint8Array(rowStep * height);
          const view = new DataView(data.buffer);
          for (let r = 0; r < height; r++) {
            for (let c = 0; c < width; c++) {
              const [x, y, z, i] = values[r * width + c];
              const base = r * rowStep + c * pointStep;
              write(view, coordType, base + pad, x, le);
              write(view, coordType, base + pad + cs, y, le);
              write(view, coordType, base + pad + 2 * cs, z, le);
              write(view, intensityType, base + pad + 3 * cs, i, le);
            }
          }
          const out = unpackPoints({ data, width, height, pointStep, rowStep, fields, littleEndian: le }, "t");
          expect(out.count).toBe(width * height);
          expect(out.dropped).toBe(0);
          expect(Array.from(out.points)).toEqual(values.slice(0, width * height).flat());
        },
      ),
      { numRuns: 200, seed: 42 },
    );
  });

  it("drops and counts points with NaN or infinite coordinates, keeps ring", () => {
    const data = new Float32Array([1, 2, 3, 9, NaN, 0, 0, 1, 4, Infinity, 6, 2, 7, 8, 9, 3]);
    const bytes = new Uint8Array(data.buffer);
    const out = unpackPoints(
      {
        data: bytes,
        width: 4,
        height: 1,
        pointStep: 16,
        rowStep: 64,
        fields: [
          { name: "x", offset: 0, type: "float32" },
          { name: "y", offset: 4, type: "float32" },
          { name: "z", offset: 8, type: "float32" },
          { name: "ring", offset: 12, type: "float32" },
        ],
        littleEndian: true,
      },
      "t",
    );
    expect(out.count).toBe(2);
    expect(out.dropped).toBe(2);
    expect(Array.from(out.points)).toEqual([1, 2, 3, 0, 7, 8, 9, 0]);
    expect(Array.from(out.ring ?? [])).toEqual([9, 3]);
  });

  it("fills a missing z with 0 but needs two coordinates", () => {
    const bytes = new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);
    const xy: PackedField[] = [
      { name: "x", offset: 0, type: "float32" },
      { name: "y", offset: 4, type: "float32" },
    ];
    const out = unpackPoints({ data: bytes, width: 2, height: 1, pointStep: 8, rowStep: 16, fields: xy, littleEndian: true }, "t");
    expect(Array.from(out.points)).toEqual([1, 2, 0, 0, 3, 4, 0, 0]);
    expect(() =>
      unpackPoints({ data: bytes, width: 2, height: 1, pointStep: 8, rowStep: 16, fields: xy.slice(0, 1), littleEndian: true }, "cloud"),
    ).toThrow("cloud: expected at least two of the fields x, y, z, got x");
  });

  it("rejects fields outside the point and data shorter than the layout", () => {
    const bytes = new Uint8Array(24);
    const f: PackedField[] = [
      { name: "x", offset: 0, type: "float32" },
      { name: "y", offset: 6, type: "float32" },
    ];
    expect(() => unpackPoints({ data: bytes, width: 3, height: 1, pointStep: 8, rowStep: 24, fields: f, littleEndian: true }, "c")).toThrow(
      'c: field "y" (float32 at offset 6) does not fit in a point of 8 bytes',
    );
    const g: PackedField[] = [
      { name: "x", offset: 0, type: "float32" },
      { name: "y", offset: 4, type: "float32" },
    ];
    expect(() => unpackPoints({ data: bytes, width: 4, height: 1, pointStep: 8, rowStep: 32, fields: g, littleEndian: true }, "c")).toThrow(
      "c: data is 24 bytes, expected at least 32 for 4×1 points of 8 bytes",
    );
  });

  it("applies a pose (90° yaw + translation)", () => {
    const bytes = new Uint8Array(new Float32Array([1, 0, 0]).buffer);
    const s = Math.SQRT1_2;
    const out = unpackPoints(
      {
        data: bytes,
        width: 1,
        height: 1,
        pointStep: 12,
        rowStep: 12,
        fields: ["x", "y", "z"].map((name, i) => ({ name, offset: 4 * i, type: "float32" as const })),
        littleEndian: true,
        pose: { position: { x: 10, y: 0, z: 1 }, orientation: { x: 0, y: 0, z: s, w: s } },
      },
      "t",
    );
    expect(out.points[0]).toBeCloseTo(10, 5);
    expect(out.points[1]).toBeCloseTo(1, 5);
    expect(out.points[2]).toBeCloseTo(1, 5);
  });
});
