import fc from "fast-check";
import { accumulate, calcAp, calcTp } from "./accumulate";
import { TP_METRICS, type EvalBox } from "./types";

const coord = fc.integer({ min: -40, max: 40 }).map((v) => v / 4);
const boxArb = (samples: string[], withScore: boolean) =>
  fc.record({
    sample: fc.constantFrom(...samples),
    x: coord,
    y: coord,
    cls: fc.constantFrom("car", "pedestrian"),
    score: withScore ? fc.integer({ min: 1, max: 1000 }).map((v) => v / 1000) : fc.constant(-1),
  });
const toBox = (b: { sample: string; x: number; y: number; cls: string; score: number }): EvalBox => ({
  sample: b.sample,
  translation: [b.x, b.y, 0],
  size: [1, 2, 1.5],
  rotation: [1, 0, 0, 0],
  velocity: [0, 0],
  detectionName: b.cls,
  attribute: "",
  score: b.score,
});
const SAMPLES = ["a", "b", "c"];

describe("accumulate / calcAp properties", () => {
  it("AP lies in [0, 1] and TP errors are >= 0 for any input", () => {
    fc.assert(
      fc.property(
        fc.array(boxArb(SAMPLES, false), { maxLength: 12 }),
        fc.array(boxArb(SAMPLES, true), { maxLength: 20 }),
        fc.constantFrom(0.5, 1, 2, 4),
        (g, p, th) => {
          const md = accumulate(g.map(toBox), p.map(toBox), "car", th);
          const ap = calcAp(md, 0.1, 0.1);
          expect(ap).toBeGreaterThanOrEqual(0);
          expect(ap).toBeLessThanOrEqual(1 + 1e-12);
          for (const m of TP_METRICS.filter((m) => m !== "attr_err")) expect(calcTp(md, 0.1, m)).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 300, seed: 11 },
    );
  });

  it("with distinct scores the order of the prediction list does not matter", () => {
    fc.assert(
      fc.property(
        fc.array(boxArb(SAMPLES, false), { maxLength: 10 }),
        fc.uniqueArray(boxArb(SAMPLES, true), { maxLength: 15, selector: (b) => b.score }),
        (g, p) => {
          const a = accumulate(g.map(toBox), p.map(toBox), "car", 2);
          const b = accumulate(g.map(toBox), [...p].reverse().map(toBox), "car", 2);
          expect(Array.from(b.precision)).toEqual(Array.from(a.precision));
          expect(Array.from(b.errors.trans_err)).toEqual(Array.from(a.errors.trans_err));
        },
      ),
      { numRuns: 200, seed: 12 },
    );
  });

  it("predicting every GT box exactly gives AP 1 and zero translation error", () => {
    fc.assert(
      fc.property(fc.array(boxArb(SAMPLES, false), { minLength: 1, maxLength: 12 }), (g) => {
        const gt = g.map((b) => toBox({ ...b, cls: "car" }));
        const pred = gt.map((b, i) => ({ ...b, score: 1 - i / 100 }));
        const md = accumulate(gt, pred, "car", 0.5);
        expect(calcAp(md, 0.1, 0.1)).toBeCloseTo(1, 12);
        expect(calcTp(md, 0.1, "trans_err")).toBe(0);
      }),
      { numRuns: 200, seed: 13 },
    );
  });
});
