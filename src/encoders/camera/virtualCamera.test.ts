import type { CameraCalibration, CameraFrame } from "../../types";
import { distort, distortionOf } from "./distortion";
import { defaultCameraCalibration } from "./encoder";
import { intrinsicsOf } from "./geometry";
import { resampleToVirtual, virtualCameraFor } from "./virtualCamera";

const NET = intrinsicsOf(defaultCameraCalibration());
const cal = (over: Partial<CameraCalibration>): CameraCalibration => ({ ...defaultCameraCalibration(), topic: "/cam/info", ...over });

describe("lens distortion", () => {
  it("plumb_bob, rational_polynomial and equidistant against hand-computed values", () => {
    const p: [number, number] = [0, 0];
    // r² = 0.05; radial 1 + 0.1·0.05 = 1.005; tangential p1 = 0.01: x += 2·p1·x·y = 0.0004, y += p1·(r² + 2y²) = 0.0013.
    distort(0.1, 0.2, distortionOf(cal({ D: [0.1, 0, 0.01, 0, 0] })), p);
    expect(p[0]).toBeCloseTo(0.1005 + 0.0004, 12);
    expect(p[1]).toBeCloseTo(0.201 + 0.0013, 12);
    // rational: (1 + k1 r²) / (1 + k4 r²) with k1 = 0.1, k4 = 0.2: 1.005 / 1.01.
    distort(0.1, 0.2, distortionOf(cal({ distortionModel: "rational_polynomial", D: [0.1, 0, 0, 0, 0, 0.2, 0, 0] })), p);
    expect(p[0]).toBeCloseTo((0.1 * 1.005) / 1.01, 12);
    // equidistant, k = 0: θd = θ = atan(r), so the point moves to r' = atan(r) along its direction.
    distort(0.3, 0.4, distortionOf(cal({ distortionModel: "kannala_brandt", D: [0, 0, 0, 0] })), p);
    expect(Math.hypot(p[0], p[1])).toBeCloseTo(Math.atan(0.5), 12);
    distort(0.3, 0.4, distortionOf(cal({ distortionModel: "equidistant", D: [0.05, 0, 0, 0] })), p);
    const t = Math.atan(0.5);
    expect(Math.hypot(p[0], p[1])).toBeCloseTo(t * (1 + 0.05 * t * t), 12);
  });

  it("all-zero D is no distortion; a short plumb_bob D is padded; unknown models and extra terms are one line", () => {
    expect(distortionOf(cal({ D: [0, 0, 0, 0, 0] })).model).toBe("none");
    expect(distortionOf(cal({ D: [0.1, 0.2, 0, 0] })).D).toEqual([0.1, 0.2, 0, 0, 0]);
    expect(() => distortionOf(cal({ distortionModel: "fov", D: [1] }))).toThrow('camera calibration on /cam/info: distortion_model "fov"');
    expect(() => distortionOf(cal({ D: [0.1, 0, 0, 0, 0, 0.3] }))).toThrow(
      "camera calibration on /cam/info: plumb_bob takes 5 coefficients, got 6",
    );
    expect(() => distortionOf(cal({ D: [NaN] }))).toThrow("camera calibration on /cam/info: D has a non-finite value");
  });
});

describe("the network's virtual camera", () => {
  it("the network's own calibration needs no resampling", () => {
    expect(virtualCameraFor(defaultCameraCalibration(), NET, NET)).toBeUndefined();
  });

  it("a KITTI-like camera (1242×375, fx 721) fills the middle band; its principal point lands on the network's", () => {
    const K = [721.5377, 0, 609.5593, 0, 721.5377, 172.854, 0, 0, 1];
    const c = cal({ width: 1242, height: 375, K });
    const vc = virtualCameraFor(c, intrinsicsOf(c), NET)!;
    // Scale fx_net / 721.5 = 0.264: 375 rows become 99, centred 172.85·0.264 = 45.7 rows above the centre row 96.
    expect(vc.valid.x0).toBe(0);
    expect(vc.valid.x1).toBe(320);
    expect(vc.valid.y0).toBeGreaterThanOrEqual(49);
    expect(vc.valid.y0).toBeLessThanOrEqual(51);
    expect(vc.valid.y1 - vc.valid.y0).toBeGreaterThanOrEqual(98);
    expect(vc.valid.y1 - vc.valid.y0).toBeLessThanOrEqual(100);
    // Virtual pixel centre (160, 96) − 0.5 is the principal point: the source is (cx, cy) − 0.5.
    const k = (96 * 320 + 160) * 2;
    const s = NET.fx / 721.5377;
    expect(vc.map[k]!).toBeCloseTo(609.5593 + 0.5 / s - 0.5, 3);
    expect(vc.map[k + 1]!).toBeCloseTo(172.854 + 0.5 / s - 0.5, 3);
  });

  it("twice the resolution and focal length: each virtual pixel is the mean of its 2×2 source pixels", () => {
    const c = cal({ width: 640, height: 384, K: [2 * NET.fx, 0, 2 * NET.cx, 0, 2 * NET.fy, 2 * NET.cy, 0, 0, 1] });
    const vc = virtualCameraFor(c, intrinsicsOf(c), NET)!;
    expect(vc.valid).toEqual({ x0: 0, y0: 0, x1: 320, y1: 192 });
    const data = new Uint8Array(640 * 384 * 3);
    for (let y = 0; y < 384; y++) for (let x = 0; x < 640; x++) data.set([x % 256, y % 256, (x * 7 + y * 3) % 256], (y * 640 + x) * 3);
    const frame: CameraFrame = {
      kind: "camera",
      sensorId: "cam",
      topic: "/cam",
      frameId: "cam",
      stamp: 0n,
      receivedAt: 0n,
      format: "rgb8",
      width: 640,
      height: 384,
      step: 1920,
      data,
    };
    const out = resampleToVirtual(frame, vc, new Uint8Array(320 * 192 * 3));
    expect([out.width, out.height, out.format]).toEqual([320, 192, "rgb8"]);
    for (const [i, j] of [
      [10, 20],
      [100, 50],
      [300, 180],
    ] as const) {
      const mean = (ch: number) =>
        (data[(2 * j * 640 + 2 * i) * 3 + ch]! +
          data[(2 * j * 640 + 2 * i + 1) * 3 + ch]! +
          data[((2 * j + 1) * 640 + 2 * i) * 3 + ch]! +
          data[((2 * j + 1) * 640 + 2 * i + 1) * 3 + ch]!) /
        4;
      for (const ch of [0, 1]) expect(Math.abs(out.data[(j * 320 + i) * 3 + ch]! - mean(ch))).toBeLessThanOrEqual(0.5);
    }
  });

  it("a lens whose image misses the network's view entirely is refused", () => {
    const c = cal({ width: 10, height: 10, K: [100, 0, -5000, 0, 100, 5, 0, 0, 1] });
    expect(() => virtualCameraFor(c, intrinsicsOf(c), NET)).toThrow(
      "camera calibration on /cam/info: the image (10×10, K) covers none of the network's field of view",
    );
  });
});
