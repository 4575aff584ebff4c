import type { CameraCalibration, CameraFrame } from "../../types";
import { describeFrame } from "../common/types";
import { BadInputError } from "../../types/errors";
import { distort, distortionOf } from "./distortion";
import type { Intrinsics } from "./geometry";

/*
 * Cameras as they come: any size, intrinsics and lens, seen through the network's own camera.
 * The network was trained on one pinhole camera (its input size and focal length); a real camera's
 * image is resampled into that virtual camera — same optical centre and axes, the network's K, no
 * distortion — by a per-pixel map computed once per calibration (undistort, scale and crop or pad
 * in one bilinear pass). The network then sees objects at the apparent size its depth estimate
 * was trained on, detections come out in the virtual image and are lifted with the virtual K, and
 * the cost is the network's, not the image's. Where the real image does not reach, the virtual
 * image is black and outside `valid`, which the image statistics leave out.
 */

export type PixelRect = { x0: number; y0: number; x1: number; y1: number };

export type VirtualCamera = {
  /** The network's camera, in which detections are lifted. */
  intrinsics: Intrinsics;
  /** The real image's size the map was made for. */
  source: { width: number; height: number; topic: string };
  /** Per virtual pixel: source x, y (pixel-index space, centres at integers); NaN where the real image does not reach. */
  map: Float32Array;
  /** Bounding box of the virtual pixels the real image covers (x1, y1 exclusive). */
  valid: PixelRect;
};

const same = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a));

/**
 * The virtual camera for a real calibration; undefined when the calibration already is the
 * network's camera (same size, same K, no distortion), so the simulator's frames pass untouched.
 * Throws a RangeError naming the topic for an unusable distortion.
 */
export function virtualCameraFor(real: CameraCalibration, realK: Intrinsics, net: Intrinsics): VirtualCamera | undefined {
  const d = distortionOf(real);
  if (
    d.model === "none" &&
    real.width === net.width &&
    real.height === net.height &&
    same(realK.fx, net.fx) &&
    same(realK.fy, net.fy) &&
    same(realK.cx, net.cx) &&
    same(realK.cy, net.cy)
  )
    return undefined;
  const { width: W, height: H } = net;
  const map = new Float32Array(W * H * 2);
  const valid: PixelRect = { x0: W, y0: H, x1: 0, y1: 0 };
  const p: [number, number] = [0, 0];
  for (let j = 0; j < H; j++) {
    for (let i = 0; i < W; i++) {
      const x = (i + 0.5 - net.cx) / net.fx;
      const y = (j + 0.5 - net.cy) / net.fy;
      distort(x, y, d, p);
      const sx = realK.fx * p[0] + realK.cx - 0.5;
      const sy = realK.fy * p[1] + realK.cy - 0.5;
      const o = (j * W + i) * 2;
      if (sx >= -0.5 && sy >= -0.5 && sx <= real.width - 0.5 && sy <= real.height - 0.5) {
        map[o] = sx;
        map[o + 1] = sy;
        valid.x0 = Math.min(valid.x0, i);
        valid.y0 = Math.min(valid.y0, j);
        valid.x1 = Math.max(valid.x1, i + 1);
        valid.y1 = Math.max(valid.y1, j + 1);
      } else {
        map[o] = NaN;
        map[o + 1] = NaN;
      }
    }
  }
  if (valid.x1 <= valid.x0)
    throw new RangeError(
      `camera calibration on ${real.topic}: the image (${real.width}×${real.height}, K) covers none of the network's field of view`,
    );
  return { intrinsics: net, source: { width: real.width, height: real.height, topic: real.topic }, map, valid };
}

const CHANNELS: Partial<Record<CameraFrame["format"], number>> = { rgb8: 3, bgr8: 3, rgba8: 4, bgra8: 4, mono8: 1 };

/**
 * A raw frame (rgb8, bgr8, rgba8, bgra8, mono8) of the calibrated size → the virtual camera's
 * rgb8 image in `out` (width × height × 3 bytes). A frame of another size than its calibration is
 * a one-line BadInputError.
 */
export function resampleToVirtual(frame: CameraFrame, vc: VirtualCamera, out: Uint8Array): CameraFrame {
  const where = describeFrame(frame);
  const { width: SW, height: SH, topic } = vc.source;
  if (frame.width !== SW || frame.height !== SH)
    throw new BadInputError({
      where,
      what: `image is ${frame.width}×${frame.height}`,
      expected: `${SW}×${SH} as its calibration on ${topic} says`,
    });
  const ch = CHANNELS[frame.format];
  if (ch === undefined)
    throw new BadInputError({ where, what: `unsupported pixel format ${frame.format}`, expected: "rgb8, bgr8, rgba8, bgra8 or mono8" });
  const step = frame.step > 0 ? frame.step : SW * ch;
  if (step < SW * ch || frame.data.length < step * (SH - 1) + SW * ch)
    throw new BadInputError({ where, what: `${frame.data.length} bytes with step ${step} is too short for ${SW}×${SH} ${frame.format}` });
  const bgr = frame.format === "bgr8" || frame.format === "bgra8";
  const [ro, go, bo] = ch === 1 ? [0, 0, 0] : bgr ? [2, 1, 0] : [0, 1, 2];
  const { width: W, height: H } = vc.intrinsics;
  const src = frame.data;
  const map = vc.map;
  for (let k = 0, o = 0; k < W * H; k++, o += 3) {
    const sx = map[k * 2]!;
    if (sx !== sx) {
      out[o] = out[o + 1] = out[o + 2] = 0;
      continue;
    }
    const sy = map[k * 2 + 1]!;
    // Bilinear between the four nearest pixel centres, clamped at the border.
    const x0 = Math.max(0, Math.min(SW - 1, Math.floor(sx)));
    const y0 = Math.max(0, Math.min(SH - 1, Math.floor(sy)));
    const x1 = Math.min(SW - 1, x0 + 1);
    const y1 = Math.min(SH - 1, y0 + 1);
    const fx = Math.max(0, Math.min(1, sx - x0));
    const fy = Math.max(0, Math.min(1, sy - y0));
    const a = y0 * step + x0 * ch;
    const b = y0 * step + x1 * ch;
    const c = y1 * step + x0 * ch;
    const d = y1 * step + x1 * ch;
    const w00 = (1 - fx) * (1 - fy);
    const w01 = fx * (1 - fy);
    const w10 = (1 - fx) * fy;
    const w11 = fx * fy;
    out[o] = Math.round(src[a + ro]! * w00 + src[b + ro]! * w01 + src[c + ro]! * w10 + src[d + ro]! * w11);
    out[o + 1] = Math.round(src[a + go]! * w00 + src[b + go]! * w01 + src[c + go]! * w10 + src[d + go]! * w11);
    out[o + 2] = Math.round(src[a + bo]! * w00 + src[b + bo]! * w01 + src[c + bo]! * w10 + src[d + bo]! * w11);
  }
  return { ...frame, format: "rgb8", width: W, height: H, step: W * 3, data: out };
}
