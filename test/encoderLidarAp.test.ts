import * as fs from "node:fs";
import * as path from "node:path";
import { centreDistanceAp, type ApSample } from "../src/train/lidar/centreDistanceAp";

/*
 * The centre-distance AP used for the camera and LiDAR held-out figures, against the nuScenes
 * devkit's own numbers (../shared/data/peer-vectors/nuscenes_detection.json, `ap` cases).
 */

type Box = { sample: string; translation: number[]; class: string; score?: number };
type Case = {
  name: string;
  kind: string;
  gt: Box[];
  pred: Box[];
  class_name: string;
  dist_th: number;
  min_recall: number;
  min_precision: number;
  reference_exact: { ap: number; precision_101?: number[] };
};

const file = path.resolve(__dirname, "../../shared/data/peer-vectors/nuscenes_detection.json");
const present = fs.existsSync(file);
if (!present) console.warn(`encoderLidarAp.test: ${file} absent; devkit comparison skipped`);
const cases: Case[] = present
  ? (JSON.parse(fs.readFileSync(file, "utf8")) as { cases: Case[] }).cases.filter((c) => c.kind === "ap" || c.kind === "ap_and_tp")
  : [];

function samplesOf(c: Case): ApSample[] {
  const names: string[] = [];
  for (const b of [...c.gt, ...c.pred]) if (!names.includes(b.sample)) names.push(b.sample);
  return names.map((n) => ({
    gt: c.gt.filter((b) => b.sample === n && b.class === c.class_name).map((b) => ({ x: b.translation[0]!, y: b.translation[1]! })),
    pred: c.pred
      .filter((b) => b.sample === n && b.class === c.class_name)
      .map((b) => ({ x: b.translation[0]!, y: b.translation[1]!, score: b.score ?? 0 })),
  }));
}

(present ? describe : describe.skip)("centreDistanceAp matches the nuScenes devkit", () => {
  test("the vector file has the AP cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(17);
  });
  test.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const r = centreDistanceAp(samplesOf(c), { distTh: c.dist_th, minRecall: c.min_recall, minPrecision: c.min_precision });
    expect(r.ap).toBeCloseTo(c.reference_exact.ap, 9);
    if (c.reference_exact.precision_101) {
      r.precision.forEach((p, i) => expect(p).toBeCloseTo(c.reference_exact.precision_101![i]!, 9));
    }
  });
});

test("ignore boxes drop predictions instead of counting them as false positives", () => {
  const base: ApSample = {
    gt: [{ x: 0, y: 0 }],
    pred: [
      { x: 10, y: 0, score: 0.9 },
      { x: 0.5, y: 0, score: 0.5 },
    ],
  };
  // FP ranked first: precision 0.5·recall, so AP = mean over bins 11..100 of max(0, 0.5·r − 0.1) / 0.9 = 0.2.
  expect(centreDistanceAp([base]).ap).toBeCloseTo(0.2, 9);
  expect(centreDistanceAp([base]).fp).toBe(1);
  const ignored = centreDistanceAp([{ ...base, ignore: [{ x: 10.5, y: 0 }] }]);
  expect(ignored.fp).toBe(0);
  expect(ignored.ap).toBeCloseTo(1, 9);
});
