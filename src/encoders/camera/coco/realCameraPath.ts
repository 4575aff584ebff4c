import type { CameraCalibration, CameraFrame, Detection } from "../../../types";
import type { Extrinsics } from "../../common/extrinsics";
import type { Intrinsics } from "../geometry";
import type { VirtualCamera } from "../virtualCamera";
import type { CocoDetector } from "./cocoDetector";
import { detectInFrame } from "./detectInFrame";

/**
 * The camera encoder's path for a camera that is not the network's own: the COCO detector over
 * the calibration's tiles. Inactive (the network detects) without a detector or for the
 * network's own camera.
 */
export function realCameraPath(coco: CocoDetector | undefined) {
  let tiles: VirtualCamera[] | undefined;
  let buf: Uint8Array | undefined;
  return {
    /** On every calibration: `foreign` = not the network's own camera. */
    calibrate(c: CameraCalibration, intr: Intrinsics, foreign: boolean): void {
      tiles = coco && foreign ? coco.virtualFor(c, intr) : undefined;
    },
    /** The detector's name and version while it is the one detecting; undefined otherwise. */
    get detector(): { name: string; modelVersion: string } | undefined {
      return coco && tiles ? { name: coco.name, modelVersion: coco.modelVersion } : undefined;
    },
    detect(frame: CameraFrame, e: Extrinsics): Detection[] {
      if (!coco || !tiles) return [];
      const { width, height } = tiles[0]!.intrinsics;
      buf ??= new Uint8Array(width * height * 3);
      return detectInFrame(coco, tiles, frame, buf, e);
    },
    dispose(): void {
      coco?.dispose();
    },
  };
}
