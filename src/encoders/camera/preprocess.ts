import type { CameraFrame } from "../../types";
import { describeFrame } from "../common/types";
import { BadInputError } from "../../types/errors";
import type { PixelRect } from "./virtualCamera";

/*
 * Camera preprocessing (pure): raw pixels → float RGB, frame digests for frozen-frame detection,
 * and an image-quality estimate that needs no network.
 */

const CHANNELS: Partial<Record<CameraFrame["format"], number>> = { rgb8: 3, bgr8: 3, rgba8: 4, bgra8: 4, mono8: 1 };

/** Whether the frame still has to go through `decodeCameraFrame` (JPEG / PNG). */
export const isCompressed = (f: CameraFrame): boolean => f.format === "jpeg" || f.format === "png";

/** Checks a raw frame against the model's input size; returns its layout. Throws a one-line BadInputError. */
function rawLayout(frame: CameraFrame, expect: { width: number; height: number }): { ch: number; step: number; bgr: boolean } {
  const where = describeFrame(frame);
  if (isCompressed(frame))
    throw new BadInputError({ where, what: `${frame.format} frame not decoded; pass it through decodeCameraFrame first` });
  const ch = CHANNELS[frame.format];
  if (ch === undefined)
    throw new BadInputError({ where, what: `unsupported pixel format ${frame.format}; expected rgb8, bgr8, rgba8, bgra8 or mono8` });
  const { width: W, height: H } = frame;
  if (W !== expect.width || H !== expect.height) {
    throw new BadInputError({
      where,
      what: `image is ${W}×${H}`,
      expected: `${expect.width}×${expect.height} (the model's input and the calibration)`,
    });
  }
  const step = frame.step > 0 ? frame.step : W * ch;
  if (step < W * ch || frame.data.length < step * (H - 1) + W * ch) {
    throw new BadInputError({ where, what: `${frame.data.length} bytes with step ${step} is too short for ${W}×${H} ${frame.format}` });
  }
  return { ch, step, bgr: frame.format === "bgr8" || frame.format === "bgra8" };
}

/**
 * Raw frame → float RGB 0..1, row-major [height, width, 3]. Throws a one-line BadInputError
 * for compressed frames, a size other than `expect`, or a buffer shorter than step × height.
 */
export function toRgbFloat(frame: CameraFrame, expect: { width: number; height: number }, out?: Float32Array): Float32Array {
  const rgb = out ?? new Float32Array(frame.width * frame.height * 3);
  cameraInput(frame, expect, rgb, "hwc");
  return rgb;
}

/**
 * Layout of the model input: `hwc` is [height, width, 3]; `spaceToDepth` is [height/2, width/2, 12]
 * where channel (a·2 + b)·3 + c of block (i, j) is channel c of pixel (2i + a, 2j + b) (see
 * src/runtime/convChain.ts, which rewrites the stem convolution for it).
 */
export type CameraInputLayout = "hwc" | "spaceToDepth";

/**
 * Raw frame → model input (float RGB 0..1 in `layout`, written into `out`) and its image
 * statistics, in one pass over the pixels. The statistics equal `imageStats` of the hwc image.
 * Throws like `toRgbFloat`.
 */
export function cameraInput(
  frame: CameraFrame,
  expect: { width: number; height: number },
  out: Float32Array,
  layout: CameraInputLayout,
  valid?: PixelRect,
): ImageStats {
  const { ch, step, bgr } = rawLayout(frame, expect);
  const { width: W, height: H } = frame;
  if (out.length < W * H * 3) throw new RangeError(`cameraInput: output holds ${out.length} floats, expected ${W * H * 3}`);
  if (layout === "spaceToDepth" && (W % 2 !== 0 || H % 2 !== 0))
    throw new RangeError(`cameraInput: space-to-depth needs an even size, got ${W}×${H}`);
  const d = frame.data;
  const bw = Math.floor(W / 4);
  const bh = Math.floor(H / 4);
  const sums = new Float64Array(bw * bh * 3);
  const ro = ch === 1 ? 0 : bgr ? 2 : 0;
  const go = ch === 1 ? 0 : 1;
  const bo = ch === 1 ? 0 : bgr ? 0 : 2;
  const s2d = layout === "spaceToDepth";
  for (let v = 0; v < H; v++) {
    let s = v * step;
    const rowBase = s2d ? (v >> 1) * (W >> 1) * 12 + (v & 1) * 6 : v * W * 3;
    const by = v >> 2;
    const inBlocks = by < bh;
    for (let u = 0; u < W; u++, s += ch) {
      const o = s2d ? rowBase + (u >> 1) * 12 + (u & 1) * 3 : rowBase + u * 3;
      // Division, not multiplication by 1/255: the same float32 values as before.
      out[o] = d[s + ro]! / 255;
      out[o + 1] = d[s + go]! / 255;
      out[o + 2] = d[s + bo]! / 255;
      const bx = u >> 2;
      if (inBlocks && bx < bw) {
        const b = (by * bw + bx) * 3;
        sums[b] += out[o]!;
        sums[b + 1] += out[o + 1]!;
        sums[b + 2] += out[o + 2]!;
      }
    }
  }
  return statsFromBlockSums(sums, bw, bh, valid && blocksInside(valid, bw, bh));
}

/** The 4×4 blocks wholly inside a pixel rectangle (bx1, by1 exclusive). */
function blocksInside(r: PixelRect, bw: number, bh: number): BlockRect {
  return {
    bx0: Math.ceil(r.x0 / 4),
    by0: Math.ceil(r.y0 / 4),
    bx1: Math.min(bw, Math.floor(r.x1 / 4)),
    by1: Math.min(bh, Math.floor(r.y1 / 4)),
  };
}

type BlockRect = { bx0: number; by0: number; bx1: number; by1: number };

/** FNV-1a over the pixel bytes: equal digests on consecutive frames mean a frozen camera (real sensors never repeat their noise). */
export function frameDigest(data: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < data.length; i++) {
    h ^= data[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export type ImageStats = {
  /** Mean absolute luminance gradient between neighbouring 4×4 blocks, below the horizon row (0..255 units). */
  contrast: number;
  /** Mean luminance 0..255. */
  brightness: number;
  /** Mean dark channel (min over RGB of 4×4 block means) 0..255: rises towards the airlight in fog. */
  darkChannel: number;
};

/**
 * Contrast statistics on 4×4 block means. Fog (Koschmieder: I = J·t + A·(1 − t)) scales every
 * gradient by the transmission t, and darkness scales it by the illumination, so the block
 * gradient falls with both; it is what a detector needs to see objects at all.
 */
export function imageStats(rgb: Float32Array, W: number, H: number): ImageStats {
  const bw = Math.floor(W / 4);
  const bh = Math.floor(H / 4);
  const sums = new Float64Array(bw * bh * 3);
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let y = by * 4; y < by * 4 + 4; y++) {
        for (let x = bx * 4; x < bx * 4 + 4; x++) {
          const o = (y * W + x) * 3;
          r += rgb[o]!;
          g += rgb[o + 1]!;
          b += rgb[o + 2]!;
        }
      }
      const i = (by * bw + bx) * 3;
      sums[i] = r;
      sums[i + 1] = g;
      sums[i + 2] = b;
    }
  }
  return statsFromBlockSums(sums, bw, bh);
}

/**
 * Statistics from the RGB sums (0..1 units) of each 4×4 block, [bh, bw, 3], over the blocks of
 * `inside` (default all: a virtual camera's image leaves out where the real image does not reach).
 */
function statsFromBlockSums(
  sums: Float64Array,
  bw: number,
  bh: number,
  inside: BlockRect = { bx0: 0, by0: 0, bx1: bw, by1: bh },
): ImageStats {
  const { bx0, by0, bx1, by1 } = inside;
  const lum = new Float32Array(bw * bh);
  let lumSum = 0;
  let darkSum = 0;
  let blocks = 0;
  const k = 255 / 16;
  for (let by = by0; by < by1; by++) {
    for (let bx = bx0; bx < bx1; bx++) {
      const i = by * bw + bx;
      const r = sums[i * 3]!;
      const g = sums[i * 3 + 1]!;
      const b = sums[i * 3 + 2]!;
      const L = (0.299 * r + 0.587 * g + 0.114 * b) * k;
      lum[i] = L;
      lumSum += L;
      darkSum += Math.min(r, g, b) * k;
      blocks++;
    }
  }
  // Only the rows from a third of the way down: the sky has no structure in any weather.
  let grad = 0;
  let n = 0;
  for (let by = by0 + Math.floor((by1 - by0) / 3); by < by1 - 1; by++) {
    for (let bx = bx0; bx < bx1 - 1; bx++) {
      const i = by * bw + bx;
      grad += Math.abs(lum[i + 1]! - lum[i]!) + Math.abs(lum[i + bw]! - lum[i]!);
      n += 2;
    }
  }
  return { contrast: n ? grad / n : 0, brightness: blocks ? lumSum / blocks : 0, darkChannel: blocks ? darkSum / blocks : 0 };
}

/** Contrast calibration from training data: the clear-day median and the sensor-noise floor (contrast of a structureless image). */
export type ContrastCalibration = { clearContrast: number; floorContrast: number };

/** Quality 0..1: contrast above the noise floor relative to a clear day's. */
export function cameraQuality(stats: ImageStats, calib: ContrastCalibration): number {
  const span = calib.clearContrast - calib.floorContrast;
  if (!(span > 0)) return 0;
  return Math.max(0, Math.min(1, (stats.contrast - calib.floorContrast) / span));
}
