import type { CameraFrame } from "../../types";
import { describeFrame, EncoderInputError } from "../common/types";

/*
 * Camera preprocessing (pure): raw pixels → float RGB, frame digests for frozen-frame detection,
 * and an image-quality estimate that needs no network.
 */

const CHANNELS: Partial<Record<CameraFrame["format"], number>> = { rgb8: 3, bgr8: 3, rgba8: 4, bgra8: 4, mono8: 1 };

/** Whether the frame still has to go through `decodeCameraFrame` (JPEG / PNG). */
export const isCompressed = (f: CameraFrame): boolean => f.format === "jpeg" || f.format === "png";

/**
 * Raw frame → float RGB 0..1, row-major [height, width, 3]. Throws a one-line EncoderInputError
 * for compressed frames, a size other than `expect`, or a buffer shorter than step × height.
 */
export function toRgbFloat(frame: CameraFrame, expect: { width: number; height: number }, out?: Float32Array): Float32Array {
  const where = describeFrame(frame);
  if (isCompressed(frame)) throw new EncoderInputError(`${where}: ${frame.format} frame not decoded; pass it through decodeCameraFrame first`);
  const ch = CHANNELS[frame.format];
  if (ch === undefined) throw new EncoderInputError(`${where}: unsupported pixel format ${frame.format}; expected rgb8, bgr8, rgba8, bgra8 or mono8`);
  const { width: W, height: H } = frame;
  if (W !== expect.width || H !== expect.height) {
    throw new EncoderInputError(`${where}: image is ${W}×${H}, expected ${expect.width}×${expect.height} (the model's input and the calibration)`);
  }
  const step = frame.step > 0 ? frame.step : W * ch;
  if (step < W * ch || frame.data.length < step * (H - 1) + W * ch) {
    throw new EncoderInputError(`${where}: ${frame.data.length} bytes with step ${step} is too short for ${W}×${H} ${frame.format}`);
  }
  const rgb = out ?? new Float32Array(W * H * 3);
  const d = frame.data;
  const bgr = frame.format === "bgr8" || frame.format === "bgra8";
  for (let v = 0; v < H; v++) {
    let s = v * step;
    let o = v * W * 3;
    for (let u = 0; u < W; u++, s += ch, o += 3) {
      if (ch === 1) {
        rgb[o] = rgb[o + 1] = rgb[o + 2] = d[s]! / 255;
      } else {
        rgb[o] = d[s + (bgr ? 2 : 0)]! / 255;
        rgb[o + 1] = d[s + 1]! / 255;
        rgb[o + 2] = d[s + (bgr ? 0 : 2)]! / 255;
      }
    }
  }
  return rgb;
}

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
  const lum = new Float32Array(bw * bh);
  const dark = new Float32Array(bw * bh);
  let lumSum = 0;
  let darkSum = 0;
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
      const k = (255 / 16);
      const L = (0.299 * r + 0.587 * g + 0.114 * b) * k;
      const dch = Math.min(r, g, b) * k;
      lum[by * bw + bx] = L;
      dark[by * bw + bx] = dch;
      lumSum += L;
      darkSum += dch;
    }
  }
  // Only the rows from a third of the way down: the sky has no structure in any weather.
  let grad = 0;
  let n = 0;
  for (let by = Math.floor(bh / 3); by < bh - 1; by++) {
    for (let bx = 0; bx < bw - 1; bx++) {
      const i = by * bw + bx;
      grad += Math.abs(lum[i + 1]! - lum[i]!) + Math.abs(lum[i + bw]! - lum[i]!);
      n += 2;
    }
  }
  return { contrast: n ? grad / n : 0, brightness: lumSum / (bw * bh), darkChannel: darkSum / (bw * bh) };
}

/** Contrast calibration from training data: the clear-day median and the sensor-noise floor (contrast of a structureless image). */
export type ContrastCalibration = { clearContrast: number; floorContrast: number };

/** Quality 0..1: contrast above the noise floor relative to a clear day's. */
export function cameraQuality(stats: ImageStats, calib: ContrastCalibration): number {
  const span = calib.clearContrast - calib.floorContrast;
  if (!(span > 0)) return 0;
  return Math.max(0, Math.min(1, (stats.contrast - calib.floorContrast) / span));
}
