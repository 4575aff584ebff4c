import { evalClassOf, evaluateScenes, groundTruthBox, nearestByStamp, pairFrames, sceneObjectBox } from "./evaluateScenes";
import { quaternionYaw } from "./boxErrors";
import { gtFrame, gtObject, MS, sceneObject, sceneState } from "./testing/fixtures";

const AP_PERFECT = 1.0000000000000004; // the devkit's float64 result for a perfect curve

function perfectRun(stamps: bigint[]) {
  const gt = stamps.map((t) =>
    gtFrame(t, [gtObject("car", 10, 0, { id: 1 }), gtObject("pedestrian", 5, 3, { id: 2, size: { x: 0.6, y: 0.6, z: 1.8 } })]),
  );
  const scenes = gt.map((f) =>
    sceneState(
      f.stamp,
      f.objects.map((o) => sceneObject(o, 0.9)),
    ),
  );
  return { gt, scenes };
}

describe("evaluateScenes", () => {
  it("perfect detections give AP 1 per class and zero TP errors", () => {
    const { gt, scenes } = perfectRun([0n, 100n * MS, 200n * MS]);
    const m = evaluateScenes(gt, scenes);
    expect(m.classes).toEqual(["car", "pedestrian"]);
    expect(m.apByClass).toEqual({ car: AP_PERFECT, pedestrian: AP_PERFECT });
    expect(m.mAP).toBe(AP_PERFECT);
    expect([m.ate, m.ase, m.aoe, m.ave]).toEqual([0, 0, 0, 0]);
    expect(m.nds).toBeCloseTo(1, 12);
    expect(m.boxes.car).toEqual({ gt: 3, pred: 3, matched: 3 });
    expect(m.frames).toEqual({ groundTruth: 3, matched: 3, withoutScene: 0, duplicateStamps: 0, invalidObjects: 0 });
  });

  it("a 1 m offset matches at 2 and 4 m but not at 0.5 or 1 m (strict <), and ATE is 1 m", () => {
    const gt = [gtFrame(0n, [gtObject("car", 10, 0)])];
    const scenes = [sceneState(0n, [sceneObject(gt[0]!.objects[0]!, 0.8, { position: { x: 11, y: 0, z: 0.8 } })])];
    const m = evaluateScenes(gt, scenes);
    expect(m.apByClassAndThreshold.car).toEqual({ "0.5": 0, "1": 0, "2": AP_PERFECT, "4": AP_PERFECT });
    expect(m.apByClass.car).toBeCloseTo(0.5, 12);
    expect(m.ate).toBe(1);
    // NDS = (5 * 0.5 + (1 - 1) + 1 + 1 + 1) / 9
    expect(m.nds).toBeCloseTo((5 * 0.5 + 3) / 9, 12);
  });

  it("scale, orientation and velocity errors follow the devkit definitions", () => {
    const g = gtObject("car", 10, 0, { yawRad: 0.2, velocity: { x: 1, y: 1, z: 0 } });
    const pred = sceneObject(g, 0.9, { size: { x: 2.25, y: 1.8, z: 1.5 }, yawRad: 0.2 + Math.PI / 2, velocity: { x: 4, y: 5, z: 0 } });
    const m = evaluateScenes([gtFrame(0n, [g])], [sceneState(0n, [pred])]);
    expect(m.ase).toBeCloseTo(0.5, 12); // half the length: IoU 1/2
    expect(m.aoe).toBeCloseTo(Math.PI / 2, 9);
    expect(m.ave).toBeCloseTo(5, 12); // |(3, 4)|
    // A heading 180° off is the maximum orientation error for vehicles (period 2π).
    const flipped = evaluateScenes([gtFrame(0n, [g])], [sceneState(0n, [sceneObject(g, 0.9, { yawRad: 0.2 + Math.PI })])]);
    expect(flipped.aoe).toBeCloseTo(Math.PI, 9);
  });

  it("predictions without size or heading score scale and orientation error 1 (the devkit's all-NaN rule)", () => {
    const g = gtObject("car", 10, 0);
    const m = evaluateScenes([gtFrame(0n, [g])], [sceneState(0n, [sceneObject(g, 0.9, { size: null, yawRad: null })])]);
    expect(m.ase).toBe(1);
    expect(m.aoe).toBe(1);
    expect(m.ate).toBe(0);
    expect(m.apByClass.car).toBe(AP_PERFECT);
  });

  it("maps emergency vehicles to car by default, or to their own class", () => {
    const amb = gtObject("emergency_vehicle", 20, 0);
    const gt = [gtFrame(0n, [amb])];
    const asAmbulance = [sceneState(0n, [sceneObject(amb, 0.9)])];
    const asCar = [sceneState(0n, [sceneObject(amb, 0.9, { classification: "car" })])];
    expect(evaluateScenes(gt, asAmbulance).apByClass).toEqual({ car: AP_PERFECT });
    expect(evaluateScenes(gt, asCar).apByClass).toEqual({ car: AP_PERFECT });
    expect(evaluateScenes(gt, asAmbulance, { emergencyVehicle: "own" }).apByClass).toEqual({ emergency_vehicle: AP_PERFECT });
    expect(evaluateScenes(gt, asCar, { emergencyVehicle: "own" }).apByClass).toEqual({ emergency_vehicle: 0 });
    expect(evalClassOf("cyclist")).toBe("cyclist");
    expect(evalClassOf("static_clutter")).toBeNull();
    expect(evalClassOf("unknown")).toBeNull();
  });

  it("drops boxes at or beyond the class range (cars 50 m, pedestrians 40 m), GT and predictions alike", () => {
    const near = gtObject("car", 10, 0);
    const farCar = gtObject("car", 30, 40, { id: 2 }); // exactly 50 m: dropped (strict <)
    const farPed = gtObject("pedestrian", 45, 0, { id: 3 });
    const gt = [gtFrame(0n, [near, farCar, farPed])];
    // A far false positive is dropped too, so it cannot lower the AP.
    const fp = sceneObject(gtObject("car", 60, 0, { id: 4 }), 0.99);
    const scenes = [sceneState(0n, [sceneObject(near, 0.9), fp])];
    const m = evaluateScenes(gt, scenes);
    expect(m.classes).toEqual(["car"]);
    expect(m.apByClass.car).toBe(AP_PERFECT);
    expect(m.boxes.car).toEqual({ gt: 1, pred: 1, matched: 1 });
    const wider = evaluateScenes(gt, scenes, { classRangeM: { pedestrian: 60, car: 100 } });
    expect(wider.classes).toEqual(["car", "pedestrian"]);
    expect(wider.apByClass.pedestrian).toBe(0);
    expect(wider.boxes.car).toEqual({ gt: 2, pred: 2, matched: 1 });
  });

  it("scores GT frames without a scene state as misses (default) or skips them", () => {
    const { gt, scenes } = perfectRun([0n, 100n * MS, 200n * MS]);
    const m = evaluateScenes(gt, scenes.slice(0, 2), { classes: ["car"] });
    expect(m.frames.withoutScene).toBe(1);
    // Recall tops at 2/3: bins 11..66 of the grid have precision 1 -> AP = 56/90.
    expect(m.apByClass.car).toBeCloseTo(56 / 90, 12);
    const skipped = evaluateScenes(gt, scenes.slice(0, 2), { classes: ["car"], unmatchedFrames: "skip" });
    expect(skipped.apByClass.car).toBe(AP_PERFECT);
  });

  it("pairs by nearest stamp within the tolerance", () => {
    const { gt, scenes } = perfectRun([0n, 100n * MS, 200n * MS]);
    const shifted = scenes.map((s) => ({ ...s, stamp: s.stamp + 30n * MS }));
    expect(evaluateScenes(gt, shifted).frames.matched).toBe(3);
    expect(evaluateScenes(gt, shifted, { maxStampDeltaMs: 20 }).frames.withoutScene).toBe(3);
    // Ties go to the earlier candidate; unsorted candidates are fine.
    expect(nearestByStamp([50n, 0n, 260n, 1000n], [100n, 0n, 250n], 60n)).toEqual([1, 1, 2, -1]);
    const dup = pairFrames([gt[0]!, gt[0]!, gt[1]!], scenes, 50);
    expect(dup.duplicateStamps).toBe(1);
    expect(dup.pairs.map((p) => p.scene?.stamp)).toEqual([0n, 100n * MS]);
    expect(() => pairFrames(gt, scenes, -1)).toThrow(/maxStampDeltaMs -1: expected a number of milliseconds >= 0/);
  });

  it("ranks by existence, or by existence × class probability", () => {
    const g = gtObject("car", 10, 0);
    const tp = sceneObject(g, 0.3);
    const fp = sceneObject(gtObject("car", 25, 5, { id: 9 }), 0.9, { classProbabilities: { car: 0.1, truck: 0.9 } });
    const gt = [gtFrame(0n, [g])];
    const scenes = [sceneState(0n, [tp, fp])];
    // FP ranked first: precision rises linearly from 0 to 0.5 (the devkit gives 0.2).
    expect(evaluateScenes(gt, scenes).apByClass.car).toBeCloseTo(0.2, 12);
    // 0.9 * 0.1 < 0.3: the TP is ranked first; only bin 100 sees the FP.
    expect(evaluateScenes(gt, scenes, { score: "existenceTimesClass" }).apByClass.car).toBeCloseTo(0.9938271604938275, 12);
  });

  it("skips and counts objects with non-finite values instead of failing", () => {
    const g = gtObject("car", 10, 0);
    const bad = sceneObject(g, 0.9, { position: { x: NaN, y: 0, z: 0 } });
    const m = evaluateScenes([gtFrame(0n, [g])], [sceneState(0n, [bad, sceneObject(g, 0.8)])]);
    expect(m.frames.invalidObjects).toBe(1);
    expect(m.apByClass.car).toBe(AP_PERFECT);
  });

  it("with no evaluable class reports NaN, not 0", () => {
    const m = evaluateScenes([gtFrame(0n, [gtObject("static_clutter", 5, 0)])], [sceneState(0n, [])]);
    expect(m.classes).toEqual([]);
    expect(m.mAP).toBeNaN();
    expect(m.nds).toBeNaN();
    expect(() => evaluateScenes([], [], { classes: ["emergency_vehicle"] })).toThrow(
      /classes: "emergency_vehicle" is not evaluated with these options/,
    );
  });

  it("converts to devkit boxes: [w, l, h] sizes and a z-rotation quaternion", () => {
    const g = gtObject("truck", 1, 2, { yawRad: 1.2, size: { x: 8, y: 2.5, z: 3.5 } });
    const b = groundTruthBox(g, "7")!;
    expect(b.size).toEqual([2.5, 8, 3.5]);
    expect(quaternionYaw(b.rotation!)).toBeCloseTo(1.2, 12);
    expect(b.sample).toBe("7");
    const p = sceneObjectBox(sceneObject(g, 0.4, { size: { x: 0, y: 2, z: 1 } }), "7")!;
    expect(p.size).toBeNull();
    expect(p.score).toBe(0.4);
  });
});
