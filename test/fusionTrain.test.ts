import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../src/cli/main";
import { loadFusionHead } from "../src/fusion/head/model";
import { nodeModelFiles } from "../src/runtime/nodeModelFiles";
import { simulateToMcap } from "../src/sim/simulate";
import { FileWritable } from "../src/sinks/mcap/FileWritable";
import { fusionTrainingScenario } from "../src/train/fusion/drives";

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(["node", "avfusion", ...args], { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

const REPO = path.resolve(__dirname, "..");

describe("avfusion train --fusion", () => {
  it("needs exactly one of --modality and --fusion", async () => {
    const a = await cli("train");
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/^avfusion: train: expected --modality [a-z|]+ or --fusion\n$/);
    const b = await cli("train", "--fusion", "--modality", "radar");
    expect(b.code).toBe(2);
    expect(b.err).toBe("avfusion: --fusion and --modality: give one of them\n");
    const c = await cli("train", "--fusion", "--drives", "0");
    expect(c.code).toBe(2);
    expect(c.err).toBe("avfusion: --drives 0: expected an integer 1..9000\n");
  });

  it("refuses seeds outside 20000–29999 (held out for evaluation)", () => {
    expect(() => fusionTrainingScenario({ seed: 50_000, variant: "random", durationS: 2 })).toThrow(
      "fusion training seed 50000: expected an integer 20000..29999 (other seeds are held out)",
    );
  });

  it("--quick generates drives, trains, writes a loadable head and is reproducible from the seed; replay uses it", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "avf-fusion-train-"));
    try {
      const data = path.join(dir, "data");
      const out1 = path.join(dir, "m1");
      const r = await cli("train", "--fusion", "--quick", "--out", out1, "--data", data, "--seed", "4", "--backend", "wasm");
      expect(r.err).toMatch(/fusion: generated .*drive-20000-faults-2s\.json/);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^fusion head: \d+ training candidates from 2 drives, 2 epochs\n/);
      expect(r.out).toMatch(/all sensors: AP@2m tracker [0-9.]+, naive [0-9.]+, .*learned [0-9.]+/);
      expect(r.out).toMatch(
        /existence recursion: tracker weight [01], head weight 1; refine class: (true|false); refine position: (true|false)/,
      );
      const meta = JSON.parse(fs.readFileSync(path.join(out1, "fusion", "metadata.json"), "utf8"));
      expect(meta.command).toBe(`avfusion train --fusion --out ${out1} --seed 4 --quick --backend wasm --max-minutes 19`);
      expect(meta.training.seeds).toEqual([20000, 20001]);
      expect(meta.validation.seeds).toEqual([29000]);
      expect(meta.training.candidates).toBeGreaterThan(50);
      const lvl = meta.validation.candidateLevel["all sensors"];
      expect(lvl.existence.bce).toBeGreaterThan(0);
      expect(lvl.existence.ece).toBeGreaterThanOrEqual(0);
      expect(meta.validation.sceneLevel["camera and LiDAR removed"].learned.ap).toBeGreaterThanOrEqual(0);
      const head = await loadFusionHead(nodeModelFiles(), out1);
      expect(head.metadata.training).toBeDefined();
      head.dispose();

      // Same seed, cached drives: the same weights.
      const out2 = path.join(dir, "m2");
      const r2 = await cli("train", "--fusion", "--quick", "--out", out2, "--data", data, "--seed", "4", "--backend", "wasm");
      expect(r2.code).toBe(0);
      expect(r2.err).not.toMatch(/generated/);
      expect(
        fs.readFileSync(path.join(out2, "fusion", "weights.bin")).equals(fs.readFileSync(path.join(out1, "fusion", "weights.bin"))),
      ).toBe(true);

      // replay: the shipped encoders plus this head, chosen by default; naive / none on request.
      for (const k of ["camera", "lidar", "radar", "audio"])
        fs.cpSync(path.join(REPO, "models", k), path.join(out1, k), { recursive: true });
      const rec = path.join(dir, "drive.mcap");
      const w = await FileWritable.create(rec);
      await simulateToMcap(fusionTrainingScenario({ seed: 29_500, variant: "random", durationS: 1 }), w);
      await w.close();
      const learned = await cli("replay", rec, "--max", "--no-progress", "--models", out1, "--backend", "wasm");
      expect(learned.code).toBe(0);
      expect(learned.err).toContain(`fusion head: learned fusion-head-mlp-2 from ${out1}/fusion (existence`);
      const naive = await cli("replay", rec, "--max", "--no-progress", "--models", out1, "--fusion-head", "naive", "--backend", "wasm");
      expect(naive.code).toBe(0);
      expect(naive.err).toContain("fusion head: naive (score averaging");
      const bad = await cli("replay", rec, "--max", "--models", out1, "--fusion-head", "smart");
      expect(bad.code).toBe(2);
      expect(bad.err).toBe("avfusion: --fusion-head smart: expected one of learned|naive|none\n");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
