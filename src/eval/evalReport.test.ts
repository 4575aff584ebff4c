import { buildEvalReport, formatEvalMarkdown, jsonNumber, resultEntry, robustnessRatios, type EvalResultEntry } from "./evalReport";
import { evaluateScenes } from "./evaluateScenes";
import { evaluateSiren } from "./evaluateSiren";
import { gtFrame, gtObject, MS, sceneObject, sceneState, sirenHazard } from "./testing/fixtures";

function entry(
  recording: string,
  condition: string,
  pipeline: EvalResultEntry["pipeline"],
  nds: number | null,
  mAP: number | null = nds,
): EvalResultEntry {
  return {
    recording,
    condition,
    pipeline,
    mAP,
    nds,
    apByClass: { car: mAP },
    ate: 0.1,
    ase: 0.2,
    aoe: 0.3,
    ave: 0.4,
    frames: 10,
    framesWithoutScene: 0,
  };
}

describe("eval report", () => {
  it("builds the --json shape from real metrics, with null for undefined values", () => {
    const g = gtObject("car", 10, 0);
    const gt = [gtFrame(0n, [g], { sirenActive: true, sirenBearingRad: 0.5 })];
    const scenes = [sceneState(0n, [sceneObject(g, 0.9, { position: { x: 11, y: 0, z: 0.8 } })], [sirenHazard(0.9, 0.5)])];
    const e = resultEntry({ recording: "fog-50m.mcap", condition: "fog-50m", pipeline: "fused" }, evaluateScenes(gt, scenes));
    expect(e).toEqual({
      recording: "fog-50m.mcap",
      condition: "fog-50m",
      pipeline: "fused",
      mAP: expect.closeTo(0.5, 12),
      nds: expect.closeTo((5 * 0.5 + 3) / 9, 12),
      apByClass: { car: expect.closeTo(0.5, 12) },
      ate: 1,
      ase: 0,
      aoe: 0,
      ave: 0,
      frames: 1,
      framesWithoutScene: 0,
    });
    const report = buildEvalReport([e], evaluateSiren(gt, scenes), { cleanCondition: "fog-50m" });
    expect(report.siren).toMatchObject({ precision: 1, recall: 1, medianBearingErrorDeg: 0, falseAlarmRate: null, ticks: 1 });
    const json = JSON.parse(JSON.stringify(report));
    expect(Object.keys(json)).toEqual(["results", "siren", "robustness"]);
    expect(json.results[0].apByClass.car).toBeCloseTo(0.5, 12);
    expect(jsonNumber(NaN)).toBeNull();
    expect(jsonNumber(Infinity)).toBeNull();
    expect(jsonNumber(0)).toBe(0);
  });

  it("robustness = mean score in a condition / mean clean score, per pipeline", () => {
    const entries = [
      entry("a", "clear", "fused", 0.6),
      entry("b", "clear", "fused", 0.4),
      entry("c", "fog-50m", "fused", 0.25),
      entry("a", "clear", "camera", 0.5),
      entry("c", "fog-50m", "camera", 0.1),
      entry("d", "lidar-missing", "camera", null),
      entry("d", "lidar-missing", "radar", 0.2),
    ];
    const rows = robustnessRatios(entries);
    expect(rows).toEqual([
      { pipeline: "fused", condition: "clear", score: 0.5, cleanScore: 0.5, ratio: 1 },
      { pipeline: "fused", condition: "fog-50m", score: 0.25, cleanScore: 0.5, ratio: 0.5 },
      { pipeline: "camera", condition: "clear", score: 0.5, cleanScore: 0.5, ratio: 1 },
      { pipeline: "camera", condition: "fog-50m", score: 0.1, cleanScore: 0.5, ratio: 0.2 },
      { pipeline: "camera", condition: "lidar-missing", score: null, cleanScore: 0.5, ratio: null },
      { pipeline: "radar", condition: "lidar-missing", score: 0.2, cleanScore: null, ratio: null },
    ]);
  });

  it("formats Markdown tables: results, ablation, robustness, siren", () => {
    const entries = [entry("a", "clear", "fused", 0.6), entry("a", "clear", "camera", 0.5), entry("c", "fog-50m", "fused", 0.3)];
    const gt = [gtFrame(0n, [], { sirenActive: true, sirenBearingRad: 0 }), gtFrame(100n * MS, [])];
    const scenes = [sceneState(0n, [], [sirenHazard(0.9, 0.1)]), sceneState(100n * MS, [])];
    const md = formatEvalMarkdown(buildEvalReport(entries, [evaluateSiren(gt, scenes)]));
    const lines = md.split("\n");
    expect(lines).toContain("| recording | condition | pipeline | mAP | NDS | AP car | ATE m | ASE | AOE rad | AVE m/s | frames |");
    expect(lines).toContain("| a | clear | fused | 0.600 | 0.600 | 0.600 | 0.100 | 0.200 | 0.300 | 0.400 | 10 |");
    expect(lines).toContain("| recording | condition | fused | camera |");
    expect(lines).toContain("| c | fog-50m | 0.300 / 0.300 | – |");
    expect(lines).toContain("| fused | 1.00 | 0.50 |");
    expect(lines).toContain("| camera | 1.00 | – |");
    expect(lines).toContain("| 2 | 1.000 | 1.000 | 0.000 | 5.7° | 5.7° |");
  });
});
