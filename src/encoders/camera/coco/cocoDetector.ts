import * as tf from "@tensorflow/tfjs";
import type { CameraCalibration, ObjectClass } from "../../../types";
import { modelFileError, type ModelFiles } from "../../../runtime/modelFiles";
import type { Intrinsics } from "../geometry";
import { virtualCameraFor, type VirtualCamera } from "../virtualCamera";
import { cardFiles, parseDetectorCard, type DetectorCard } from "./detectorCard";

/**
 * A detector for real cameras brought as a tfjs graph model with a card (detectorCard.ts), read
 * through ModelFiles. The shipped one (`models/camera-coco/card.json`) is the COCO-trained
 * MobileNetV3 CenterNet (github.com/610265158/mobilenetv3_centernet) converted to tfjs and shipped,
 * MIT, in the npm package `@vladmandic/human` as `models/centernet.json` + `.bin` (4 MB): input one
 * 512 × 512 RGB image in 0..255, output `tower_0/detections`, the top 100 boxes as
 * [x1, y1, x2, y2, score, class] in input pixels. The image is resampled into pinhole cameras of
 * the card's input size that stretch the real one (fx, fy scaled apart, distortion removed:
 * virtualCamera.ts), the way the model is fed in its own library, so every box is a box of a
 * pinhole camera with known K.
 */

export type CocoBox = {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
  /** The most probable of our classes. */
  classification: ObjectClass;
  /** Every class a box of the same place was given (cross-class suppression keeps them), by score. */
  classProbabilities: Partial<Record<ObjectClass, number>>;
};

export type CocoDetector = {
  name: string;
  modelVersion: string;
  /**
   * The detector's cameras for a real calibration: with `tiles: near-square`, the image cut into
   * tiles of about its height (a 1242 × 375 image in three, 1600 × 900 in two, overlapping by a
   * quarter), each an undistorted pinhole camera stretched to the input size, so that no tile
   * squeezes objects more than about 1.5 : 1 (a whole KITTI image in one square squeezes a
   * pedestrian 3.3 : 1, and KITTI 000000's pedestrian was then not found at all).
   */
  virtualFor(calib: CameraCalibration, intr: Intrinsics): VirtualCamera[];
  /** Boxes of our classes in one rgb8 image of one of `virtualFor`'s cameras, after suppression. */
  detect(rgb: Uint8Array): CocoBox[];
  dispose(): void;
};

export type CocoDetectorOptions = { minScore?: number; iou?: number; maxDetections?: number };

type GraphJson = {
  format?: string;
  signature?: {
    inputs?: Record<string, { tensorShape?: { dim?: { size: string }[] } }>;
    outputs?: Record<string, { tensorShape?: { dim?: { size: string }[] } }>;
  };
  modelTopology?: object;
  weightsManifest?: { weights: tf.io.WeightsManifestEntry[] }[];
};

/** The model must be what its card says: a graph model with that input and output. */
function checkAgainstCard(json: GraphJson, card: DetectorCard, where: string): void {
  const input = Object.values(json.signature?.inputs ?? {})[0]?.tensorShape?.dim?.map((d) => Number(d.size));
  const want = `1,${card.input.height},${card.input.width},3`;
  const output = json.signature?.outputs?.[card.output.tensor]?.tensorShape?.dim?.map((d) => Number(d.size));
  if (json.format !== "graph-model" || input?.join(",") !== want || output === undefined || output[output.length - 1] !== 6)
    throw modelFileError(
      where,
      `format ${String(json.format)}, input ${JSON.stringify(input)}, output ${card.output.tensor} ${JSON.stringify(output)}`,
      `what its card says: a tfjs graph model with input [${want}] and output ${card.output.tensor} [..., 6]`,
    );
}

/** IoU of two boxes. */
function iou(a: CocoBox, b: CocoBox): number {
  const w = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const h = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = w * h;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Greedy non-maximum suppression: within a class above `threshold` IoU (the model repeats a box
 * under several scores), and across classes above `crossClass` (the same object called car and
 * truck), where the kept box takes the other's class probability.
 */
export function suppress<T extends CocoBox>(boxes: readonly T[], threshold: number, crossClass = 0.7): T[] {
  const kept: T[] = [];
  for (const b of [...boxes].sort((p, q) => q.score - p.score)) {
    const same = kept.find((k) => (k.classification === b.classification ? iou(k, b) > threshold : iou(k, b) > crossClass));
    if (!same) kept.push({ ...b, classProbabilities: { ...b.classProbabilities } });
    else if (same.classification !== b.classification)
      same.classProbabilities[b.classification] = Math.max(same.classProbabilities[b.classification] ?? 0, b.score);
  }
  return kept;
}

/** The detector's cameras for one real camera (see CocoDetector.virtualFor). */
function tilesFor(card: DetectorCard, calib: CameraCalibration, intr: Intrinsics): VirtualCamera[] {
  const { width: W, height: H } = card.input;
  const tiles = card.input.tiles === "whole" ? 1 : Math.max(1, Math.round(calib.width / calib.height));
  const width = tiles === 1 ? calib.width : Math.round((calib.width / tiles) * 1.25);
  return Array.from({ length: tiles }, (_, t) => {
    const left = tiles === 1 ? 0 : ((calib.width - width) * t) / (tiles - 1);
    const net: Intrinsics = {
      fx: (intr.fx * W) / width,
      fy: (intr.fy * H) / calib.height,
      cx: ((intr.cx - left) * W) / width,
      cy: (intr.cy * H) / calib.height,
      width: W,
      height: H,
    };
    return virtualCameraFor(calib, intr, net) ?? identityCamera(net, calib.topic);
  });
}

/**
 * Loads the detector of the card in `dir` (`dir/card.json`) through `files`; undefined when the
 * folder has no card. A card that is not valid, files that are missing and a model that does not
 * match its card are one line each, refused at start-up.
 */
export async function loadCardDetector(
  files: ModelFiles,
  dir: string,
  options: CocoDetectorOptions = {},
): Promise<CocoDetector | undefined> {
  const where = `${dir}/card.json`;
  let text: string;
  try {
    text = new TextDecoder().decode(await files.read(where));
  } catch {
    return undefined;
  }
  const card = parseDetectorCard(text, where);
  const paths = cardFiles(card, dir, where);
  const json = JSON.parse(new TextDecoder().decode(await files.read(paths.model))) as GraphJson;
  checkAgainstCard(json, card, paths.model);
  const bin = await files.read(paths.weights);
  const model = await tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest?.flatMap((m) => m.weights) ?? [],
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer,
      format: json.format,
      signature: json.signature,
    }),
  );
  const { width: W, height: H } = card.input;
  const input = new Float32Array(W * H * 3);
  const scale = card.input.range[1] / 255;
  const minScore = options.minScore ?? card.minScore;
  const classes = new Map(Object.entries(card.classes).map(([id, c]) => [Number(id), c]));
  return {
    name: card.name,
    modelVersion: `${card.files.package ? `${card.files.package} ` : ""}${card.files.model}`,
    virtualFor: (calib, intr) => tilesFor(card, calib, intr),
    detect(rgb) {
      for (let i = 0; i < input.length; i++) input[i] = rgb[i]! * scale;
      const out = tf.tidy(
        () => (model.execute(tf.tensor4d(input, [1, H, W, 3]), card.output.tensor) as tf.Tensor).dataSync() as Float32Array,
      );
      const boxes: CocoBox[] = [];
      for (let i = 0; i + 6 <= out.length; i += 6) {
        const classification = classes.get(Math.round(out[i + 5]!));
        const score = out[i + 4]!;
        if (!classification || !(score >= minScore)) continue;
        const [x1, y1, x2, y2] = [Math.max(0, out[i]!), Math.max(0, out[i + 1]!), Math.min(W, out[i + 2]!), Math.min(H, out[i + 3]!)];
        if (x2 - x1 >= 2 && y2 - y1 >= 2)
          boxes.push({ x1, y1, x2, y2, score, classification, classProbabilities: { [classification]: score } });
      }
      return suppress(boxes, options.iou ?? 0.5).slice(0, options.maxDetections ?? 64);
    },
    dispose: () => model.dispose(),
  };
}

/** A camera that already is the detector's: each pixel its own source. */
function identityCamera(net: Intrinsics, topic: string): VirtualCamera {
  const { width: W, height: H } = net;
  const map = new Float32Array(W * H * 2);
  for (let j = 0; j < H; j++)
    for (let i = 0; i < W; i++) {
      map[(j * W + i) * 2] = i;
      map[(j * W + i) * 2 + 1] = j;
    }
  return { intrinsics: net, source: { width: W, height: H, topic }, map, valid: { x0: 0, y0: 0, x1: W, y1: H } };
}
