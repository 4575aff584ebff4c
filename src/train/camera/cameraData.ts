import sharp from "sharp";
import { extinction } from "../../sim/fog";
import { Prng } from "../../sim/Prng";
import { renderCamera } from "../../sim/renderCamera";
import { cameraIntrinsics, FRAMES, TOPICS } from "../../sim/rig";
import type { Scenario } from "../../sim/scenario";
import { SIM_START_NS } from "../../sim/simulate";
import { buildWorld, snapshotAt } from "../../sim/world";
import { secToNs, type CameraFrame, type ObjectClass } from "../../types";
import { DEFAULT_CAMERA_EXTRINSICS, defaultCameraCalibration } from "../../encoders/camera/encoder";
import { intrinsicsOf, projectEgoPoint } from "../../encoders/camera/geometry";
import { CAMERA_CLASSES, CAMERA_HEAD, CAMERA_INPUT, CAMERA_STRIDE } from "../../encoders/camera/model";
import type { HeadObject } from "../../encoders/lidar/centerNet";

/*
 * Camera training and evaluation samples from the simulator's renderer, in memory, through the
 * same JPEG round trip (quality and chroma subsampling of the scenario) a recording applies.
 * Labels are exact: every actor's box projected through the default calibration, with how much of
 * it the renderer showed.
 */

export type CameraObject = {
  classification: ObjectClass;
  /** Box centre in the ego frame (m) and its size. */
  x: number;
  y: number;
  z: number;
  length: number;
  width: number;
  height: number;
  /** Projected box centre (pixels) and its optical-axis depth (m). */
  u: number;
  v: number;
  depth: number;
  /** Projected 2D box (pixels, unclipped); undefined when a corner is behind the camera. */
  box?: { u0: number; v0: number; u1: number; v1: number };
  visiblePixels: number;
  /** Unoccluded fraction times the fog transmission to the object (the simulator's camera visibility). */
  visibility: number;
};

export type CameraSample = {
  scenario: string;
  seed: number;
  t: number;
  visibilityM: number;
  night: boolean;
  /** Decoded RGB8 after the JPEG round trip. */
  rgb: Uint8Array;
  objects: CameraObject[];
};

/** Whether an object is a detection target: enough of it on screen, not lost in fog, centre in the image. */
export function isCameraTarget(o: CameraObject): boolean {
  return (
    o.visiblePixels >= 6 &&
    o.visibility >= 0.1 &&
    o.depth >= 1 &&
    o.u >= 0 &&
    o.u < CAMERA_INPUT.width &&
    o.v >= 0 &&
    o.v < CAMERA_INPUT.height &&
    o.box !== undefined
  );
}

export function cameraFrameOf(s: CameraSample): CameraFrame {
  const stamp = SIM_START_NS + secToNs(s.t);
  return {
    kind: "camera",
    sensorId: "cam_front",
    topic: TOPICS.camera,
    frameId: FRAMES.camera,
    stamp,
    receivedAt: stamp,
    format: "rgb8",
    width: CAMERA_INPUT.width,
    height: CAMERA_INPUT.height,
    step: CAMERA_INPUT.width * 3,
    data: s.rgb,
  };
}

export async function cameraSamples(scenario: Scenario, options: { everyS?: number; offsetS?: number } = {}): Promise<CameraSample[]> {
  const cam = scenario.sensors.camera;
  if (cam.width !== CAMERA_INPUT.width || cam.height !== CAMERA_INPUT.height) {
    throw new RangeError(
      `scenario ${scenario.name}: camera ${cam.width}×${cam.height}, the camera encoder trains on ${CAMERA_INPUT.width}×${CAMERA_INPUT.height}`,
    );
  }
  const world = buildWorld(scenario);
  const simK = cameraIntrinsics(cam);
  const k = intrinsicsOf(defaultCameraCalibration());
  const e = DEFAULT_CAMERA_EXTRINSICS;
  const rng = new Prng(scenario.seed).fork("camera-training");
  const beta = extinction(scenario.weather.visibilityM);
  const every = options.everyS ?? 0.5;
  const out: CameraSample[] = [];
  for (let t = options.offsetS ?? 0.05; t < scenario.durationS - 1e-9; t += every) {
    const snap = snapshotAt(world, t);
    const img = renderCamera(world, snap, simK, { beta, night: scenario.weather.night, noise: rng });
    const jpeg = await sharp(img.rgb, { raw: { width: img.width, height: img.height, channels: 3 } })
      .jpeg({ quality: cam.jpegQuality, chromaSubsampling: "4:2:0" })
      .toBuffer();
    const raw = await sharp(jpeg).raw().toBuffer();
    const objects: CameraObject[] = [];
    snap.bodies.forEach((b, bi) => {
      if (b.body.classification === "static_clutter") return;
      const x = b.x - snap.ego.x;
      const y = b.y - snap.ego.y;
      const centre = projectEgoPoint({ x, y, z: b.z }, k, e);
      if (centre.depth <= 0.1) return;
      const c = Math.cos(b.yaw - snap.ego.yaw);
      const s = Math.sin(b.yaw - snap.ego.yaw);
      let box: CameraObject["box"] = { u0: Infinity, v0: Infinity, u1: -Infinity, v1: -Infinity };
      for (let corner = 0; corner < 8; corner++) {
        const lx = (corner & 1 ? 0.5 : -0.5) * b.body.length;
        const ly = (corner & 2 ? 0.5 : -0.5) * b.body.width;
        const lz = (corner & 4 ? 0.5 : -0.5) * b.body.height;
        const p = projectEgoPoint({ x: x + c * lx - s * ly, y: y + s * lx + c * ly, z: b.z + lz }, k, e);
        if (p.depth <= 0.1 || !box) {
          box = undefined;
          continue;
        }
        box = { u0: Math.min(box.u0, p.u), v0: Math.min(box.v0, p.v), u1: Math.max(box.u1, p.u), v1: Math.max(box.v1, p.v) };
      }
      const covered = img.coveredPixels[bi]!;
      const visible = img.visiblePixels[bi]!;
      const dist = Math.hypot(x - e.translation.x, y - e.translation.y, b.z - e.translation.z);
      objects.push({
        classification: b.body.classification,
        x,
        y,
        z: b.z,
        length: b.body.length,
        width: b.body.width,
        height: b.body.height,
        u: centre.u,
        v: centre.v,
        depth: centre.depth,
        ...(box ? { box } : {}),
        visiblePixels: visible,
        visibility: covered > 0 ? (visible / covered) * Math.exp(-beta * dist) : 0,
      });
    });
    out.push({
      scenario: scenario.name,
      seed: scenario.seed,
      t,
      visibilityM: scenario.weather.visibilityM ?? Infinity,
      night: scenario.weather.night,
      rgb: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength),
      objects,
    });
  }
  return out;
}

/** Head targets of a sample's target objects; `flip` mirrors the image left/right (cx is the image centre). */
export function cameraHeadObjects(objects: readonly CameraObject[], flip: boolean): HeadObject[] {
  const out: HeadObject[] = [];
  const W = CAMERA_INPUT.width;
  for (const o of objects) {
    const k = (CAMERA_CLASSES as readonly string[]).indexOf(o.classification);
    if (k < 0 || !isCameraTarget(o)) continue;
    const box = o.box!;
    const u = flip ? W - o.u : o.u;
    const hr = o.v / CAMERA_STRIDE;
    const hc = u / CAMERA_STRIDE;
    if (hr >= CAMERA_HEAD.height || hc >= CAMERA_HEAD.width) continue;
    const w2d = Math.max(1, box.u1 - box.u0) / CAMERA_STRIDE;
    const h2d = Math.max(1, box.v1 - box.v0) / CAMERA_STRIDE;
    out.push({
      row: hr,
      col: hc,
      sigma: Math.max(0.5, Math.min(w2d, h2d) / 4),
      classIndex: k,
      reg: [
        hr - Math.floor(hr),
        hc - Math.floor(hc),
        Math.log(o.depth),
        (box.v1 - o.v) / CAMERA_STRIDE,
        Math.log(w2d),
        Math.log(h2d),
        Math.log(o.length),
        Math.log(o.width),
        Math.log(o.height),
      ],
    });
  }
  return out;
}

/** RGB8 → float 0..1 into `out` at `offset`, mirrored left/right when `flip`. */
export function rgbToFloat(rgb: Uint8Array, flip: boolean, out: Float32Array, offset = 0): void {
  const W = CAMERA_INPUT.width;
  const H = CAMERA_INPUT.height;
  if (!flip) {
    for (let i = 0; i < W * H * 3; i++) out[offset + i] = rgb[i]! / 255;
    return;
  }
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      const s = (v * W + u) * 3;
      const d = offset + (v * W + (W - 1 - u)) * 3;
      out[d] = rgb[s]! / 255;
      out[d + 1] = rgb[s + 1]! / 255;
      out[d + 2] = rgb[s + 2]! / 255;
    }
  }
}
