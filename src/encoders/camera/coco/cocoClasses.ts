import type { ObjectClass } from "../../../types";

/**
 * COCO's 80 classes (index = the detector's class id) that are ours: people are pedestrians, a bus
 * is a truck (a large vehicle, as our classes have no bus). Every other COCO class is ignored.
 */
export const COCO_TO_OURS: ReadonlyMap<number, ObjectClass> = new Map([
  [0, "pedestrian"],
  [1, "cyclist"],
  [2, "car"],
  [3, "motorcycle"],
  [5, "truck"],
  [7, "truck"],
]);

/**
 * Height priors (m) per class: the range from a box's pixel height (fy · H / h), one of the two
 * range estimates, with its relative spread. Typical sizes of the nuScenes / KITTI classes.
 */
export const HEIGHT_PRIOR_M: Readonly<Partial<Record<ObjectClass, { height: number; sigmaRel: number; length: number }>>> = {
  pedestrian: { height: 1.75, sigmaRel: 0.12, length: 0.5 },
  cyclist: { height: 1.7, sigmaRel: 0.15, length: 1.8 },
  car: { height: 1.55, sigmaRel: 0.12, length: 4.2 },
  motorcycle: { height: 1.45, sigmaRel: 0.15, length: 2.1 },
  truck: { height: 3.2, sigmaRel: 0.3, length: 8 },
};
