/**
 * KITTI object-format files, read as the devkit defines them (readme of devkit_object):
 * `calib/NNNNNN.txt` (`P0..P3` 3×4, `R0_rect` 3×3, `Tr_velo_to_cam` 3×4), `label_2/NNNNNN.txt`
 * (`type truncated occluded alpha x1 y1 x2 y2 h w l x y z rotation_y`, the box's bottom centre in
 * the rectified camera frame), `velodyne/NNNNNN.bin` (float32 x, y, z, reflectance per point) and
 * `image_2/NNNNNN.png`. Every bad line is one BadInputError naming the file, the line and the field.
 */
import { BadInputError } from "../../types/errors";

export type KittiCalibration = {
  /** 3×4 row-major: projection of the left colour camera (rectified). */
  P2: number[];
  /** 3×3 row-major: rectifying rotation of camera 0. */
  R0: number[];
  /** 3×4 row-major: velodyne → camera 0 (unrectified). */
  TrVeloToCam: number[];
};

export type KittiLabel = {
  type: string;
  truncated: number;
  occluded: number;
  /** 2D box in image_2 pixels. */
  box2d: [number, number, number, number];
  /** Height, width, length (m). */
  h: number;
  w: number;
  l: number;
  /** Bottom centre in the rectified camera frame (x right, y down, z forward; m). */
  x: number;
  y: number;
  z: number;
  /** Rotation around the camera's y axis (rad); 0 = facing the camera's x axis. */
  ry: number;
};

function numbers(text: string, file: string, line: number, key: string, count: number): number[] {
  const values = text.trim().split(/\s+/).map(Number);
  if (values.length !== count || values.some((v) => !Number.isFinite(v)))
    throw new BadInputError({
      where: `${file}:${line}`,
      what: `${key} has ${values.length} values (${text.trim().slice(0, 40)})`,
      expected: `${count} finite numbers`,
    });
  return values;
}

/** The calibration file: P2, R0_rect and Tr_velo_to_cam (the other keys are read past). */
export function parseCalibration(text: string, file: string): KittiCalibration {
  const found = new Map<string, { values: string; line: number }>();
  text.split("\n").forEach((raw, i) => {
    const m = /^\s*([A-Za-z0-9_]+)\s*:\s*(.*)$/.exec(raw);
    if (m) found.set(m[1]!, { values: m[2]!, line: i + 1 });
  });
  const take = (key: string, count: number, ...aliases: string[]): number[] => {
    for (const k of [key, ...aliases]) {
      const f = found.get(k);
      if (f) return numbers(f.values, file, f.line, k, count);
    }
    throw new BadInputError({
      where: file,
      what: `no ${key} line`,
      expected: "a KITTI object calibration (P0..P3, R0_rect, Tr_velo_to_cam)",
    });
  };
  const cal = { P2: take("P2", 12), R0: take("R0_rect", 9, "R_rect"), TrVeloToCam: take("Tr_velo_to_cam", 12, "Tr_velo_cam") };
  if (!(cal.P2[0]! > 0 && cal.P2[5]! > 0))
    throw new BadInputError({ where: `${file}: P2`, what: `focal lengths ${cal.P2[0]}, ${cal.P2[5]}`, expected: "positive fx and fy" });
  return cal;
}

/** The label file: one object per line; `DontCare` lines are kept (the importer leaves them out). */
export function parseLabels(text: string, file: string): KittiLabel[] {
  const out: KittiLabel[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    const [type, ...rest] = line.split(/\s+/);
    // 14 values after the type; a 15th is a detection score (results files), ignored here.
    if (rest.length < 14 || rest.length > 15)
      throw new BadInputError({
        where: `${file}:${i + 1}`,
        what: `${rest.length + 1} fields`,
        expected: "15 (type truncated occluded alpha x1 y1 x2 y2 h w l x y z rotation_y)",
      });
    const v = rest.slice(0, 14).map(Number);
    const bad = v.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new BadInputError({ where: `${file}:${i + 1}`, what: `field ${bad + 2} is "${rest[bad]}"`, expected: "a number" });
    const [truncated, occluded, , x1, y1, x2, y2, h, w, l, x, y, z, ry] = v as [number, ...number[]];
    out.push({
      type: type!,
      truncated,
      occluded: occluded!,
      box2d: [x1!, y1!, x2!, y2!],
      h: h!,
      w: w!,
      l: l!,
      x: x!,
      y: y!,
      z: z!,
      ry: ry!,
    });
  });
  return out;
}

/** A velodyne sweep: x, y, z, reflectance float32 per point. */
export function parseVelodyne(bytes: Uint8Array, file: string): Float32Array {
  if (bytes.byteLength % 16 !== 0)
    throw new BadInputError({
      where: file,
      what: `${bytes.byteLength} bytes`,
      expected: "a multiple of 16 (float32 x, y, z, reflectance per point)",
    });
  const out = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(out.buffer).set(bytes);
  for (let i = 0; i < out.length; i++)
    if (!Number.isFinite(out[i]!))
      throw new BadInputError({ where: `${file}: point ${i >> 2}`, what: `a non-finite value (${out[i]})`, expected: "finite floats" });
  return out;
}

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(bytes: Uint8Array, file: string): { width: number; height: number } {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.byteLength < 24 || sig.some((b, i) => bytes[i] !== b) || String.fromCharCode(...bytes.subarray(12, 16)) !== "IHDR")
    throw new BadInputError({ where: file, what: "not a PNG image", expected: "a PNG (KITTI image_2)" });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
