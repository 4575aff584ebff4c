import { BENCH_SCENARIO_SPECS, BENCH_SCENARIOS, parseScenarioList } from "./scenarios";

describe("bench scenarios", () => {
  it("parses all, one name or a list, in the canonical order; names the choices otherwise", () => {
    expect(parseScenarioList("all")).toEqual([...BENCH_SCENARIOS]);
    expect(parseScenarioList("live,nominal")).toEqual(["nominal", "live"]);
    expect(() => parseScenarioList("foggy")).toThrow(
      /^--scenario foggy: expected all or a comma-separated list of nominal, dense, fog, dropout, flood, live$/,
    );
    expect(() => parseScenarioList("")).toThrow(/--scenario : expected/);
  });

  it("builds each scenario from the default drive, changing only what it tests", () => {
    const d = 10;
    const nominal = BENCH_SCENARIO_SPECS.nominal.build(d);
    expect(nominal.durationS).toBe(10);
    expect(nominal.actors).toHaveLength(5);
    const dense = BENCH_SCENARIO_SPECS.dense.build(d);
    expect(dense.actors).toHaveLength(35);
    expect(dense.sensors.lidar).toMatchObject({ beams: 64, azimuthResolutionDeg: 0.2 });
    expect(dense.clutter.parkedCars).toBe(20);
    expect(BENCH_SCENARIO_SPECS.fog.build(d).weather.visibilityM).toBe(50);
    expect(BENCH_SCENARIO_SPECS.dropout.build(d).faults.filter((f) => f.type === "dropout")).toEqual([
      { type: "dropout", sensor: "lidar", fromS: 3, toS: 6 },
      { type: "dropout", sensor: "camera", fromS: 5, toS: 8 },
    ]);
    const flood = BENCH_SCENARIO_SPECS.flood.build(d);
    expect(flood.sensors.radar.rateHz).toBe(5 * nominal.sensors.radar.rateHz);
    expect(BENCH_SCENARIO_SPECS.live.mode).toBe("realtime");
    expect(BENCH_SCENARIO_SPECS.live.build(d)).toEqual(nominal);
    // Each scenario has its own name, so cached recordings never collide.
    const names = BENCH_SCENARIOS.filter((n) => n !== "live").map((n) => BENCH_SCENARIO_SPECS[n].build(d).name);
    expect(new Set(names).size).toBe(names.length);
  });
});
