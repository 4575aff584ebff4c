import { nodeModelFiles } from "../runtime/nodeModelFiles";
import { selectBackend } from "../runtime/selectBackend";
import type { CalibrationUpdate, RadarFrame } from "../types";
import { createSensorEncoders } from "./sensorEncoders";

type Transform = Extract<CalibrationUpdate, { kind: "transform" }>;

const radarFrame = (frameId: string, x: number): RadarFrame => ({
  kind: "radar",
  sensorId: "ars548",
  topic: "/radar",
  frameId,
  stamp: 1_000n,
  receivedAt: 1_000n,
  detections: [],
  objects: [
    {
      id: 1,
      ageMs: 500,
      position: { x, y: 0, z: 0 },
      positionStd: { x: 0.2, y: 0.2, z: 0.2 },
      velocity: { x: 0, y: 0, z: 0 },
      velocityStd: { x: 0.2, y: 0.2, z: 0.2 },
      acceleration: { x: 0, y: 0, z: 0 },
      yawRad: 0,
      yawStdRad: 0.1,
      length: 4.5,
      width: 1.8,
      height: 1.5,
      existenceProbability: 0.99,
      classification: "car",
      classProbabilities: { car: 0.9 },
      rcsDbsm: 10,
    },
  ],
});

describe("createSensorEncoders: mountings per sensor and coordinate frame", () => {
  beforeAll(async () => {
    await selectBackend({ backend: "cpu", log: () => undefined });
  });

  it("gives a sensor's vehicle-frame data the identity (no warning) and its own-frame data its /tf mounting, with one encoder each; warns only for frames nobody described", async () => {
    const mount: Transform = {
      kind: "transform",
      topic: "/tf",
      stamp: 0n,
      parentFrameId: "base_link",
      childFrameId: "ars548_link",
      translation: { x: 3.7, y: 0, z: 0.5 },
      rotation: { x: 0, y: 0, z: 0, w: 1 },
    };
    const warnings: string[] = [];
    const encoders = createSensorEncoders(
      { transforms: new Map([["ars548_link", mount]]), cameras: new Map() },
      { files: nodeModelFiles(), onWarning: (l) => warnings.push(l) },
    );
    try {
      const inVehicle = await encoders.forFrame(radarFrame("base_link", 20));
      const inSensor = await encoders.forFrame(radarFrame("ars548_link", 20));
      expect(inVehicle).not.toBe(inSensor);
      expect(await encoders.forFrame(radarFrame("base_link", 30))).toBe(inVehicle);
      expect(warnings).toEqual([]);
      // A frame nobody described still gets the default mounting, with the one-line warning.
      await encoders.forFrame(radarFrame("mystery", 20));
      expect(warnings).toEqual(['ars548: no transform for frame "mystery" in the recording; using the default mounting']);
    } finally {
      await encoders.dispose();
    }
  });
});
