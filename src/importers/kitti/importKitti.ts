/**
 * `avfusion import kitti DIR`: a KITTI object-format folder (image_2, velodyne, calib, label_2) as
 * an MCAP recording with Foxglove schemas that `replay`, `eval` and Foxglove read:
 *
 *   /tf                          foxglove.FrameTransforms   base_link ← velodyne, base_link ← camera_2
 *   /kitti/camera_2/calibration  foxglove.CameraCalibration K and P from P2 (rectified: R = I, no distortion)
 *   /kitti/camera_2/image        foxglove.CompressedImage   the PNG as it is
 *   /kitti/velodyne/points       foxglove.PointCloud        x, y, z, intensity float32 (reflectance × 255), Velodyne frame
 *   /kitti/ground_truth          avfusion.GroundTruth       label_2 boxes in base_link (when labels exist)
 *
 * KITTI object frames are single snapshots without time: frame k is stamped at `startNs + k/hz`,
 * and `repeat` emits each frame that many times in a row (a still scene the tracker can confirm).
 */
import { promises as fsp } from "node:fs";
import path from "node:path";
import { encodeProto } from "../../schemas/protoRegistry";
import {
  cameraCalibrationProto,
  compressedImageProto,
  frameTransformsProto,
  groundTruthProto,
  pointCloudProto,
} from "../../schemas/protoObjects";
import type { McapSink } from "../../sinks/mcap/McapSink";
import type { CameraCalibration, FrameTransform, GroundTruthFrame, GroundTruthObject, Nanos } from "../../types";
import { BadInputError } from "../../types/errors";
import { parseCalibration, parseLabels, parseVelodyne, pngSize } from "./kittiFiles";
import { labelToObject, quaternionOf, rigTransforms, type Mat4 } from "./kittiGeometry";

export const KITTI_TOPICS = {
  tf: "/tf",
  calibration: "/kitti/camera_2/calibration",
  image: "/kitti/camera_2/image",
  points: "/kitti/velodyne/points",
  groundTruth: "/kitti/ground_truth",
} as const;

export const KITTI_FRAMES = { base: "base_link", velodyne: "velodyne", camera: "camera_2" } as const;

/** 2011-09-26T00:00:00Z, a day of KITTI's drives: object frames carry no time of their own. */
export const KITTI_START_NS: Nanos = 1_316_995_200_000_000_000n;

/** How far ahead of its frame a frame's transforms and calibration are stamped (1 ms). */
const SIDE_CHANNEL_LEAD_NS = 1_000_000n;

export type KittiImportOptions = {
  /** Frame ids (e.g. `000008`); default every frame with an image, a sweep and a calibration. */
  frames?: readonly string[];
  /** Emit each frame this many times in a row (default 1). */
  repeat?: number;
  /** Frames per second of the stamps (default 10, KITTI's LiDAR rate). */
  hz?: number;
  startNs?: Nanos;
};

export type KittiImportStats = { frames: string[]; messages: number; objects: number; withoutLabels: string[] };

const FOLDERS = ["image_2", "velodyne", "calib"] as const;

async function exists(p: string): Promise<boolean> {
  return fsp.stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** The split folder holding image_2/velodyne/calib: DIR itself, or DIR/training. */
export async function kittiSplitDir(dir: string): Promise<string> {
  for (const d of [dir, path.join(dir, "training")])
    if ((await Promise.all(FOLDERS.map((f) => exists(path.join(d, f))))).every(Boolean)) return d;
  throw new BadInputError({
    where: dir,
    what: "no image_2, velodyne and calib folders here or in training/",
    expected: "a KITTI object-format folder",
    code: "open",
  });
}

/** Frame ids present in every required folder, sorted. */
async function frameIds(split: string): Promise<string[]> {
  const ids = await Promise.all(
    FOLDERS.map(async (f) => new Set((await fsp.readdir(path.join(split, f))).map((n) => n.replace(/\.(png|bin|txt)$/, "")))),
  );
  return [...ids[0]!].filter((id) => ids.every((s) => s.has(id))).sort();
}

function transformOf(m: Mat4, child: string, stamp: Nanos): FrameTransform {
  return {
    kind: "transform",
    topic: KITTI_TOPICS.tf,
    stamp,
    parentFrameId: KITTI_FRAMES.base,
    childFrameId: child,
    translation: { x: m[3]!, y: m[7]!, z: m[11]! },
    rotation: quaternionOf(m),
  };
}

async function readFile(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await fsp.readFile(file));
  } catch (err) {
    throw new BadInputError({ where: file, what: `cannot read (${(err as NodeJS.ErrnoException).code ?? "error"})`, code: "open" });
  }
}

async function readText(file: string): Promise<string | undefined> {
  return fsp.readFile(file, "utf8").catch(() => undefined);
}

/** The rectified colour camera's calibration from P2: K its left 3×3, R = I, no distortion (KITTI's images are rectified). */
export function kittiCameraCalibration(P2: readonly number[], width: number, height: number, stamp: Nanos): CameraCalibration {
  const P = [...P2];
  return {
    kind: "cameraCalibration",
    topic: KITTI_TOPICS.calibration,
    stamp,
    frameId: KITTI_FRAMES.camera,
    width,
    height,
    distortionModel: "plumb_bob",
    D: [0, 0, 0, 0, 0],
    K: [P[0]!, P[1]!, P[2]!, P[4]!, P[5]!, P[6]!, P[8]!, P[9]!, P[10]!],
    R: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    P,
  };
}

/** One frame's files, read and checked. */
type KittiFrame = {
  image: Uint8Array;
  width: number;
  height: number;
  /** x, y, z, intensity (reflectance × 255) per point. */
  points: Float32Array;
  P2: number[];
  rig: ReturnType<typeof rigTransforms>;
  /** undefined: the frame has no label file. */
  objects: GroundTruthObject[] | undefined;
};

async function readFrame(split: string, id: string): Promise<KittiFrame> {
  const calibFile = path.join(split, "calib", `${id}.txt`);
  const cal = parseCalibration(await fsp.readFile(calibFile, "utf8"), calibFile);
  const imageFile = path.join(split, "image_2", `${id}.png`);
  const image = await readFile(imageFile);
  const veloFile = path.join(split, "velodyne", `${id}.bin`);
  const points = parseVelodyne(await readFile(veloFile), veloFile);
  for (let i = 3; i < points.length; i += 4) points[i]! *= 255;
  const labelFile = path.join(split, "label_2", `${id}.txt`);
  const labelText = await readText(labelFile);
  const rig = rigTransforms(cal);
  const objects =
    labelText === undefined
      ? undefined
      : parseLabels(labelText, labelFile)
          .map((l, i) => labelToObject(l, i + 1, rig.baseFromCam))
          .filter((o): o is GroundTruthObject => o !== undefined);
  return { image, ...pngSize(image, imageFile), points, P2: cal.P2, rig, objects };
}

type Write = (topic: string, type: string, stamp: Nanos, message: object) => Promise<void>;

/**
 * One frame's messages. The transforms and the calibration are stamped 1 ms before the frame:
 * indexed readers order messages by log time and may reorder equal times, and these must be in
 * force before the image and the sweep they describe (frames of a KITTI split may come from
 * different cameras).
 */
async function writeFrame(write: Write, f: KittiFrame, frameStamp: Nanos): Promise<void> {
  const stamp = frameStamp - SIDE_CHANNEL_LEAD_NS;
  const transforms = [
    transformOf(f.rig.baseFromVelo, KITTI_FRAMES.velodyne, stamp),
    transformOf(f.rig.baseFromCam, KITTI_FRAMES.camera, stamp),
  ];
  await write(KITTI_TOPICS.tf, "foxglove.FrameTransforms", stamp, frameTransformsProto(transforms));
  const calibration = kittiCameraCalibration(f.P2, f.width, f.height, stamp);
  await write(KITTI_TOPICS.calibration, "foxglove.CameraCalibration", stamp, cameraCalibrationProto(calibration));
  await write(
    KITTI_TOPICS.image,
    "foxglove.CompressedImage",
    frameStamp,
    compressedImageProto(frameStamp, KITTI_FRAMES.camera, f.image, "png"),
  );
  const cloud = { stamp: frameStamp, frameId: KITTI_FRAMES.velodyne, points: f.points, count: f.points.length / 4 };
  await write(KITTI_TOPICS.points, "foxglove.PointCloud", frameStamp, pointCloudProto(cloud, "lossless"));
  if (f.objects === undefined) return;
  const gt: GroundTruthFrame = {
    kind: "groundTruth",
    topic: KITTI_TOPICS.groundTruth,
    stamp: frameStamp,
    frameId: KITTI_FRAMES.base,
    objects: f.objects,
    visibilityM: Infinity,
    sirenActive: false,
    sirenBearingRad: 0,
    egoSpeedMps: 0,
  };
  await write(KITTI_TOPICS.groundTruth, "avfusion.GroundTruth", frameStamp, groundTruthProto(gt));
}

function checkOptions(options: KittiImportOptions): { repeat: number; period: bigint } {
  const repeat = options.repeat ?? 1;
  const hz = options.hz ?? 10;
  if (!(Number.isInteger(repeat) && repeat >= 1))
    throw new BadInputError({ where: "repeat", what: `${repeat}`, expected: "an integer ≥ 1", code: "usage" });
  if (!(hz > 0 && hz <= 1000)) throw new BadInputError({ where: "hz", what: `${hz}`, expected: "a rate in (0, 1000] Hz", code: "usage" });
  return { repeat, period: BigInt(Math.round(1e9 / hz)) };
}

/** Writes the KITTI frames of `dir` to `sink`, in stamp order. */
export async function importKitti(dir: string, sink: McapSink, options: KittiImportOptions = {}): Promise<KittiImportStats> {
  const split = await kittiSplitDir(dir);
  const available = await frameIds(split);
  const frames = options.frames ?? available;
  for (const f of frames)
    if (!available.includes(f))
      throw new BadInputError({
        where: `${split}: frame ${f}`,
        what: "missing image_2, velodyne or calib file",
        expected: `one of ${available.join(", ") || "(none)"}`,
        code: "usage",
      });
  if (frames.length === 0)
    throw new BadInputError({ where: split, what: "no frame with an image, a sweep and a calibration", code: "empty" });
  const { repeat, period } = checkOptions(options);
  const start = options.startNs ?? KITTI_START_NS;
  const stats: KittiImportStats = { frames: [...frames], messages: 0, objects: 0, withoutLabels: [] };
  const write: Write = async (topic, type, stamp, message) => {
    await sink.write(topic, type, stamp, stamp, encodeProto(type, message));
    stats.messages++;
  };
  let k = 0n;
  for (const id of frames) {
    const frame = await readFrame(split, id);
    if (frame.objects === undefined) stats.withoutLabels.push(id);
    stats.objects += frame.objects?.length ?? 0;
    for (let r = 0; r < repeat; r++, k++) await writeFrame(write, frame, start + k * period);
  }
  await sink.writeMetadata("kitti", { source: split, frames: frames.join(","), repeat: String(repeat), hz: String(options.hz ?? 10) });
  return stats;
}
