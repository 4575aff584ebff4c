import { linspace01, npInterp, npMean, npNanMean, npSum, pyMod, pyRound } from "./numpyMath";

// Expected values printed by numpy 2.4.6 for a = [0.1*((i*37)%101) + 1e-3*i + 1/3 for i in range(n)].
const arr = (n: number): number[] => Array.from({ length: n }, (_, i) => 0.1 * ((i * 37) % 101) + 1e-3 * i + 1 / 3);

describe("numpy float64 semantics", () => {
  it.each([
    [5, 18.476666666666667, 3.695333333333333],
    [13, 60.71133333333333, 4.670102564102564],
    [90, 480.20500000000004, 5.3356111111111115],
    [128, 682.8946666666667, 5.3351145833333335],
    [129, 692.3560000000001, 5.3671007751938],
    [300, 1641.6500000000003, 5.472166666666667],
    [1000, 5833.833333333334, 5.833833333333334],
  ])("pairwise sum and mean of %i values equal numpy's bit for bit", (n, sum, mean) => {
    expect(npSum(arr(n))).toBe(sum);
    expect(npMean(arr(n))).toBe(mean);
  });

  it("differs from a sequential sum where numpy does (n = 90: 480.2049999999999 sequentially)", () => {
    let seq = 0;
    for (const v of arr(90)) seq += v;
    expect(seq).toBe(480.2049999999999);
    expect(npSum(arr(90))).not.toBe(seq);
  });

  it("nanmean skips NaN in sum and count", () => {
    expect(npNanMean([1.0, NaN, 0.3, 0.7, NaN, 0.1, 0.2, 0.9, 0.4, 0.6, 0.11])).toBe(0.4788888888888889);
    expect(npNanMean([NaN, NaN])).toBeNaN();
    expect(npMean([])).toBeNaN();
  });

  it("linspace(0, 1, 101) is i*0.01, not i/100", () => {
    const g = linspace01(101);
    expect(g[35]).toBe(0.35000000000000003);
    expect(g[41]).toBe(0.41000000000000003);
    expect(g[70]).toBe(0.7000000000000001);
    expect(g[100]).toBe(1);
    expect(g[0]).toBe(0);
  });

  it("interp: left = first value, right as given, last duplicate wins, linear in between", () => {
    expect(Array.from(npInterp([0.5, 0.25, 1.0, 1.2, -1, 0.75], [0, 0.5, 0.5, 1.0], [1.0, 0.8, 0.4, 0.2], undefined, 0))).toEqual([
      0.4, 0.9, 0.2, 0, 1, 0.30000000000000004,
    ]);
    expect(Array.from(npInterp([2, 1, 3], [2], [5]))).toEqual([5, 5, 5]);
    expect(() => npInterp([1], [], [])).toThrow(/xp is empty/);
    expect(() => npInterp([1], [0, 1], [1])).toThrow(/fp has 1 values, expected 2/);
  });

  it("Python round (half to even) and float modulo (sign of the divisor)", () => {
    expect([pyRound(0.5), pyRound(1.5), pyRound(2.5), pyRound(100 * 0.1), pyRound(100 * 0.35), pyRound(-0.5), pyRound(-1.5)]).toEqual([
      0, 2, 2, 10, 35, 0, -2,
    ]);
    expect(pyMod(-7.5, 2)).toBe(0.5);
    expect(pyMod(7.5, -2)).toBe(-0.5);
    expect(pyMod(4, 2)).toBe(0);
  });
});
