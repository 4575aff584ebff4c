import type { CameraFrame, Detection } from "../../../types";
import type { Extrinsics } from "../../common/extrinsics";
import { resampleToVirtual, type VirtualCamera } from "../virtualCamera";
import { suppress, type CocoBox, type CocoDetector } from "./cocoDetector";
import { liftBox } from "./liftBox";

/** A tile's box on the normalised image plane (x/z, y/z), where the tiles of one camera meet, with where it came from. */
type PlaneBox = CocoBox & { from: { box: CocoBox; tile: VirtualCamera } };

function onPlane(box: CocoBox, tile: VirtualCamera): PlaneBox {
  const k = tile.intrinsics;
  return {
    ...box,
    x1: (box.x1 - k.cx) / k.fx,
    x2: (box.x2 - k.cx) / k.fx,
    y1: (box.y1 - k.cy) / k.fy,
    y2: (box.y2 - k.cy) / k.fy,
    from: { box, tile },
  };
}

/**
 * One real camera frame through the COCO detector: every tile resampled and detected, the boxes
 * suppressed across tiles on the normalised image plane (an object in the overlap of two tiles is
 * one object), each kept box lifted to the ego frame through its own tile's camera, with the class
 * probabilities suppression gathered. `buf` holds one rgb8 image of the detector's input size.
 */
export function detectInFrame(
  coco: CocoDetector,
  tiles: readonly VirtualCamera[],
  frame: CameraFrame,
  buf: Uint8Array,
  e: Extrinsics,
): Detection[] {
  const found: PlaneBox[] = [];
  for (const tile of tiles) for (const box of coco.detect(resampleToVirtual(frame, tile, buf).data)) found.push(onPlane(box, tile));
  return suppress(found, 0.5).flatMap((p) => {
    const { box, tile } = p.from;
    return liftBox({ ...box, classProbabilities: p.classProbabilities }, tile.intrinsics, e, tile.valid) ?? [];
  });
}
