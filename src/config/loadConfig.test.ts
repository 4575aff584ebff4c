import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, parseConfig } from "./loadConfig";

const dir = mkdtempSync(join(tmpdir(), "avfusion-config-"));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe("loadConfig", () => {
  it("reads YAML with topic overrides and pipeline settings", async () => {
    const cfg = await loadConfig(
      file(
        "ok.yaml",
        "topics:\n  /front/img: { role: camera, sensorId: cam_a }\n  /debug: ignore\npipeline:\n  tickHz: 20\nsensors:\n  cam_a: { clockOffsetMs: 12.5 }\n",
      ),
    );
    expect(cfg.topics).toEqual({ "/front/img": { role: "camera", sensorId: "cam_a" }, "/debug": "ignore" });
    expect(cfg.pipeline?.tickHz).toBe(20);
    expect(cfg.sensors?.cam_a.clockOffsetMs).toBe(12.5);
  });

  it("reads JSON and an empty file", async () => {
    expect((await loadConfig(file("ok.json", '{"pipeline": {"deadlineMs": 80}}'))).pipeline?.deadlineMs).toBe(80);
    expect(await loadConfig(file("empty.yaml", ""))).toEqual({});
  });

  it("names the file and the field in one line", async () => {
    await expect(loadConfig(file("bad.yaml", "pipeline:\n  tickHz: -3\n"))).rejects.toThrow(/bad\.yaml: pipeline\.tickHz: /);
    await expect(loadConfig(file("role.yaml", "topics:\n  /x: { role: sonar }\n"))).rejects.toThrow(/role\.yaml: topics\.\/x/);
    await expect(loadConfig(file("typo.yaml", "pipline: {}\n"))).rejects.toThrow(/typo\.yaml: \(root\): .*pipline/);
    await expect(loadConfig(join(dir, "nope.yaml"))).rejects.toThrow(/nope\.yaml: no such file, expected a YAML or JSON config file/);
    await expect(loadConfig(file("garbage.yaml", "a: [1, 2\n"))).rejects.toThrow(/garbage\.yaml: not YAML or JSON/);
  });

  it("validates the topic mapping as a whole: one sensorId per topic", async () => {
    await expect(loadConfig(file("dup.yaml", "topics:\n  /a: { sensorId: front }\n  /b: { sensorId: front }\n"))).rejects.toThrow(
      /^.*dup\.yaml: topics\.\/b\.sensorId: "front" is already the sensorId of \/a, expected a sensor id no other topic has$/,
    );
  });
  it("parseConfig rejects NaN-like values", () => {
    expect(() => parseConfig({ sensors: { s: { offsetMs: Number.NaN } } }, "inline")).toThrow(/inline: sensors\.s\.offsetMs/);
  });
});
