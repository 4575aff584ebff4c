/**
 * Every case of ../shared/data/peer-vectors/nuscenes_detection.json (nuscenes-devkit d9de17a):
 * AP, TP errors, argument checks, the NDS formula, TestAlgo.test_nd_score end to end, and the
 * utility assertions of test_utils.py. Compared with the devkit's own output (`reference_exact`)
 * at 1e-9 and with the test's target at the test's tolerance.
 */
import * as fs from "fs";
import * as path from "path";
import { accumulate, calcAp, calcTp, maxRecallInd, noPredictions } from "../src/eval/accumulate";
import { angleDiff, attrAcc, centerDistance, cummean, quaternionYaw, scaleIou, velocityL2, yawDiff } from "../src/eval/boxErrors";
import { combineMetrics, NUSCENES_DETECTION_CONFIG } from "../src/eval/evaluateDetections";
import { TP_METRICS, type EvalBox, type TpMetric } from "../src/eval/types";

const FILE = path.resolve(__dirname, "../../shared/data/peer-vectors/nuscenes_detection.json");
const present = fs.existsSync(FILE);
if (!present) console.warn(`skipping nuScenes devkit vectors: ${FILE} not found`);
const describeIf = present ? describe : describe.skip;

type JsonBox = {
  sample: string;
  translation: [number, number, number];
  size: [number, number, number];
  rotation: [number, number, number, number];
  velocity: [number, number];
  class: string;
  attribute: string;
  score?: number;
};
type Tolerance = { tolerance: number };
// The file is JSON with `null` for NaN; cases are read loosely and narrowed per kind.
type Case = Record<string, unknown> & { name: string; kind: string };
type UtilCase = { function: string; name: string; inputs: Record<string, unknown>; expected: unknown };

const data: { cases: Case[]; util_cases: UtilCase[] } = present ? JSON.parse(fs.readFileSync(FILE, "utf8")) : { cases: [], util_cases: [] };

function toBox(b: JsonBox): EvalBox {
  return {
    sample: b.sample,
    translation: b.translation,
    size: b.size,
    rotation: b.rotation,
    velocity: b.velocity,
    detectionName: b.class,
    attribute: b.attribute,
    score: b.score ?? -1,
  };
}
const nan = (v: number | null): number => (v === null ? NaN : v);

function expectClose(actual: number, expected: number | null, tol: number, what: string): void {
  if (expected === null) {
    expect({ what, actual }).toEqual({ what, actual: NaN });
    return;
  }
  if (Math.abs(actual - expected) > tol) throw new Error(`${what}: got ${actual}, expected ${expected} (±${tol})`);
}

const casesOf = (...kinds: string[]): Case[] => data.cases.filter((c) => kinds.includes(c.kind));

describeIf("nuScenes devkit vectors: accumulate + calc_ap / calc_tp", () => {
  it("has the 39 cases and 36 utility cases the README lists", () => {
    expect(data.cases.length).toBe(39);
    expect(data.util_cases.length).toBe(36);
    expect(casesOf("ap").length).toBe(17);
    expect(casesOf("tp").length).toBe(13);
    expect(casesOf("ap_and_tp").length).toBe(2);
  });

  const apCases = casesOf("ap", "ap_and_tp");
  it.each(apCases.map((c) => [c.name, c] as const))("AP %s", (_name, c) => {
    const md = accumulate((c.gt as JsonBox[]).map(toBox), (c.pred as JsonBox[]).map(toBox), c.class_name as string, c.dist_th as number);
    const ap = calcAp(md, c.min_recall as number, c.min_precision as number);
    const ref = c.reference_exact as { ap: number; precision_101: number[] };
    const exp = c.expected as Tolerance & { ap: number };
    expectClose(ap, ref.ap, 1e-9, `${c.name} AP vs devkit`);
    expectClose(ap, exp.ap, exp.tolerance, `${c.name} AP vs test target`);
    ref.precision_101.forEach((p, i) => expectClose(md.precision[i]!, p, 1e-12, `${c.name} precision[${i}]`));
  });

  const tpCases = casesOf("tp", "ap_and_tp");
  it.each(tpCases.map((c) => [c.name, c] as const))("TP errors %s", (_name, c) => {
    const md = accumulate((c.gt as JsonBox[]).map(toBox), (c.pred as JsonBox[]).map(toBox), c.class_name as string, c.dist_th as number);
    const ref = c.reference_exact as { tp_errors: Record<TpMetric, number>; max_recall_ind: number };
    const exp = c.expected as Tolerance & { tp_errors: Record<TpMetric, number> };
    expect(maxRecallInd(md)).toBe(ref.max_recall_ind);
    const metrics = Object.keys(exp.tp_errors) as TpMetric[];
    expect(metrics.length).toBeGreaterThan(0);
    for (const m of metrics) {
      const err = calcTp(md, c.min_recall as number, m);
      expectClose(err, ref.tp_errors[m], 1e-9, `${c.name} ${m} vs devkit`);
      expectClose(err, exp.tp_errors[m], exp.tolerance, `${c.name} ${m} vs test target`);
    }
  });

  it.each(casesOf("calc_ap_args").map((c) => [c.name, c] as const))("calc_ap rejects %s", (_name, c) => {
    expect(() => calcAp(noPredictions(), c.min_recall as number, c.min_precision as number)).toThrow(
      /calcAp: min(Recall|Precision) .* out of range, expected/,
    );
  });

  it("calcAp accepts the boundary arguments 0 <= minPrecision < 1, 0 <= minRecall <= 1", () => {
    expect(calcAp(noPredictions(), 0, 0)).toBe(0);
    expect(calcAp(noPredictions(), 0.9, 0.99)).toBe(0);
  });

  it.each(casesOf("calc_tp_direct").map((c) => [c.name, c] as const))("calc_tp %s", (_name, c) => {
    const md = noPredictions();
    const conf = (c.md as { confidence: number[] }).confidence;
    md.confidence.set(conf);
    for (const m of TP_METRICS) md.errors[m] = md.errors[m].map((_, i) => 0.37 * ((i * 7) % 11));
    const exp = c.expected as { tp_error: number };
    expect(maxRecallInd(md)).toBe(99);
    expect(calcTp(md, c.min_recall as number, c.metric_name as TpMetric)).toBe(exp.tp_error);
  });
});

describeIf("nuScenes devkit vectors: NDS", () => {
  it.each(casesOf("nd_score_formula").map((c) => [c.name, c] as const))("NDS formula %s", (_name, c) => {
    const classNames = c.class_names as string[];
    const labelAps = c.label_aps as Record<string, Record<string, number>>;
    const rawTp = c.label_tp_errors as Record<string, Record<TpMetric, number | null>>;
    const labelTp: Record<string, Record<TpMetric, number>> = {};
    for (const cls of classNames) {
      labelTp[cls] = {} as Record<TpMetric, number>;
      for (const m of TP_METRICS) labelTp[cls][m] = nan(rawTp[cls]![m]);
    }
    const out = combineMetrics(labelAps, labelTp, { classNames, meanApWeight: c.mean_ap_weight as number, tpMetrics: TP_METRICS });
    const ref = c.reference_exact as {
      mean_ap: number;
      tp_errors: Record<TpMetric, number>;
      tp_scores: Record<TpMetric, number>;
      nd_score: number;
    };
    const exp = c.expected as Tolerance & typeof ref;
    expectClose(out.meanAp, ref.mean_ap, 1e-12, "mean_ap vs devkit");
    expectClose(out.meanAp, exp.mean_ap, exp.tolerance, "mean_ap vs target");
    for (const m of TP_METRICS) {
      expectClose(out.tpErrors[m], ref.tp_errors[m], 1e-12, `tp_errors.${m}`);
      expectClose(out.tpScores[m], ref.tp_scores[m], 1e-12, `tp_scores.${m}`);
      expectClose(out.tpScores[m], exp.tp_scores[m], exp.tolerance, `tp_scores.${m} vs target`);
    }
    expectClose(out.ndScore, ref.nd_score, 1e-12, "nd_score vs devkit");
    expectClose(out.ndScore, exp.nd_score, exp.tolerance, "nd_score vs target");
  });

  const e2e = casesOf("nd_score_end_to_end");
  it.each(e2e.map((c) => [c.name, c] as const))("end to end %s (NDS 0.08606662159639042)", (_name, c) => {
    const gt = (c.gt as JsonBox[]).map(toBox);
    const pred = (c.pred as JsonBox[]).map(toBox);
    expect(gt.length).toBe(900);
    expect(pred.length).toBe(7500);
    const cfg = NUSCENES_DETECTION_CONFIG;
    const ref = c.reference_exact as {
      per_class: Record<string, { ap_at_dist_th_2: number; tp_errors: Record<TpMetric, number | null> }>;
      mean_ap: number;
      tp_errors: Record<TpMetric, number>;
      nd_score: number;
    };
    const labelAps: Record<string, Record<string, number>> = {};
    const labelTp: Record<string, Record<TpMetric, number>> = {};
    for (const cls of cfg.classNames) {
      // The test's quirk: accumulate at dist_th = 2 for every entry of dist_ths.
      const md = accumulate(gt, pred, cls, c.accumulate_dist_th as number, {
        orientPeriod: cfg.halfPeriodClasses.includes(cls) ? Math.PI : 2 * Math.PI,
      });
      const ap = calcAp(md, cfg.minRecall, cfg.minPrecision);
      expectClose(ap, ref.per_class[cls]!.ap_at_dist_th_2, 1e-9, `${cls} AP`);
      labelAps[cls] = {};
      for (const th of cfg.distThs) labelAps[cls][String(th)] = ap;
      labelTp[cls] = {} as Record<TpMetric, number>;
      const nanMetrics = cfg.nanTpMetrics[cls] ?? [];
      for (const m of TP_METRICS) {
        labelTp[cls][m] = nanMetrics.includes(m) ? NaN : calcTp(md, cfg.minRecall, m);
        expectClose(labelTp[cls][m], ref.per_class[cls]!.tp_errors[m], 1e-9, `${cls} ${m}`);
      }
    }
    const out = combineMetrics(labelAps, labelTp, cfg);
    expectClose(out.meanAp, ref.mean_ap, 1e-12, "mean_ap");
    for (const m of TP_METRICS) expectClose(out.tpErrors[m], ref.tp_errors[m], 1e-12, `tp_errors.${m}`);
    expect(out.ndScore).toBe((c.expected as { nd_score: number }).nd_score);
  });
});

describeIf("nuScenes devkit vectors: utilities (test_utils.py)", () => {
  const tol7 = 5e-8;
  it.each(data.util_cases.map((c) => [`${c.function} ${c.name}`, c] as const))("%s", (_name, c) => {
    const inp = c.inputs;
    const raises = typeof c.expected === "object" && c.expected !== null && "raises" in c.expected;
    switch (c.function) {
      case "scale_iou": {
        const run = (): number => scaleIou(inp.gt_size as number[], inp.pred_size as number[]);
        if (raises) expect(run).toThrow(/scaleIou: .* size \[.*\] must be three values > 0/);
        else expectClose(run(), c.expected as number, tol7, c.name);
        break;
      }
      case "yaw_diff": {
        const gtRot = inp.gt_rotation as [number, number, number, number];
        if (Array.isArray(inp.pred_yaws_rad)) {
          const yaws = inp.pred_yaws_rad as number[];
          const expected = c.expected as number[];
          expect(yaws.length).toBe(100);
          yaws.forEach((yaw, i) => {
            const q: [number, number, number, number] = [Math.cos(yaw / 2), 0, 0, Math.sin(yaw / 2)];
            expectClose(yawDiff(gtRot, q, inp.period as number), expected[i]!, tol7, `sweep[${i}] yaw ${yaw}`);
          });
        } else {
          expectClose(
            yawDiff(gtRot, inp.pred_rotation as [number, number, number, number], inp.period as number),
            c.expected as number,
            tol7,
            c.name,
          );
        }
        break;
      }
      case "angle_diff":
        expectClose(
          Math.abs(angleDiff(inp.x_rad as number, inp.y_rad as number, inp.period_rad as number)),
          c.expected as number,
          tol7,
          c.name,
        );
        break;
      case "center_distance":
        expectClose(
          centerDistance(
            { translation: inp.gt_translation as [number, number, number] },
            { translation: inp.pred_translation as [number, number, number] },
          ),
          c.expected as number,
          tol7,
          c.name,
        );
        break;
      case "velocity_l2":
        expectClose(
          velocityL2({ velocity: inp.gt_velocity as [number, number] }, { velocity: inp.pred_velocity as [number, number] }),
          c.expected as number,
          tol7,
          c.name,
        );
        break;
      case "cummean": {
        const out = cummean((inp.x as (number | null)[]).map(nan));
        const expected = c.expected as number[];
        expect(out.length).toBe(expected.length);
        expected.forEach((e, i) => expectClose(out[i]!, e, 1.5e-6, `${c.name}[${i}]`));
        break;
      }
      case "attr_acc":
        expectClose(attrAcc(inp.gt_attribute as string, inp.pred_attribute as string), c.expected as number | null, 1e-12, c.name);
        break;
      default:
        throw new Error(`unhandled util function ${c.function}`);
    }
  });

  it("quaternionYaw of the zero quaternion is 0 and of a z-rotation is its angle", () => {
    expect(quaternionYaw([0, 0, 0, 0])).toBe(0);
    expect(quaternionYaw([Math.cos(0.3), 0, 0, Math.sin(0.3)])).toBeCloseTo(0.6, 12);
  });
});
