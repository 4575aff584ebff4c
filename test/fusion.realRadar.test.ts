/**
 * Real Continental ARS548 output (decoded by TIER IV nebula, ../shared/data) through the tracker:
 * the detection list (308 detections with range rate) and the object list (50 radar tracks with
 * over-ground velocity) taken 3 ms apart are fused as two sensors of one tick.
 */
import fs from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { MultiSensorTracker } from "../src/fusion/MultiSensorTracker";
import { polarDetection } from "../src/fusion/polarDetection";
import type { Detection, EvidenceBundle, SensorEvidence } from "../src/types";

const dir = path.resolve(__dirname, "../../shared/data/recordings-external/nebula-original/continental-ars548");
const present = fs.existsSync(dir);
if (!present) console.warn(`skipping real radar fusion test: ${dir} not found (shared data absent)`);
const maybe = present ? describe : describe.skip;

type YamlDetection = {
  azimuth_angle: number;
  azimuth_angle_std: number;
  elevation_angle: number;
  elevation_angle_std: number;
  range: number;
  range_std: number;
  range_rate: number;
  range_rate_std: number;
  invalid_distance: boolean;
  invalid_azimuth: boolean;
  invalid_range_rate: boolean;
  raw_positive_predictive_value: number;
};

// Read inside the tests, not in the describe body: jest runs a skipped describe's body too.
function readScan() {
  const detYaml = parse(fs.readFileSync(path.join(dir, "1708578204_202447652_detection.yaml"), "utf8"));
  const objYaml = parse(fs.readFileSync(path.join(dir, "1708578204_199326753_object.yaml"), "utf8"));
  const mount = { x: detYaml.origin_pos.x, y: detYaml.origin_pos.y, z: detYaml.origin_pos.z, yawRad: detYaml.origin_yaw };
  const stamp = BigInt(detYaml.header.stamp.sec) * 1_000_000_000n + BigInt(detYaml.header.stamp.nanosec);

  const detections: Detection[] = (detYaml.detections as YamlDetection[])
    .filter((d) => !d.invalid_distance && !d.invalid_azimuth && !d.invalid_range_rate)
    .map((d) =>
      polarDetection(
        {
          rangeM: d.range,
          azimuthRad: d.azimuth_angle,
          rangeStdM: d.range_std,
          azimuthStdRad: d.azimuth_angle_std,
          elevationRad: d.elevation_angle,
          elevationStdRad: d.elevation_angle_std,
          rangeRateMps: d.range_rate,
          rangeRateStdMps: d.range_rate_std,
          score: d.raw_positive_predictive_value / 100,
        },
        mount,
      ),
    );
  const evidence = (sensorId: string, dets: Detection[]): SensorEvidence => ({
    sensorId,
    kind: "radar",
    stamp,
    detections: dets,
    quality: 1,
    encoder: { name: "nebula-yaml", modelVersion: "0", backend: "none" },
    timingMs: {},
  });
  return { detYaml, objYaml, stamp, detections, evidence };
}

maybe("fusion on real ARS548 radar output", () => {
  it("accepts every valid real detection and keeps its range rate in the provenance", () => {
    const { stamp, detections, evidence } = readScan();
    // The ARS548 sees up to 300 m; keep all of it.
    const tracker = new MultiSensorTracker({ maxRangeM: 400 });
    const bundle: EvidenceBundle = { stamp, tick: 0, evidence: [evidence("ars548_detections", detections)], sync: [] };
    const out = tracker.step(bundle);
    expect(detections.length).toBeGreaterThan(250);
    expect(out.diagnostics.rejectedDetections).toBe(0);
    expect(out.diagnostics.sensors[0]!.births).toBe(detections.length);
    // One sensor: no clustering across sensors, so every detection starts its own tentative track.
    expect(out.tracks).toHaveLength(detections.length);
    const withRate = out.tracks.filter((t) => t.sensors[0]!.rangeRateMps !== undefined);
    expect(withRate).toHaveLength(detections.length);
    for (const t of out.tracks) expect(t.status).toBe("tentative");
  });

  it("clusters object-list tracks with the detections they came from", () => {
    const { stamp, detections, evidence, objYaml } = readScan();
    type YamlObject = {
      position: { x: number; y: number; z: number };
      position_std: { x: number; y: number; z: number };
      absolute_velocity: { x: number; y: number; z: number };
      absolute_velocity_std: { x: number; y: number; z: number };
      raw_existence_probability: number;
      raw_classification_car: number;
      raw_classification_truck: number;
      raw_classification_motorcycle: number;
      raw_classification_bicycle: number;
      raw_classification_pedestrian: number;
    };
    const objects: Detection[] = (objYaml.objects as YamlObject[]).map((o) => ({
      // The object list is already in the vehicle frame (it lines up with the detections without
      // the mount offset, which the detections, in sensor polar coordinates, need).
      position: o.position,
      positionCovariance: [Math.max(o.position_std.x, 0.1) ** 2, 0, 0, Math.max(o.position_std.y, 0.1) ** 2],
      velocity: {
        value: o.absolute_velocity,
        covariance: [Math.max(o.absolute_velocity_std.x, 0.1) ** 2, 0, 0, Math.max(o.absolute_velocity_std.y, 0.1) ** 2],
        reference: "ground",
      },
      // The unit's percentages; animal / hazard / unknown stay unassigned (no opinion).
      classProbabilities: {
        car: o.raw_classification_car / 100,
        truck: o.raw_classification_truck / 100,
        motorcycle: o.raw_classification_motorcycle / 100,
        cyclist: o.raw_classification_bicycle / 100,
        pedestrian: o.raw_classification_pedestrian / 100,
      },
      score: o.raw_existence_probability / 100,
    }));
    const tracker = new MultiSensorTracker({ maxRangeM: 400 });
    const out = tracker.step({
      stamp,
      tick: 0,
      evidence: [evidence("ars548_detections", detections), evidence("ars548_objects", objects)],
      sync: [],
    });
    expect(out.diagnostics.rejectedDetections).toBe(0);
    const both = out.tracks.filter((t) => t.sensors.length === 2);
    // Most radar objects are backed by a detection of the same scan within the gate.
    expect(both.length).toBeGreaterThan(objects.length / 2);
    for (const t of both) expect(t.sensors.map((s) => s.sensorId)).toEqual(["ars548_detections", "ars548_objects"]);
    expect(out.tracks).toHaveLength(detections.length + objects.length - both.length);
  });
});
