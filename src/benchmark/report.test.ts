import { reportMarkdown, reportPlots } from "./markdown";
import { buildReport, formatText, orderedStages } from "./report";
import { SAMPLE_MACHINE, sampleResult, sampleSeries } from "./testing/sampleResult";
import { parseXml } from "./wellFormedXml";

const ctx = { backend: "wasm", fusionHead: "none", machine: SAMPLE_MACHINE, durationS: 10, createdAt: "2026-01-01T00:00:00.000Z" };

describe("buildReport", () => {
  it("has the documented JSON shape, top-level figures from nominal, every scenario below", () => {
    const report = buildReport([sampleResult("fog", 3), sampleResult("nominal", 1), sampleResult("live", 2, "realtime")], ctx);
    const json = JSON.parse(JSON.stringify(report));
    expect(json).toMatchObject({
      tool: "avfusion bench",
      version: 1,
      backend: "wasm",
      fusionHead: "none",
      mainScenario: "nominal",
      durationS: 10,
    });
    expect(json.machine).toMatchObject({ cpuModel: "Test CPU", cores: 2, loadAvg: [1, 1, 1] });
    for (const k of ["p50Ms", "p95Ms", "p99Ms", "maxMs", "missed100ms", "missed50ms", "p999Ms"]) expect(typeof json.e2e[k]).toBe("number");
    expect(json.e2e.maxMs).toBe(100);
    expect(json.e2e.missed50ms).toBe(5);
    for (const s of Object.values(json.stages) as { p50Ms: number; p99Ms: number }[]) expect(s.p50Ms).toBeLessThanOrEqual(s.p99Ms);
    expect(json.stages.encode.p50Ms).toBeCloseTo(40, 1);
    expect(json.realtimeFactor).toBe(2);
    // Peak memory: the process's highest, over all scenarios.
    expect(json.peakRssMb).toBe(900);
    expect(Object.keys(json.scenarios)).toEqual(["fog", "nominal", "live"]);
    expect(json.scenarios.live.droppedTicks).toBe(3);
  });

  it("takes the first scenario as main when nominal did not run, and refuses none", () => {
    expect(buildReport([sampleResult("fog", 3)], ctx).mainScenario).toBe("fog");
    expect(() => buildReport([], ctx)).toThrow(/at least one scenario/);
  });
});

describe("text, Markdown and plots", () => {
  const report = buildReport([sampleResult("nominal", 1), sampleResult("live", 2, "realtime")], ctx);

  it("orders stages along the pipeline, encoders after encode", () => {
    expect(orderedStages(report.scenarios.nominal!.stages)).toEqual([
      "decode",
      "syncWait",
      "encode",
      "encode.cam_front",
      "fusion",
      "scene",
      "sink",
      "overhead",
    ]);
  });

  it("prints one line per scenario and one per stage", () => {
    const text = formatText(report);
    expect(text).toMatch(
      /^avfusion bench: backend wasm, fusion head none, 10 s per scenario\nmachine: Test CPU, 2 cores, load 1 \/ 1 \/ 1/,
    );
    expect(text).toMatch(/\nnominal\s+lossless\s+100\s+1\s+0\s+2\.00\s+50\.\d+/);
    expect(text).toMatch(/\nlive\s+realtime\s+100\s+1\s+3\s+1\.00\s+10\d\.\d+/);
    expect(text).toMatch(/\n {2}encode\.cam_front\s+20\.\d\d \/ 40\.\d\d\s+40\.\d\d \/ 80\.\d\d/);
  });

  it("writes a Markdown report with the tables, definitions and every plot linked", () => {
    const plots = reportPlots(report, { nominal: sampleSeries(1), live: sampleSeries(2) });
    expect(Object.keys(plots).sort()).toEqual([
      "e2e-histogram-live.svg",
      "e2e-histogram-nominal.svg",
      "latency-over-time.svg",
      "stages.svg",
    ]);
    for (const svg of Object.values(plots)) expect(parseXml(svg).root).toBe("svg");
    // The warm-up tick (counted = false) is not plotted: 9 points per series.
    expect(plots["latency-over-time.svg"]!.match(/<path d="M[^"]*"/g)!.map((d) => d.split(/[ML]/).length - 1)).toEqual([9, 9]);
    const md = reportMarkdown(report, Object.keys(plots));
    expect(md).toMatch(/^# avfusion latency benchmark\n/);
    expect(md).toContain("| nominal | lossless | 100 (1) | 0 | 2.00 | 2.50 |");
    expect(md).toContain("- lossless: test definition");
    expect(md).toContain("![stages.svg](stages.svg)");
    expect(md).toMatch(/\| encode\.cam_front \| 20\.\d\d \/ 40\.\d\d \| 40\.\d\d \/ 80\.\d\d \|/);
  });
});
