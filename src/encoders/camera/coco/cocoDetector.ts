import * as tf from "@tensorflow/tfjs";
import * as fs from "node:fs";
import type { CameraCalibration, ObjectClass } from "../../../types";
import { installedPackageFile } from "../../../runtime/installedPackageFile";
import { modelFileError } from "../../../runtime/modelFiles";
import type { Intrinsics } from "../geometry";
import { virtualCameraFor, type VirtualCamera } from "../virtualCamera";
import { COCO_TO_OURS } from "./cocoClasses";

/**
 * A COCO-trained detector for real cameras: MobileNetV3 CenterNet (github.com/610265158/
 * mobilenetv3_centernet, converted to a tfjs graph model and shipped, MIT, in the npm package
 * `@vladmandic/human` as `models/centernet.json` + `.bin`, 4 MB). Its input is one 512 × 512
 * RGB image in 0..255; `tower_0/detections` gives the top 100 boxes as [x1, y1, x2, y2, score,
 * class] in input pixels. The image is resampled into a 512 × 512 pinhole camera that stretches
 * the real one (fx, fy scaled apart, distortion removed: virtualCamera.ts), the way the model is
 * fed in its own library, so every box is a box of a pinhole camera with known K.
 */
export const COCO_DETECTOR = {
  name: "coco-centernet-mb3",
  pkg: "@vladmandic/human",
  json: "models/centernet.json",
  weights: "models/centernet.bin",
  input: 512,
  output: "tower_0/detections",
} as const;

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
   * The detector's cameras for a real calibration: the image cut into tiles of about its height
   * (a 1242 × 375 image in three, 1600 × 900 in two, overlapping by a quarter), each an
   * undistorted pinhole camera stretched to 512 × 512, so that no tile squeezes objects more than
   * about 1.5 : 1 (a whole KITTI image in one square would squeeze a pedestrian 3.3 : 1).
   */
  virtualFor(calib: CameraCalibration, intr: Intrinsics): VirtualCamera[];
  /** Boxes of our classes in one 512 × 512 rgb8 image of one of `virtualFor`'s cameras, after suppression. */
  detect(rgb: Uint8Array): CocoBox[];
  dispose(): void;
};

export type CocoDetectorOptions = { minScore?: number; iou?: number; maxDetections?: number };

type Signature = { inputs?: Record<string, { tensorShape?: { dim?: { size: string }[] } }>; outputs?: Record<string, unknown> };

function checkCard(json: { format?: string; signature?: Signature }, where: string): void {
  const input = Object.values(json.signature?.inputs ?? {})[0]?.tensorShape?.dim?.map((d) => Number(d.size));
  const n = COCO_DETECTOR.input;
  if (json.format !== "graph-model" || input?.join(",") !== `1,${n},${n},3` || !(COCO_DETECTOR.output in (json.signature?.outputs ?? {})))
    throw modelFileError(
      where,
      `format ${String(json.format)}, input ${JSON.stringify(input)}`,
      `a tfjs graph model with input [1,${n},${n},3] and output ${COCO_DETECTOR.output}`,
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

/** Loads the detector from the installed `@vladmandic/human`; undefined when the package is not installed. */
export async function loadCocoDetector(options: CocoDetectorOptions = {}): Promise<CocoDetector | undefined> {
  const jsonFile = installedPackageFile(COCO_DETECTOR.pkg, COCO_DETECTOR.json);
  const binFile = installedPackageFile(COCO_DETECTOR.pkg, COCO_DETECTOR.weights);
  if (!jsonFile || !binFile) return undefined;
  const json = JSON.parse(fs.readFileSync(jsonFile, "utf8")) as {
    format?: string;
    signature?: Signature;
    modelTopology?: object;
    weightsManifest?: { weights: tf.io.WeightsManifestEntry[] }[];
  };
  checkCard(json, jsonFile);
  const bin = fs.readFileSync(binFile);
  const model = await tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest?.flatMap((m) => m.weights) ?? [],
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
      format: json.format,
      signature: json.signature,
    }),
  );
  const n = COCO_DETECTOR.input;
  const input = new Float32Array(n * n * 3);
  const minScore = options.minScore ?? 0.2;
  const version = JSON.parse(fs.readFileSync(installedPackageFile(COCO_DETECTOR.pkg, "package.json")!, "utf8")) as { version?: string };
  return {
    name: COCO_DETECTOR.name,
    modelVersion: `${COCO_DETECTOR.pkg}@${version.version ?? "?"} ${COCO_DETECTOR.json}`,
    virtualFor(calib, intr) {
      const tiles = Math.max(1, Math.round(calib.width / calib.height));
      const width = tiles === 1 ? calib.width : Math.round((calib.width / tiles) * 1.25);
      return Array.from({ length: tiles }, (_, t) => {
        const left = tiles === 1 ? 0 : ((calib.width - width) * t) / (tiles - 1);
        const net: Intrinsics = {
          fx: (intr.fx * n) / width,
          fy: (intr.fy * n) / calib.height,
          cx: ((intr.cx - left) * n) / width,
          cy: (intr.cy * n) / calib.height,
          width: n,
          height: n,
        };
        const same = {
          intrinsics: net,
          source: { width: n, height: n, topic: calib.topic },
          map: identityMap(n),
          valid: { x0: 0, y0: 0, x1: n, y1: n },
        };
        return virtualCameraFor(calib, intr, net) ?? same;
      });
    },
    detect(rgb) {
      for (let i = 0; i < input.length; i++) input[i] = rgb[i]!;
      const out = tf.tidy(
        () => (model.execute(tf.tensor4d(input, [1, n, n, 3]), COCO_DETECTOR.output) as tf.Tensor).dataSync() as Float32Array,
      );
      const boxes: CocoBox[] = [];
      for (let i = 0; i + 6 <= out.length; i += 6) {
        const classification = COCO_TO_OURS.get(Math.round(out[i + 5]!));
        const score = out[i + 4]!;
        if (!classification || !(score >= minScore)) continue;
        const [x1, y1, x2, y2] = [Math.max(0, out[i]!), Math.max(0, out[i + 1]!), Math.min(n, out[i + 2]!), Math.min(n, out[i + 3]!)];
        if (x2 - x1 >= 2 && y2 - y1 >= 2)
          boxes.push({ x1, y1, x2, y2, score, classification, classProbabilities: { [classification]: score } });
      }
      return suppress(boxes, options.iou ?? 0.5).slice(0, options.maxDetections ?? 64);
    },
    dispose: () => model.dispose(),
  };
}

/** The map of a camera that already is the detector's: each pixel its own source. */
function identityMap(n: number): Float32Array {
  const map = new Float32Array(n * n * 2);
  for (let j = 0; j < n; j++)
    for (let i = 0; i < n; i++) {
      map[(j * n + i) * 2] = i;
      map[(j * n + i) * 2 + 1] = j;
    }
  return map;
}
