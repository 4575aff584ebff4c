import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../src/cli/main";
import { radarMetadataSchema } from "../src/encoders/radar/metadata";

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["node", "avfusion", ...args], { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

describe("avfusion train", () => {
  it("rejects an unknown modality and a bad seed with one line and exit code 2", async () => {
    const a = await cli("train", "--modality", "sonar");
    expect(a.code).toBe(2);
    // other modalities may join TRAINERS; radar and audio are always there
    expect(a.err).toMatch(/^avfusion: --modality sonar: expected one of [a-z|]+\n$/);
    expect(a.err).toContain("radar");
    expect(a.err).toContain("audio");
    const b = await cli("train", "--modality", "radar", "--seed", "x1");
    expect(b.code).toBe(2);
    expect(b.err).toBe("avfusion: --seed x1: expected an integer 0..2147483647\n");
    const c = await cli("train", "--modality", "radar", "--max-minutes", "-3");
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/^avfusion: --max-minutes -3: expected minutes ≥ 0/);
  });

  it("--quick writes model.json, weights.bin and a metadata.json that states its provenance", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "avf-train-"));
    try {
      const r = await cli("train", "--modality", "radar", "--quick", "--out", dir, "--seed", "9", "--epochs", "1", "--backend", "wasm");
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^radar held-out clear: accuracy [0-9.]+ \(target ≥ 0\.85\)/);
      expect(r.err).toMatch(/^avfusion: backend wasm/);
      for (const f of ["model.json", "weights.bin", "metadata.json"]) expect(fs.existsSync(path.join(dir, "radar", f))).toBe(true);
      const meta = JSON.parse(fs.readFileSync(path.join(dir, "radar", "metadata.json"), "utf8"));
      expect(radarMetadataSchema.safeParse(meta).success).toBe(true);
      expect(meta.command).toBe(`avfusion train --modality radar --out ${dir} --seed 9 --quick --backend wasm --max-minutes 19 --epochs 1`);
      expect(meta.training.seed).toBe(9);
      expect(meta.training.backend).toBe("wasm");
      expect(meta.heldOutSet.scenarios).toEqual(["highway-clear", "urban-crossing"]);
      expect(meta.training.scenarios).not.toContain("highway-clear");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
