import { SeededRandom } from "../encoders/common/seededRandom";
import { foldFrontBack } from "./audio/audioLabels";
import { balancedBatches, datasetFrom } from "./fit";
import { argmaxRows, classificationMetrics, median } from "./metrics";

describe("training metrics and sampling", () => {
  it("accuracy, balanced accuracy and the confusion matrix", () => {
    const m = classificationMetrics([0, 0, 0, 1, 2, 2], [0, 0, 1, 1, 2, 0], ["a", "b", "c"]);
    expect(m.accuracy).toBeCloseTo(4 / 6, 4);
    expect(m.balancedAccuracy).toBeCloseTo((2 / 3 + 1 + 1 / 2) / 3, 4);
    expect(m.confusion).toEqual([
      [2, 1, 0],
      [0, 1, 0],
      [1, 0, 1],
    ]);
    expect(m.perClassPrecision.a).toBeCloseTo(2 / 3, 4);
    expect(argmaxRows(Float32Array.from([0.1, 0.7, 0.2, 0.5, 0.2, 0.3]), 3)).toEqual(Int32Array.from([1, 0]));
    expect(median([3, 1, 2, 10])).toBe(2.5);
  });

  it("balanced batches draw every class about equally and repeat from the seed", () => {
    const labels = [...new Array<number>(990).fill(0), ...new Array<number>(10).fill(1)];
    const ds = datasetFrom(
      labels.map((l) => Float32Array.of(l)),
      labels,
      [1],
    );
    const a = balancedBatches(ds, { batchSize: 200, numClasses: 2, naturalFraction: 0 }, 5, new SeededRandom(3));
    const b = balancedBatches(ds, { batchSize: 200, numClasses: 2, naturalFraction: 0 }, 5, new SeededRandom(3));
    expect(a).toEqual(b);
    const ones = a.flatMap((idx) => Array.from(idx)).filter((i) => labels[i] === 1).length;
    expect(ones / 1000).toBeGreaterThan(0.4);
    expect(ones / 1000).toBeLessThan(0.6);
  });

  it("folds bearings onto the front half-plane", () => {
    expect(foldFrontBack((170 * Math.PI) / 180)).toBeCloseTo((10 * Math.PI) / 180, 12);
    expect(foldFrontBack((-100 * Math.PI) / 180)).toBeCloseTo((-80 * Math.PI) / 180, 12);
    expect(foldFrontBack(0.5)).toBeCloseTo(0.5, 12);
  });
});
