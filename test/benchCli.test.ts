import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../src/cli/main";
import { parseXml } from "../src/benchmark/wellFormedXml";

const dir = mkdtempSync(join(tmpdir(), "avfusion-bench-"));
const cache = join(dir, "cache");

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["node", "avfusion", ...args], { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

type Stat = { p50Ms: number; p95Ms: number; p99Ms: number; maxMs: number; missed100ms: number; missed50ms: number; count: number };

function expectOrdered(s: Stat): void {
  expect(s.p50Ms).toBeGreaterThan(0);
  expect(s.p50Ms).toBeLessThanOrEqual(s.p95Ms);
  expect(s.p95Ms).toBeLessThanOrEqual(s.p99Ms);
  expect(s.p99Ms).toBeLessThanOrEqual(s.maxMs);
  expect(s.missed100ms).toBeLessThanOrEqual(s.missed50ms);
  expect(s.missed50ms).toBeLessThanOrEqual(s.count);
}

describe("avfusion bench", () => {
  it("runs a 1 s lossless and a real-time scenario and prints the documented JSON, report and baseline", async () => {
    const report = join(dir, "report");
    const baseline = join(dir, "baselines", "test.json");
    const r = await cli(
      "bench",
      "--scenario",
      "nominal,live",
      "--duration",
      "1",
      "--warmup",
      "0",
      "--json",
      "--cache",
      cache,
      "--report",
      report,
      "--save-baseline",
      baseline,
      "--fusion-head",
      "naive",
    );
    expect(r.err).not.toMatch(/internal error/);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.tool).toBe("avfusion bench");
    expect(["tensorflow", "wasm", "cpu"]).toContain(json.backend);
    expect(json.machine.cores).toBeGreaterThanOrEqual(1);
    expect(json.machine.loadAvg).toHaveLength(3);
    expect(typeof json.machine.cpuModel).toBe("string");
    expect(json.mainScenario).toBe("nominal");
    expect(json.fusionHead).toMatch(/^naive \(score averaging/);
    expectOrdered(json.e2e);
    // A frame waits at least for its tick's deadline-aligned emission: e2e from the sensor stamp exceeds the sync wait.
    expect(json.e2e.p50Ms).toBeGreaterThan(json.stages.syncWait.p50Ms);
    for (const stage of ["decode", "syncWait", "encode", "fusion", "scene", "sink", "overhead"]) {
      expect(json.stages[stage].p50Ms).toBeLessThanOrEqual(json.stages[stage].p99Ms);
    }
    expect(
      Object.keys(json.stages)
        .filter((s) => s.startsWith("encode."))
        .sort(),
    ).toEqual(["encode.cam_front", "encode.lidar_top", "encode.mic_array", "encode.radar_front"]);
    expect(json.realtimeFactor).toBeGreaterThan(0);
    expect(json.peakRssMb).toBeGreaterThan(50);
    const nominal = json.scenarios.nominal;
    expect(nominal.mode).toBe("lossless");
    expect(nominal.ticks).toBeGreaterThanOrEqual(9);
    expect(nominal.ticks).toBeLessThanOrEqual(12);
    expect(nominal.droppedTicks).toBe(0);
    expect(nominal.recording.sensors).toHaveLength(4);
    // What the pipeline adds after alignment is part of, and less than, the e2e from the sensor stamp.
    expect(nominal.afterSync.p50Ms).toBeGreaterThan(0);
    expect(nominal.afterSync.p50Ms).toBeLessThan(nominal.e2e.p50Ms);
    expect(nominal.cpuS).toBeGreaterThan(0);
    const live = json.scenarios.live;
    expect(live.mode).toBe("realtime");
    expect(live.ticks).toBeGreaterThan(0);
    expect(live.droppedTicks).toBeGreaterThanOrEqual(0);
    // Paced at real time: the wall time is at least the recording's duration (minus the first frame's offset).
    expect(live.wallS).toBeGreaterThan(0.8 * live.recording.durationS);
    expect(r.err).toMatch(/bench nominal: \d+ ticks/);
    // The report: Markdown linking well-formed SVG plots, and the JSON.
    const files = readdirSync(report).sort();
    expect(files).toEqual([
      "e2e-histogram-live.svg",
      "e2e-histogram-nominal.svg",
      "latency-over-time.svg",
      "report.json",
      "report.md",
      "stages.svg",
    ]);
    for (const f of files.filter((f) => f.endsWith(".svg"))) expect(parseXml(readFileSync(join(report, f), "utf8")).root).toBe("svg");
    expect(readFileSync(join(report, "report.md"), "utf8")).toContain("![stages.svg](stages.svg)");
    const saved = JSON.parse(readFileSync(baseline, "utf8"));
    expect(saved.scenarios.nominal.e2e.p99Ms).toBe(nominal.e2e.p99Ms);

    // Against itself as the baseline: a ratio per figure (the recording is cached now).
    const again = await cli("bench", "--scenario", "nominal", "--duration", "1", "--warmup", "0", "--cache", cache, "--baseline", baseline);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/^avfusion bench: backend \w+/);
    expect(again.out).toMatch(new RegExp(`compared with ${baseline.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} \\(`));
    expect(again.out).toMatch(/\n {2}e2e\.p99Ms\s+[\d.]+ vs\s+[\d.]+\s+×\d+\.\d\d/);
    expect(again.out).toMatch(/\n {2}realtimeFactor\s+/);
  });

  it.each([
    [
      ["--scenario", "foggy"],
      /^avfusion: --scenario foggy: expected all or a comma-separated list of nominal, dense, fog, dropout, flood, live\n$/,
    ],
    [["--duration", "0.5"], /^avfusion: --duration 0\.5: expected seconds, 1 <= S <= 600\n$/],
    [["--fusion-head", "bogus"], /^avfusion: --fusion-head bogus: expected one of learned\|naive\|none\n$/],
    [["--warmup", "-1"], /^avfusion: --warmup -1: expected a whole number of ticks, 0\.\.1000\n$/],
    [
      ["--baseline", join(dir, "missing.json")],
      /^avfusion: --baseline .*missing\.json: cannot read \(ENOENT\), expected a JSON file from --save-baseline\n$/,
    ],
  ])("rejects %j with one line and exit code 2", async (args, message) => {
    const r = await cli("bench", ...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it("rejects a baseline that is not a bench result before running anything", async () => {
    const bad = join(dir, "bad.json");
    writeFileSync(
      bad,
      JSON.stringify({
        tool: "avfusion bench",
        backend: "wasm",
        machine: { cpuModel: "x", cores: 2, loadAvg: [0, 0, 0] },
        scenarios: { nominal: { e2e: {} } },
      }),
    );
    const r = await cli("bench", "--baseline", bad);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /^avfusion: baseline .*bad\.json: scenarios\.nominal\.e2e\.p50Ms: .*expected the output of avfusion bench --json or --save-baseline\n$/,
    );
  });
});
