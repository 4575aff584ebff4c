import { intervalSummary, LatencyRecorder } from "../histogram";
import type { ScenarioSeries } from "../ScenarioMeter";
import type { MachineInfo, ScenarioResult } from "../types";

export const SAMPLE_MACHINE: MachineInfo = {
  cpuModel: "Test CPU",
  cores: 2,
  loadAvg: [1, 1, 1],
  platform: "linux test",
  arch: "x64",
  node: "v20.0.0",
  totalMemGb: 8,
};

function summary(values: readonly number[]) {
  const r = new LatencyRecorder([50, 100]);
  values.forEach((v) => r.record(v));
  return { ...r.summary(), ...r.deadlineMisses() };
}

/** A scenario result with known figures: e2e = 10 × scale, 20 × scale, ..., 100 × scale ms. */
export function sampleResult(name: string, scale = 1, mode: ScenarioResult["mode"] = "lossless"): ScenarioResult {
  const e2e = Array.from({ length: 10 }, (_, i) => (i + 1) * 10 * scale);
  const stage = (ms: number) => summary([ms * scale, ms * scale * 2]);
  return {
    scenario: name,
    description: `${name} <drive> & co`,
    mode,
    e2eDefinition: "test definition",
    recording: { file: `${name}.mcap`, durationS: 10, messages: 670, sensors: ["cam_front (camera, 15 Hz)"] },
    ticks: 100,
    warmupTicks: 1,
    coldStartMs: 300,
    triggers: { complete: 99, flush: 1 },
    droppedTicks: mode === "realtime" ? 3 : 0,
    droppedMessages: 0,
    wallS: 5,
    realtimeFactor: 2 / scale,
    cpuS: 4 * scale,
    cpuRealtimeFactor: 2.5 / scale,
    e2e: summary(e2e),
    e2eFromArrival: summary(e2e.map((v) => v / 2)),
    e2eFromCaptureEnd: summary(e2e.map((v) => v / 1.5)),
    afterSync: summary(e2e.map((v) => v / 4)),
    e2eBySensor: { cam_front: { p50Ms: 50, p99Ms: 100, maxMs: 100, count: 10 } },
    stages: {
      decode: stage(1),
      syncWait: stage(100),
      encode: stage(40),
      "encode.cam_front": stage(20),
      fusion: stage(0.5),
      scene: stage(0.25),
      sink: stage(2),
      overhead: stage(3.75),
    },
    tickInterval: intervalSummary([0, 100, 200, 300]),
    peakRssMb: 300 * scale,
    loadAvgStart: [1, 1, 1],
    loadAvgEnd: [1, 1, 1],
    decodeErrors: 0,
  };
}

export function sampleSeries(scale = 1): ScenarioSeries {
  const e2eMs = Array.from({ length: 10 }, (_, i) => (i + 1) * 10 * scale);
  return { tickTimeS: e2eMs.map((_, i) => i * 0.1), tickE2eMs: e2eMs, e2eMs, counted: e2eMs.map((_, i) => i > 0) };
}
