import type { Detection } from "../../../types";
import type { Extrinsics } from "../../common/extrinsics";
import { backProject, fuseDepths, groundPlaneDepth, lineOfSightCovariance, type Intrinsics } from "../geometry";
import type { PixelRect } from "../virtualCamera";
import { HEIGHT_PRIOR_M } from "./cocoClasses";
import type { CocoBox } from "./cocoDetector";

/** Std of a box edge (px of the detector's camera) and of the centre column's bearing. */
const EDGE_SIGMA_PX = 2;
const CENTRE_SIGMA_PX = 1.5;

/**
 * A 2D box of a pinhole camera → an ego-frame detection. The bearing is the box centre's ray. The
 * range along the optical axis fuses two estimates by inverse variance (geometry.ts
 * `fuseDepths`, which drops the second when they disagree beyond 3σ): the class's height prior
 * over the box's pixel height (fy · H / h) — left out when the box is cut by the top or bottom of
 * the image — and the ground plane under the box's bottom edge, when the edge is inside the image
 * and below the horizon. The box's nearest face is what both see, so the centre is half the
 * class's length further. The covariance runs along the line of sight with the range's std and
 * across it with the bearing's. Undefined when neither range estimate can be made.
 */
export function liftBox(b: CocoBox, k: Intrinsics, e: Extrinsics, valid: PixelRect): Detection | undefined {
  const prior = HEIGHT_PRIOR_M[b.classification];
  if (!prior) return undefined;
  const u = (b.x1 + b.x2) / 2;
  const h = b.y2 - b.y1;
  const cutTop = b.y1 <= valid.y0 + 1;
  const cutBottom = b.y2 >= valid.y1 - 1;
  const byHeight = cutTop || cutBottom || !(h > 0) ? undefined : { depth: (k.fy * prior.height) / h, sigma: 0 };
  if (byHeight) byHeight.sigma = byHeight.depth * Math.hypot(prior.sigmaRel, EDGE_SIGMA_PX / h);
  const zg = cutBottom ? undefined : groundPlaneDepth(u, b.y2, k, e);
  const byGround =
    zg === undefined ? undefined : { depth: zg, sigma: ((zg * zg) / (k.fy * Math.max(0.3, e.translation.z))) * EDGE_SIGMA_PX + 0.05 * zg };
  const first = byHeight ?? byGround;
  if (!first) return undefined;
  const fused = fuseDepths(first, byHeight ? byGround : undefined);
  const depth = fused.depth + prior.length / 2;
  const position = backProject(u, (b.y1 + b.y2) / 2, depth, k, e);
  return {
    position,
    positionCovariance: lineOfSightCovariance(position, e.translation, fused.sigma + 0.25 * prior.length, CENTRE_SIGMA_PX / k.fx),
    classProbabilities: { ...b.classProbabilities },
    score: b.score,
  };
}
