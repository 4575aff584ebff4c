import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { main } from "../src/cli/main";

const DEFAULT = resolve(__dirname, "../recordings/default.mcap");

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["node", "avfusion", ...args], { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

describe("avfusion eval", () => {
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

  it("rejects an unknown pipeline and a recording without ground truth with exit 2", async () => {
    expect((await cli("eval", DEFAULT, "--pipelines", "naive")).code).toBe(2);
    const noGt = resolve(__dirname, "../../shared/data/mcap-conformance/OneMessage/OneMessage.mcap");
    if (!existsSync(noGt)) return console.warn(`evalCli: ${noGt} not found; skipping the no-ground-truth case`);
    const r = await cli("eval", noGt);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/OneMessage\.mcap: no sensor topic avfusion can decode/);
    expect(r.err.trim().split("\n").filter((l) => l.startsWith("avfusion:") && !l.startsWith("avfusion: backend"))).toHaveLength(1);
  });
});
