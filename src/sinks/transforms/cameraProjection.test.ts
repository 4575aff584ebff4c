import type { CameraCalibration, FrameTransform, SceneObject, SceneState } from "../../types";
import { boxCorners, clipToImage, projectBox, projectPoint } from "./cameraProjection";
import { annotationTopic, imageBoxes, toImageAnnotations } from "./imageAnnotations";
import { compose, lookupTransform, rotate, toChild } from "./rigid";
import { createMountingTracker, egoTransform, ODOM_FRAME } from "./transformTree";

const CAL: CameraCalibration = {
  kind: "cameraCalibration",
  topic: "/cam/calibration",
  stamp: 0n,
  frameId: "cam_optical",
  width: 320,
  height: 192,
  distortionModel: "plumb_bob",
  D: [0, 0, 0, 0, 0],
  K: [100, 0, 160, 0, 100, 96, 0, 0, 1],
  R: [1, 0, 0, 0, 1, 0, 0, 0, 1],
  P: [100, 0, 160, 0, 0, 100, 96, 0, 0, 0, 1, 0],
};

/** base_link ← optical frame as the default recording mounts its camera: optical z = base x, x = −y, y = −z. */
const MOUNT: FrameTransform = {
  kind: "transform",
  topic: "/tf",
  stamp: 5n,
  parentFrameId: "base_link",
  childFrameId: "cam_optical",
  translation: { x: 1.8, y: 0, z: 1.45 },
  rotation: { x: -0.5, y: 0.5, z: -0.5, w: 0.5 },
};

function object(id: number, position: SceneObject["position"], size = { x: 2, y: 2, z: 2 }, yawRad = 0): SceneObject {
  return {
    id,
    classification: "car",
    classProbabilities: { car: 0.9 },
    position,
    velocity: { x: 0, y: 0, z: 0 },
    size,
    yawRad,
    positionCovariance: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    existence: 0.8,
    sensors: [],
    firstSeen: 0n,
  };
}

describe("projectPoint", () => {
  it("is the pinhole model with Foxglove's half-pixel origin", () => {
    // x' = 1/10, y' = 0.5/10: u = 100·0.1 + 160 + 0.5, v = 100·0.05 + 96 + 0.5
    const p = projectPoint({ x: 1, y: 0.5, z: 10 }, CAL)!;
    expect(p.x).toBeCloseTo(170.5, 9);
    expect(p.y).toBeCloseTo(101.5, 9);
  });

  it("applies plumb_bob distortion", () => {
    // r² = 0.0125, radial = 1 + 0.1 r² = 1.00125; p1 = 0.01: x += 2 p1 x y = 0.0001, y += p1 (r² + 2y²) = 0.000175
    const p = projectPoint({ x: 1, y: 0.5, z: 10 }, { ...CAL, D: [0.1, 0, 0.01, 0, 0] })!;
    expect(p.x).toBeCloseTo(160.5 + 100 * (0.1 * 1.00125 + 0.0001), 9);
    expect(p.y).toBeCloseTo(96.5 + 100 * (0.05 * 1.00125 + 0.000175), 9);
  });

  it("gives nothing for a point behind the camera, or without intrinsics", () => {
    expect(projectPoint({ x: 0, y: 0, z: -1 }, CAL)).toBeUndefined();
    expect(projectPoint({ x: 0, y: 0, z: 0.05 }, CAL)).toBeUndefined();
    expect(projectPoint({ x: 0, y: 0, z: 5 }, { ...CAL, K: new Array(9).fill(0), P: new Array(12).fill(0) })).toBeUndefined();
  });
});

describe("rigid transforms", () => {
  it("moves base_link points into the optical frame", () => {
    // 10 m ahead of the camera, at its height: on the optical axis.
    const p = toChild(MOUNT, { x: 11.8, y: 0, z: 1.45 });
    expect(p.x).toBeCloseTo(0, 12);
    expect(p.y).toBeCloseTo(0, 12);
    expect(p.z).toBeCloseTo(10, 12);
    // 1 m to the left of the car is −x in the image, 1 m up is −y.
    const q = toChild(MOUNT, { x: 11.8, y: 1, z: 2.45 });
    expect([q.x, q.y, q.z].map((v) => Math.round(v * 1e9) / 1e9)).toEqual([-1, -1, 10]);
  });

  it("looks transforms up through a chain and refuses a missing link", () => {
    const a: FrameTransform = {
      ...MOUNT,
      parentFrameId: "base_link",
      childFrameId: "roof",
      translation: { x: 1, y: 0, z: 2 },
      rotation: { x: 0, y: 0, z: Math.SQRT1_2, w: Math.SQRT1_2 },
    };
    const b: FrameTransform = {
      ...MOUNT,
      parentFrameId: "roof",
      childFrameId: "cam",
      translation: { x: 1, y: 0, z: 0 },
      rotation: { x: 0, y: 0, z: 0, w: 1 },
    };
    const transforms = new Map([
      ["roof", a],
      ["cam", b],
    ]);
    const tf = lookupTransform(transforms, "base_link", "cam")!;
    // roof is turned 90° left: its +x is base_link's +y, so cam sits at (1, 1, 2).
    expect(tf.translation.x).toBeCloseTo(1, 12);
    expect(tf.translation.y).toBeCloseTo(1, 12);
    expect(tf.translation.z).toBeCloseTo(2, 12);
    expect(compose(a, b).translation).toEqual(tf.translation);
    expect(rotate(tf.rotation, { x: 1, y: 0, z: 0 }).y).toBeCloseTo(1, 12);
    expect(lookupTransform(transforms, "base_link", "lidar")).toBeUndefined();
    expect(lookupTransform(new Map([["x", { ...a, childFrameId: "x", parentFrameId: "x" }]]), "base_link", "x")).toBeUndefined();
  });
});

describe("projectBox", () => {
  it("draws a box ahead as its 12 edges between the hand-computed corners", () => {
    // A 2 m cube 10 m ahead of the camera: its near face at z = 9 m, its far face at z = 11 m, ±1 m across.
    const segments = projectBox(object(1, { x: 11.8, y: 0, z: 1.45 }), MOUNT, CAL);
    expect(segments).toHaveLength(12);
    const expected = [9, 11].flatMap((z) =>
      [-1, 1].flatMap((sx) => [-1, 1].map((sy) => ({ x: 160.5 + (100 * sx) / z, y: 96.5 + (100 * sy) / z }))),
    );
    for (const p of segments.flat()) {
      const near = expected.some((e) => Math.abs(e.x - p.x) < 1e-9 && Math.abs(e.y - p.y) < 1e-9);
      expect(near).toBe(true);
    }
    expect(Math.min(...segments.flat().map((p) => p.x))).toBeCloseTo(160.5 - 100 / 9, 9);
    expect(boxCorners(object(1, { x: 0, y: 0, z: 0 }))).toHaveLength(8);
  });

  it("skips a box behind the camera and cuts one across the image edge or the camera", () => {
    expect(projectBox(object(1, { x: -10, y: 0, z: 1.45 }), MOUNT, CAL)).toEqual([]);
    // Far to the left: outside the image.
    expect(projectBox(object(2, { x: 11.8, y: 30, z: 1.45 }), MOUNT, CAL)).toEqual([]);
    // Straddling the left image edge, and one around the camera itself (edges cut at the near plane).
    for (const o of [
      object(3, { x: 11.8, y: 16.5, z: 1.45 }, { x: 2, y: 4, z: 2 }),
      object(4, { x: 1.8, y: 0, z: 1.45 }, { x: 6, y: 3, z: 3 }),
    ]) {
      const segments = projectBox(o, MOUNT, CAL);
      expect(segments.length).toBeGreaterThan(0);
      for (const p of segments.flat()) {
        expect(p.x).toBeGreaterThanOrEqual(0);
        expect(p.x).toBeLessThanOrEqual(320);
        expect(p.y).toBeGreaterThanOrEqual(0);
        expect(p.y).toBeLessThanOrEqual(192);
      }
    }
    expect(
      Math.min(
        ...projectBox(object(3, { x: 11.8, y: 16.5, z: 1.45 }, { x: 2, y: 4, z: 2 }), MOUNT, CAL)
          .flat()
          .map((p) => p.x),
      ),
    ).toBe(0);
  });

  it("clips segments to the image (Liang–Barsky)", () => {
    expect(clipToImage({ x: -10, y: 10 }, { x: 10, y: 10 }, 320, 192)).toEqual([
      { x: 0, y: 10 },
      { x: 10, y: 10 },
    ]);
    expect(clipToImage({ x: -10, y: -10 }, { x: -1, y: 300 }, 320, 192)).toBeUndefined();
  });

  it("bends edges with distortion and keeps them in the image", () => {
    const distorted = { ...CAL, D: [-0.3, 0.1, 0, 0, 0] };
    const segments = projectBox(object(1, { x: 11.8, y: 0, z: 1.45 }), MOUNT, distorted);
    expect(segments).toHaveLength(12 * 8);
  });
});

describe("image annotations", () => {
  const scene: SceneState = {
    stamp: 2_000_000_000n,
    tick: 0,
    frameId: "base_link",
    objects: [object(7, { x: 11.8, y: 0, z: 1.45 }), object(8, { x: -10, y: 0, z: 0 })],
    hazards: [],
    health: { sensors: [], degradation: "NOMINAL", recommendedFallback: "none", degradationReason: "", visibilityM: null, syncSkewMs: 0 },
    latencyMs: {},
  };
  const image = { topic: "/cam/image", frameId: "cam_optical", stamp: 1_999_000_000n };

  it("projects the boxes of a scene into a camera image, with a label per visible box, at the image's stamp", () => {
    const context = { transforms: new Map([["cam_optical", MOUNT]]), cameras: new Map([["cam_optical", CAL]]), images: [image] };
    const boxes = imageBoxes(scene, image, context)!;
    expect(boxes.map((b) => b.objectId)).toEqual([7]);
    const msg = toImageAnnotations(boxes, image, scene) as {
      timestamp: { seconds: number; nanos: number };
      points: { type: number; points: unknown[] }[];
      texts: { text: string; position: { x: number; y: number } }[];
    };
    expect(msg.timestamp).toEqual({ seconds: 1, nanos: 999_000_000 });
    expect(msg.points[0]!.type).toBe(4);
    expect(msg.points[0]!.points).toHaveLength(24);
    expect(msg.texts[0]!.text).toBe("#7 car");
    expect(msg.texts[0]!.position.x).toBeCloseTo(160.5 - 100 / 9, 9);
    expect(annotationTopic("/cam/image")).toBe("/cam/image/annotations");
  });

  it("draws nothing without the camera's calibration or mounting", () => {
    expect(imageBoxes(scene, image, { transforms: new Map(), cameras: new Map([["cam_optical", CAL]]), images: [image] })).toBeUndefined();
    expect(
      imageBoxes(scene, image, { transforms: new Map([["cam_optical", MOUNT]]), cameras: new Map(), images: [image] }),
    ).toBeUndefined();
  });
});

describe("the transform tree", () => {
  it("writes the mountings once, again when one changes, with a stamp at or before the tick", () => {
    const track = createMountingTracker();
    const context = (t: FrameTransform) => ({ transforms: new Map([[t.childFrameId, t]]), cameras: new Map(), images: [] });
    expect(track.changed(undefined, 10n)).toEqual([]);
    const first = track.changed(context({ ...MOUNT, stamp: 50n }), 10n);
    expect(first.map((t) => [t.parentFrameId, t.childFrameId, t.stamp])).toEqual([["base_link", "cam_optical", 10n]]);
    expect(track.changed(context({ ...MOUNT, stamp: 60n }), 20n)).toEqual([]);
    const moved = track.changed(context({ ...MOUNT, translation: { x: 2, y: 0, z: 1.45 } }), 30n);
    expect(moved[0]!.translation.x).toBe(2);
    expect(moved[0]!.stamp).toBe(5n);
  });

  it("puts the ego frame under odom at every tick", () => {
    const t = egoTransform({ stamp: 42n, frameId: "base_link" } as SceneState);
    expect(t).toEqual({
      stamp: 42n,
      parentFrameId: ODOM_FRAME,
      childFrameId: "base_link",
      translation: { x: 0, y: 0, z: 0 },
      rotation: { x: 0, y: 0, z: 0, w: 1 },
    });
  });
});
