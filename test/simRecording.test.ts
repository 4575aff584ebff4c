import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createDecoder } from "../src/decode";
import { main } from "../src/cli/main";
import { loadScenario } from "../src/sim/loadScenario";
import { randomScenario } from "../src/sim/randomScenario";
import { TOPICS } from "../src/sim/rig";
import { openIndexedBytes, readMessages, scenario, simulateBytes } from "./simHelpers";

const small = (seed: number) =>
  scenario({
    name: "tiny",
    durationS: 0.6,
    seed,
    weather: { visibilityM: 120 },
    sensors: { camera: { width: 96, height: 64, rateHz: 10 }, lidar: { azimuthResolutionDeg: 2 } },
    actors: [
      { class: "car", motion: { type: "lane", lane: 0, startX: 20, speedMps: 18 } },
      {
        class: "emergency_vehicle",
        motion: { type: "lane", lane: 1, startX: -20, speedMps: 25 },
        siren: { mode: "yelp", on: [{ fromS: 0 }] },
      },
    ],
  });

describe("simulated recordings", () => {
  it("same scenario + seed ⇒ byte-identical file; another seed ⇒ different bytes", async () => {
    const a = await simulateBytes(small(5));
    const b = await simulateBytes(small(5));
    const c = await simulateBytes(small(6));
    expect(Buffer.compare(Buffer.from(a.bytes), Buffer.from(b.bytes))).toBe(0);
    expect(Buffer.compare(Buffer.from(a.bytes), Buffer.from(c.bytes))).not.toBe(0);
  });

  it("is an indexed MCAP with zstd chunks, every topic present, and every message decodes", async () => {
    const { bytes } = await simulateBytes(small(7));
    const indexed = await openIndexedBytes(bytes);
    expect(indexed.chunkIndexes.length).toBeGreaterThan(0);
    expect(new Set(indexed.chunkIndexes.map((c) => c.compression))).toEqual(new Set(["zstd"]));
    const { messages } = await readMessages(bytes);
    expect(new Set(messages.map((m) => m.topic))).toEqual(new Set(Object.values(TOPICS)));
    // Log time order, as a recorder writes.
    for (let i = 1; i < messages.length; i++) expect(messages[i]!.logTime >= messages[i - 1]!.logTime).toBe(true);
    const decoder = createDecoder();
    const kinds = new Map<string, number>();
    for (const m of messages) {
      const r = decoder.decode({ ...m, sequence: m.sequence });
      expect("error" in r ? r.error : "").toBe("");
      if ("messages" in r) for (const f of r.messages) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
    }
    for (const k of ["camera", "lidar", "radar", "audio", "groundTruth", "transform", "cameraCalibration"])
      expect(kinds.get(k) ?? 0).toBeGreaterThan(0);
  });

  it("recordings/default.mcap matches what `avfusion simulate` produces now", async () => {
    const shipped = path.resolve(__dirname, "../recordings/default.mcap");
    expect(fs.existsSync(shipped)).toBe(true);
    const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "avfusion-sim-")), "default.mcap");
    const out: string[] = [];
    const code = await main(["node", "avfusion", "simulate", "--scenario", "default", "--no-progress", "-o", tmp], {
      stdout: (t) => out.push(t),
      stderr: (t) => out.push(t),
    });
    expect(out.join("")).toMatch(/^wrote /);
    expect(code).toBe(0);
    const a = fs.readFileSync(shipped);
    const b = fs.readFileSync(tmp);
    fs.rmSync(path.dirname(tmp), { recursive: true, force: true });
    // If this fails after an intended change: avfusion simulate -o recordings/default.mcap
    expect(b.byteLength).toBe(a.byteLength);
    expect(Buffer.compare(a, b)).toBe(0);
    expect(a.byteLength).toBeLessThan(8_000_000);
  });

  it("reports bad scenarios and options in one line with exit code 2", async () => {
    const run = async (...args: string[]): Promise<[number, string]> => {
      const out: string[] = [];
      const code = await main(["node", "avfusion", "simulate", "--no-progress", ...args], {
        stdout: (t) => out.push(t),
        stderr: (t) => out.push(t),
      });
      return [code, out.join("")];
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "avfusion-sim-"));
    const bad = path.join(dir, "bad.yaml");
    fs.writeFileSync(bad, "durationS: 5\nactors:\n  - class: car\n    motion: { type: lane, lane: 7, startX: 0, speedMps: 10 }\n");
    const cases: Array<[string[], RegExp]> = [
      [["--scenario", "no-such"], /unknown scenario "no-such": expected one of .*highway-clear/],
      [["--scenario", path.join(dir, "missing.yaml")], /cannot read \(ENOENT\)/],
      [["--scenario", bad], /actors\.0\.motion: lane 7 is off the road/],
      [["--seed", "-1"], /--seed -1: expected an integer/],
      [["--duration", "abc"], /--duration abc: expected seconds/],
      [["--fog", "0x"], /--fog 0x: expected a visibility/],
    ];
    for (const [args, re] of cases) {
      const [code, text] = await run(...args, "-o", path.join(dir, "x.mcap"));
      expect(code).toBe(2);
      expect(text).toMatch(re);
      expect(text.trim().split("\n")).toHaveLength(1);
      expect(text).not.toMatch(/\n\s+at /);
    }
    expect(fs.existsSync(path.join(dir, "x.mcap"))).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("simulates a random scenario from a seed", async () => {
    const base = randomScenario(77, 0.5);
    const s = scenario({ ...base, sensors: { camera: { width: 64, height: 48, rateHz: 10 }, lidar: { azimuthResolutionDeg: 3 } } });
    const { stats } = await simulateBytes(s);
    expect(stats.perTopic[TOPICS.groundTruth]).toBe(5);
    expect(stats.messages).toBeGreaterThan(20);
  });

  it("ships every named scenario and they all validate", () => {
    for (const name of [
      "highway-clear",
      "urban-crossing",
      "siren-approach",
      "fog-50m",
      "fog-150m",
      "lidar-dropout",
      "camera-frozen",
      "radar-clutter",
      "clock-skew",
      "default",
    ]) {
      const s = loadScenario(name);
      expect(s.name).toBe(name);
    }
    expect(loadScenario("fog-50m").weather.visibilityM).toBe(50);
    expect(loadScenario("default").durationS).toBeLessThanOrEqual(10);
  });
});
