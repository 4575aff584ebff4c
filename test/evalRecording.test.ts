/**
 * The evaluation on the ground truth decoded from the shipped recording (recordings/default.mcap):
 * ground truth replayed as a perfect "scene" scores AP 1 per class present, and a known
 * perturbation moves each metric by the amount it should.
 */
import * as fs from "fs";
import * as path from "path";
import { firstValueFrom, toArray } from "rxjs";
import { decodeFrames } from "../src/decode";
import { buildEvalReport, evaluateScenes, evaluateSiren, resultEntry } from "../src/eval";
import { FileReadable, readRecording } from "../src/sources/mcap";
import type { GroundTruthFrame } from "../src/types";
import type { SceneObject, SceneState } from "../src/types/scene";

const FILE = path.resolve(__dirname, "../recordings/default.mcap");
const present = fs.existsSync(FILE);
if (!present) console.warn(`skipping: ${FILE} not found`);
const describeIf = present ? describe : describe.skip;

function asScene(f: GroundTruthFrame, perturb: (o: SceneObject, i: number) => SceneObject = (o) => o): SceneState {
  const objects = f.objects.map((o, i) =>
    perturb(
      {
        id: o.id,
        classification: o.classification,
        classProbabilities: { [o.classification]: 1 },
        position: { ...o.position },
        velocity: { ...o.velocity },
        size: { ...o.size },
        yawRad: o.yawRad,
        positionCovariance: [1, 0, 0, 0, 1, 0, 0, 0, 1],
        existence: 0.5 + (0.4 * ((o.id * 7919) % 100)) / 100,
        sensors: [],
        firstSeen: f.stamp,
      },
      i,
    ),
  );
  const hazards: SceneState["hazards"] = f.sirenActive
    ? [
        {
          kind: "siren",
          probability: 0.9,
          bearingRad: Math.PI - f.sirenBearingRad,
          mirroredBearingRad: f.sirenBearingRad,
          bearingConfidence: 1,
          firstHeard: f.stamp,
          lastHeard: f.stamp,
        },
      ]
    : [];
  return {
    stamp: f.stamp,
    tick: 0,
    frameId: f.frameId,
    objects,
    hazards,
    health: {
      sensors: [],
      degradation: "NOMINAL",
      recommendedFallback: "none",
      degradationReason: "test",
      visibilityM: null,
      syncSkewMs: 0,
    },
    latencyMs: {},
  };
}

describeIf("evaluation on recordings/default.mcap ground truth", () => {
  let gt: GroundTruthFrame[];
  beforeAll(async () => {
    const source = await FileReadable.open(FILE);
    try {
      const decoded = await firstValueFrom(readRecording(source, { topics: ["/ground_truth"] }).pipe(decodeFrames(), toArray()));
      gt = decoded.filter((m): m is GroundTruthFrame => m.kind === "groundTruth");
    } finally {
      await source.close?.();
    }
  });

  it("decodes ground-truth frames with evaluable objects", () => {
    expect(gt.length).toBeGreaterThan(10);
    expect(
      gt.some((f) =>
        f.objects.some((o) => ["car", "truck", "pedestrian", "cyclist", "motorcycle", "emergency_vehicle"].includes(o.classification)),
      ),
    ).toBe(true);
  });

  it("ground truth as the prediction scores AP 1 for every class present and zero errors", () => {
    const m = evaluateScenes(
      gt,
      gt.map((f) => asScene(f)),
    );
    expect(m.classes.length).toBeGreaterThan(0);
    for (const c of m.classes) expect(m.apByClass[c]).toBeCloseTo(1, 12);
    expect(m.ate).toBe(0);
    expect(m.ave).toBe(0);
    expect(m.frames.withoutScene).toBe(0);
  });

  it("a 0.75 m lateral shift fails the 0.5 m threshold only and gives ATE 0.75 m", () => {
    const m = evaluateScenes(
      gt,
      gt.map((f) => asScene(f, (o) => ({ ...o, position: { ...o.position, y: o.position.y + 0.75 } }))),
    );
    for (const c of m.classes) {
      expect(m.apByClassAndThreshold[c]!["0.5"]).toBe(0);
      expect(m.apByClassAndThreshold[c]!["1"]).toBeCloseTo(1, 12);
      expect(m.apByClass[c]).toBeCloseTo(0.75, 12);
    }
    expect(m.ate).toBeCloseTo(0.75, 12);
  });

  it("siren: the mirrored bearing is counted as correct; the report holds the issue's JSON keys", () => {
    const scenes = gt.map((f) => asScene(f));
    const s = evaluateSiren(gt, scenes);
    const active = gt.filter((f) => f.sirenActive).length;
    expect(s.truePositives).toBe(active);
    expect(s.falsePositives).toBe(0);
    if (active > 0) {
      expect(s.recall).toBe(1);
      expect(s.medianBearingErrorDeg).toBeCloseTo(0, 9);
    }
    const report = buildEvalReport(
      [resultEntry({ recording: "default.mcap", condition: "clear", pipeline: "fused" }, evaluateScenes(gt, scenes))],
      s,
    );
    const json = JSON.parse(JSON.stringify(report));
    expect(Object.keys(json.results[0])).toEqual(
      expect.arrayContaining(["recording", "condition", "pipeline", "mAP", "apByClass", "ate", "ave"]),
    );
    expect(Object.keys(json.siren)).toEqual(expect.arrayContaining(["precision", "recall", "medianBearingErrorDeg"]));
  });
});
