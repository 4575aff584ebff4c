import { randomScenario } from "./randomScenario";
import { BadInputError } from "../types/errors";
import { parseScenario, validateScenario } from "./scenario";

describe("scenario files", () => {
  it("fills defaults from a minimal file", () => {
    const s = parseScenario("durationS: 3\n", "min.yaml");
    expect(s.durationS).toBe(3);
    expect(s.seed).toBe(1);
    expect(s.sensors.camera).toEqual({ width: 320, height: 192, rateHz: 15, jpegQuality: 80, hfovDeg: 80 });
    expect(s.sensors.lidar.beams).toBe(32);
    expect(s.weather.visibilityM).toBeUndefined();
    expect(s.actors).toEqual([]);
  });

  it("accepts JSON as well as YAML", () => {
    const s = parseScenario('{"durationS": 2, "weather": {"visibilityM": 80}}', "x.json");
    expect(s.weather.visibilityM).toBe(80);
  });

  it.each([
    ["durationS: -1", /scenario f\.yaml: durationS: expected a number > 0/],
    ["durationS: [1", /scenario f\.yaml: not valid YAML\/JSON/],
    ["- 1\n- 2", /expected a mapping at the top level, got a list/],
    ["actors:\n  - class: tank\n    motion: { type: static, x: 0, y: 0 }", /actors\.0\.class: /],
    ["actors:\n  - class: car\n    motion: { type: teleport }", /actors\.0\.motion/],
    ["faults:\n  - { type: dropout, sensor: lidar, fromS: 5, toS: 2 }", /faults\.0\.toS: toS 2 is before fromS 5/],
    ["faults:\n  - { type: frozen, sensor: lidar }", /faults\.0\.sensor/],
    ["weather: { visibilityM: 0 }", /weather\.visibilityM: expected a number > 0/],
  ])("rejects %j with a one-line error naming the field", (text, re) => {
    let err: unknown;
    try {
      parseScenario(text, "f.yaml");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BadInputError);
    expect((err as Error).message).toMatch(re);
    expect((err as Error).message).not.toContain("\n");
  });

  it("generates valid, seed-determined random scenarios", () => {
    const a = randomScenario(7);
    const b = randomScenario(7);
    expect(a).toEqual(b);
    expect(randomScenario(8)).not.toEqual(a);
    const classes = new Set<string>();
    let foggy = 0;
    for (let seed = 0; seed < 60; seed++) {
      const s = randomScenario(seed);
      expect(validateScenario(s)).toEqual(s);
      expect(s.actors.length).toBeGreaterThanOrEqual(3);
      s.actors.forEach((x) => classes.add(x.class));
      if (s.weather.visibilityM !== undefined) foggy++;
    }
    for (const c of ["car", "truck", "pedestrian", "emergency_vehicle"]) expect(classes).toContain(c);
    expect(foggy).toBeGreaterThan(15);
    expect(foggy).toBeLessThan(45);
    // Short drives are valid too (lane changes and fault windows fit inside them).
    for (let seed = 0; seed < 60; seed++) for (const d of [0.5, 2, 5]) expect(randomScenario(seed, d).durationS).toBe(d);
  });
});
