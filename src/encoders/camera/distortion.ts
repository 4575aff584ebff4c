import type { CameraCalibration } from "../../types";

/*
 * Lens distortion as ROS's image_geometry and OpenCV define it, on normalised image coordinates
 * (x = X/Z, y = Y/Z in the optical frame) → distorted ones, which K maps to raw pixels:
 * - `plumb_bob` (D = k1, k2, p1, p2, k3): radial polynomial and tangential terms;
 * - `rational_polynomial` (D = k1, k2, p1, p2, k3, k4, k5, k6): the radial term a ratio of polynomials;
 * - `equidistant` / `kannala_brandt` (D = k1..k4): the fisheye model on the angle from the axis.
 * An empty or all-zero D is no distortion for the polynomial models (not for the fisheye one).
 */

export type DistortionModel = "none" | "plumb_bob" | "rational_polynomial" | "equidistant";

export type Distortion = { model: DistortionModel; D: readonly number[] };

const NAMES: Readonly<Record<string, DistortionModel>> = {
  "": "none",
  none: "none",
  plumb_bob: "plumb_bob",
  rational_polynomial: "rational_polynomial",
  equidistant: "equidistant",
  fisheye: "equidistant",
  kannala_brandt: "equidistant",
};

const COEFFICIENTS: Readonly<Record<Exclude<DistortionModel, "none">, number>> = { plumb_bob: 5, rational_polynomial: 8, equidistant: 4 };

/** The calibration's distortion, checked: an unknown model or a wrong number of coefficients is a RangeError naming the topic. */
export function distortionOf(c: CameraCalibration): Distortion {
  const model = NAMES[c.distortionModel.toLowerCase()];
  if (model === undefined)
    throw new RangeError(
      `camera calibration on ${c.topic}: distortion_model "${c.distortionModel}", expected plumb_bob, rational_polynomial, equidistant or kannala_brandt`,
    );
  if (!c.D.every(Number.isFinite))
    throw new RangeError(`camera calibration on ${c.topic}: D has a non-finite value, got [${c.D.join(", ")}]`);
  // All-zero coefficients are the pinhole for the polynomial models; not for the fisheye model,
  // whose zero coefficients are the equidistant projection (r = f·θ), not r = f·tan θ.
  if (model === "none" || (model !== "equidistant" && c.D.every((d) => d === 0))) return { model: "none", D: [] };
  // Shorter D than the model's (plumb_bob with 4 values is common): the missing terms are 0.
  const n = COEFFICIENTS[model];
  if (c.D.length > n && c.D.slice(n).some((d) => d !== 0))
    throw new RangeError(`camera calibration on ${c.topic}: ${model} takes ${n} coefficients, got ${c.D.length} (${c.D.join(", ")})`);
  return { model, D: [...c.D.slice(0, n), ...new Array<number>(Math.max(0, n - c.D.length)).fill(0)] };
}

/** Normalised undistorted (x, y) → distorted, written into `out` [xd, yd]. */
export function distort(x: number, y: number, d: Distortion, out: [number, number]): void {
  const D = d.D;
  switch (d.model) {
    case "none":
      out[0] = x;
      out[1] = y;
      return;
    case "plumb_bob":
    case "rational_polynomial": {
      const r2 = x * x + y * y;
      const [k1, k2, p1, p2, k3] = [D[0]!, D[1]!, D[2]!, D[3]!, D[4]!];
      let radial = 1 + r2 * (k1 + r2 * (k2 + r2 * k3));
      if (d.model === "rational_polynomial") radial /= 1 + r2 * (D[5]! + r2 * (D[6]! + r2 * D[7]!));
      out[0] = x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x);
      out[1] = y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y;
      return;
    }
    case "equidistant": {
      const r = Math.hypot(x, y);
      if (r < 1e-12) {
        out[0] = x;
        out[1] = y;
        return;
      }
      const t = Math.atan(r);
      const t2 = t * t;
      const td = t * (1 + t2 * (D[0]! + t2 * (D[1]! + t2 * (D[2]! + t2 * D[3]!))));
      out[0] = (x * td) / r;
      out[1] = (y * td) / r;
      return;
    }
  }
}
