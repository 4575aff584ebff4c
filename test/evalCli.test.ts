import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { cli } from "./runCli";

const DEFAULT = resolve(__dirname, "../recordings/default.mcap");

describe("avfusion eval", () => {
  it("takes the tracker's settings from --config (validated at start-up, one line)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "avfusion-eval-tracker-"));
    try {
      const honest = join(dir, "honest.yaml");
      // The radar's stated velocity taken at its word, as for a radar whose covariances are honest.
      writeFileSync(honest, "tracker:\n  sensors:\n    radar: { velocityCovarianceScale: 1 }\n");
      const bad = join(dir, "bad.yaml");
      writeFileSync(bad, "tracker:\n  sensors:\n    radar: { velocityCovarianceScale: 0 }\n");
      const mAP = async (...extra: string[]): Promise<number> => {
        const r = await cli("eval", DEFAULT, "--json", "--pipelines", "radar", ...extra);
        expect(r.code).toBe(0);
        return JSON.parse(r.out).results[0].mAP as number;
      };
      expect(await mAP("--config", honest)).not.toBe(await mAP());
      // --explain shows the scales in force: the config's radar velocity 1 over the default position 2.
      const explained = await cli("eval", DEFAULT, "--config", honest, "--explain", "--pipelines", "radar");
      expect(explained.out).toMatch(/\| radar \|[^\n]*\| 2 \/ 1 \|\n/);
      const r = await cli("eval", DEFAULT, "--config", bad);
      expect(r.code).toBe(2);
      const last = r.err.trim().split("\n").at(-1)!;
      expect(last).toMatch(/^avfusion: config: tracker\.sensors\.radar\.velocityCovarianceScale: .*0\.01/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports detection metrics per pipeline and siren metrics in the documented JSON shape", async () => {
    const dir = mkdtempSync(join(tmpdir(), "avfusion-eval-"));
    const r = await cli("eval", DEFAULT, "--json", "--pipelines", "fused,radar", "--report", dir);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.results.map((e: { pipeline: string }) => e.pipeline)).toEqual(["fused", "radar"]);
    for (const e of report.results) {
      expect(e.recording).toBe(DEFAULT);
      expect(e.condition).toBe("default");
      expect(e.mAP).toBeGreaterThan(0);
      expect(e.mAP).toBeLessThanOrEqual(1);
      expect(e.apByClass).toHaveProperty("car");
      expect(e).toHaveProperty("ate");
      expect(e).toHaveProperty("ave");
    }
    // The default drive's emergency vehicle sounds its siren: it must be heard.
    expect(report.siren.recall).toBeGreaterThan(0.5);
    expect(report.siren).toHaveProperty("precision");
    expect(report.siren).toHaveProperty("medianBearingErrorDeg");
    expect(JSON.parse(readFileSync(join(dir, "report.json"), "utf8"))).toEqual(report);
    expect(readFileSync(join(dir, "report.md"), "utf8")).toMatch(/\| recordings?|fused/);
  });

  it("--explain adds the loss budget: a lossBudget array in the JSON and a section in the markdown; not with --suite", async () => {
    const json = await cli("eval", DEFAULT, "--json", "--explain");
    expect(json.code).toBe(0);
    const report = JSON.parse(json.out);
    expect(report.lossBudget.map((b: { pipeline: string }) => b.pipeline)).toEqual(["fused", "camera", "lidar", "radar"]);
    const fused = report.lossBudget[0];
    expect(fused.stages.map((s: { stage: string }) => s.stage)).toEqual([
      "detections@capture",
      "detections@tick",
      "tracks",
      "confirmed",
      "head",
      "scene",
    ]);
    // The budget's last stage is the report's own figure for the pipeline.
    expect(fused.stages[5].mAP).toBe(report.results.find((e: { pipeline: string }) => e.pipeline === "fused").mAP);
    // And whether each encoder's covariances are honest, per kind, against the truth.
    const kinds = report.covarianceConsistency.map((r: { kind: string }) => r.kind).sort();
    expect(kinds).toEqual(["camera", "lidar", "radar"]);
    for (const r of report.covarianceConsistency) expect(r.position.scale).toBeGreaterThan(0);
    const md = await cli("eval", DEFAULT, "--explain", "--pipelines", "fused");
    expect(md.out).toContain("## Loss budget (`eval --explain`)");
    expect(md.out).toMatch(/## Covariance consistency[\s\S]*\| lidar \| \d+ \| [\d.]+ \|/);
    expect(md.out).toMatch(/### default — lidar\n\n\| {2}\| detections@capture \| detections@tick \| tracks \| confirmed \| scene \|/);
    const perFrame = await cli("eval", "--suite", "--per-frame");
    expect(perFrame.err.trim()).toBe("avfusion: --per-frame: works on recordings, not --suite, expected eval FILE... --per-frame");
    const suite = await cli("eval", "--suite", "--explain");
    expect(suite.code).toBe(2);
    expect(suite.err.trim()).toBe("avfusion: --explain: works on recordings, not --suite, expected eval FILE... --explain");
  });

  it("rejects an unknown pipeline and a recording without ground truth with exit 2", async () => {
    const bad = await cli("eval", DEFAULT, "--pipelines", "fused,bogus");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--pipelines fused,bogus: "bogus" is not one of fused, tracker, naive, camera, lidar, radar/);
    const noGt = resolve(__dirname, "../../shared/data/mcap-conformance/OneMessage/OneMessage.mcap");
    if (!existsSync(noGt)) return console.warn(`evalCli: ${noGt} not found; skipping the no-ground-truth case`);
    const r = await cli("eval", noGt);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/OneMessage\.mcap: no camera, LiDAR, radar or audio topic that avfusion can decode among /);
    expect(
      r.err
        .trim()
        .split("\n")
        .filter((l) => l.startsWith("avfusion:") && !l.startsWith("avfusion: backend")),
    ).toHaveLength(1);
  });
});

describe("avfusion eval --suite", () => {
  it("runs a tiny suite: per-run and aggregated results for every pipeline, robustness, health and targets", async () => {
    const dir = mkdtempSync(join(tmpdir(), "avfusion-suite-"));
    const suiteFile = join(dir, "tiny.yaml");
    writeFileSync(
      suiteFile,
      [
        "name: tiny",
        "durationS: 2.5",
        "conditions: [clear, lidar-missing]",
        "drives:",
        "  - scenario: highway-clear",
        "recovery:",
        "  drive: highway-clear",
        "  outages: [{ sensor: lidar, fromS: 0.8, toS: 1.5 }]",
        "",
      ].join("\n"),
    );
    const r = await cli("eval", "--suite", suiteFile, "--json", "--cache", join(dir, "cache"), "--fusion-head", "none");
    expect(r.err).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    const pipelines = ["fused", "naive", "camera", "lidar", "radar", "no-camera", "no-lidar", "no-radar"];
    expect(report.fusedHead).toBe("tracker");
    // One entry per recording × condition × pipeline, in the shape.
    expect(report.results.map((e: { condition: string; pipeline: string }) => `${e.condition}/${e.pipeline}`)).toEqual(
      ["clear", "lidar-missing"].flatMap((c) => pipelines.map((p) => `${c}/${p}`)),
    );
    for (const e of report.results) {
      expect(e.recording).toBe("highway-clear");
      expect(Object.keys(e)).toEqual(expect.arrayContaining(["recording", "condition", "pipeline", "mAP", "apByClass", "ate", "ave"]));
      expect(e.apByClass).toHaveProperty("car");
      expect(e.frames).toBe(25);
    }
    const at = (c: string, p: string) =>
      report.results.find((e: { condition: string; pipeline: string }) => e.condition === c && e.pipeline === p);
    // LiDAR-only with the LiDAR absent detects nothing; with it present, it does.
    expect(at("lidar-missing", "lidar").mAP).toBe(0);
    expect(at("clear", "lidar").mAP).toBeGreaterThan(0);
    // Camera-only and radar-only runs do not depend on the LiDAR: same evidence, same scores.
    expect(at("lidar-missing", "radar").mAP).toBe(at("clear", "radar").mAP);
    expect(report.aggregate.map((a: { condition: string }) => a.condition)).toEqual(
      expect.arrayContaining(["clear", "lidar-missing", "all"]),
    );
    // Leave one sensor out: in lidar-missing, fused without the LiDAR is fused.
    expect(at("lidar-missing", "no-lidar").mAP).toBe(at("lidar-missing", "fused").mAP);
    // Every run has its frame replicates; every mean its 95 % interval, around it.
    for (const e of report.results) expect(e.mAPReplicates.length).toBeGreaterThan(0);
    for (const a of report.aggregate.filter((x: { mAP: number | null }) => x.mAP !== null)) {
      expect(a.mAPInterval.low).toBeLessThanOrEqual(a.mAP + 1e-9);
      expect(a.mAPInterval.high).toBeGreaterThanOrEqual(a.mAP - 1e-9);
    }
    expect(Object.keys(report.siren)).toEqual(expect.arrayContaining(["precision", "recall", "medianBearingErrorDeg"]));
    const ratio = report.robustness.rows.find(
      (x: { pipeline: string; condition: string }) => x.pipeline === "lidar" && x.condition === "lidar-missing",
    );
    expect(ratio.ratio).toBe(0);
    const h = report.health.find((x: { condition: string }) => x.condition === "lidar-missing");
    expect(h.cadence.expectedScenes).toBe(25);
    expect(h.cadence.scenes).toBeGreaterThanOrEqual(25);
    expect(h.missing.kind).toBe("lidar");
    expect(h.missing.missingShare).toBeGreaterThan(0.9);
    expect(report.recovery).toHaveLength(1);
    expect(report.recovery[0].kind).toBe("lidar");
    expect(report.recovery[0].readmittedAfterMs).not.toBeNull();
    expect(report.targets.map((t: { target: string }) => t.target)).toEqual(
      expect.arrayContaining([
        "sensor missing: fused mAP >= 0.7 x full",
        "sensor missing: reported MISSING within one deadline",
        "sensor back: re-admitted within 1 s",
      ]),
    );
    for (const t of report.targets) expect([true, false, null]).toContain(t.pass);
    expect(report.run.backend).toMatch(/wasm|tensorflow|cpu/);
    // Second run: the recordings come from the cache (nothing simulated again).
    const again = await cli(
      "eval",
      "--suite",
      suiteFile,
      "--cache",
      join(dir, "cache"),
      "--fusion-head",
      "none",
      "--pipelines",
      "fused,lidar",
    );
    expect(again.code).toBe(0);
    expect(again.err).not.toMatch(/simulated/);
    expect(again.err).toMatch(/highway-clear @ clear: \d+ ticks read from the evidence cache/);
    expect(again.out).toMatch(/### Targets \(issue 6\)/);
    rmSync(dir, { recursive: true, force: true }); // ≈ 40 MB of recordings and cached evidence
  }, 600_000);

  it("a bad suite file is one line and exit 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "avfusion-suite-"));
    const suiteFile = join(dir, "bad.yaml");
    writeFileSync(suiteFile, "name: bad\ndurationS: 2\nconditions: [fog]\ndrives: [{ random: 5 }]\n");
    const r = await cli("eval", "--suite", suiteFile);
    expect(r.code).toBe(2);
    const lines = r.err
      .trim()
      .split("\n")
      .filter((l) => l.startsWith("avfusion:") && !l.startsWith("avfusion: backend") && !l.startsWith("avfusion: fused"));
    expect(lines).toEqual([
      expect.stringMatching(/^avfusion: suite .*bad\.yaml: conditions\.0: expected clear, fog-<V>m .* \(and 1 more\)$/),
    ]);
    expect((await cli("eval", DEFAULT, "--suite", "smoke")).code).toBe(2);
    // Asking for the learned head where none is shipped is bad input, not a silent fallback.
    const noHead = await cli("eval", DEFAULT, "--fusion-head", "learned", "--models", dir);
    expect(noHead.code).toBe(2);
    expect(noHead.err).toMatch(/fusion\/model\.json/);
  });
});
