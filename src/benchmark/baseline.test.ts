import { BadInputError } from "../types/errors";
import { compareToBaseline, formatComparison, parseBaseline, ratio } from "./baseline";
import { buildReport } from "./report";
import { SAMPLE_MACHINE, sampleResult } from "./testing/sampleResult";

const report = (scale: number, names = ["nominal", "live"], machine = SAMPLE_MACHINE) =>
  buildReport(
    names.map((n) => sampleResult(n, scale, n === "live" ? "realtime" : "lossless")),
    { backend: "wasm", fusionHead: "none", machine, durationS: 10, createdAt: "2026-01-01T00:00:00.000Z" },
  );

describe("ratio", () => {
  it("is current / baseline, 1 when both are 0, null when only the baseline is 0", () => {
    expect(ratio(30, 20)).toBe(1.5);
    expect(ratio(1, 3)).toBe(0.333);
    expect(ratio(0, 0)).toBe(1);
    expect(ratio(5, 0)).toBeNull();
    expect(ratio(0, 5)).toBe(0);
  });
});

describe("compareToBaseline", () => {
  it("gives every e2e figure, stage p50/p99, real-time factor and memory of the shared scenarios as ratios", () => {
    const baseline = parseBaseline(JSON.stringify(report(1)), "base.json");
    // Twice as slow: every latency doubles, the real-time factor halves, memory doubles; no dropout in the baseline.
    const rows = compareToBaseline(report(2, ["nominal", "live", "dropout"]), baseline);
    expect(new Set(rows.map((r) => r.scenario))).toEqual(new Set(["nominal", "live"]));
    const nominal = Object.fromEntries(rows.filter((r) => r.scenario === "nominal").map((r) => [r.metric, r]));
    expect(nominal["e2e.p50Ms"]!.ratio).toBeCloseTo(2, 2);
    expect(nominal["e2e.p99Ms"]!.ratio).toBeCloseTo(2, 2);
    expect(nominal["e2e.maxMs"]!).toMatchObject({ current: 200, baseline: 100, ratio: 2 });
    // Samples 20..200 vs 10..100: above 100 ms 5 vs 0 → no ratio.
    expect(nominal["e2e.missed100ms"]).toMatchObject({ current: 5, baseline: 0, ratio: null });
    expect(nominal["stages.encode.p50Ms"]!.ratio).toBeCloseTo(2, 2);
    expect(nominal["stages.encode.cam_front.p99Ms"]!.ratio).toBeCloseTo(2, 2);
    expect(nominal["realtimeFactor"]).toMatchObject({ current: 1, baseline: 2, ratio: 0.5, better: "higher" });
    expect(nominal["peakRssMb"]).toMatchObject({ ratio: 2, better: "lower" });
    expect(rows.filter((r) => r.scenario === "nominal")).toHaveLength(5 + 8 * 2 + 2);
  });

  it("prints ratios with better/worse, and warns when the baseline ran elsewhere", () => {
    const base = report(1, ["nominal"], { ...SAMPLE_MACHINE, cpuModel: "Other CPU" });
    const baseline = parseBaseline(JSON.stringify(base), "base.json");
    const current = report(0.5, ["nominal"]);
    const text = formatComparison(compareToBaseline(current, baseline), baseline, current, "base.json");
    expect(text).toMatch(/^compared with base\.json \(wasm, Other CPU, 2 cores/);
    expect(text).toMatch(/warning: the baseline ran on another backend or machine/);
    expect(text).toMatch(/e2e\.p99Ms\s+50 vs\s+100\s+×0\.50 {2}better/);
    expect(text).toMatch(/realtimeFactor\s+4 vs\s+2\s+×2\.00 {2}better/);
    const same = formatComparison(
      compareToBaseline(report(2, ["nominal"]), parseBaseline(JSON.stringify(report(1, ["nominal"])), "b")),
      baseline,
      current,
      "b",
    );
    expect(same).toMatch(/e2e\.p50Ms .*×2\.00 {2}worse/);
  });
});

describe("parseBaseline", () => {
  it("names the file and the first bad field in one line", () => {
    expect(() => parseBaseline("{", "b.json")).toThrow(
      /^baseline b\.json: not JSON \(.*\), expected the output of avfusion bench --json or --save-baseline$/,
    );
    const broken = JSON.parse(JSON.stringify(report(1)));
    delete broken.scenarios.nominal.e2e.p99Ms;
    expect(() => parseBaseline(JSON.stringify(broken), "b.json")).toThrow(
      /^baseline b\.json: scenarios\.nominal\.e2e\.p99Ms: .*expected the output of avfusion bench/,
    );
    expect(() => parseBaseline(JSON.stringify({ tool: "other" }), "b.json")).toThrow(/baseline b\.json: tool:/);
    expect(() => parseBaseline("[]", "b.json")).toThrow(BadInputError);
  });
});
