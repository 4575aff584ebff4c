import type { SceneState, SensorHealthStatus } from "../types";
import type { EvalResultEntry } from "./evalReport";
import { aggregateResults, checkTargets, missingSensorMeasure, recoveryMeasure, sceneCadence } from "./suiteReport";

const START = 1_700_000_000_000_000_000n;
const ms = (x: number): bigint => START + BigInt(x) * 1_000_000n;

function scene(tMs: number, lidar: SensorHealthStatus, included = lidar === "OK"): SceneState {
  return {
    stamp: ms(tMs),
    tick: tMs / 100,
    frameId: "base_link",
    objects: [],
    hazards: [],
    health: {
      sensors: [
        {
          sensorId: "lidar_top",
          kind: "lidar",
          status: lidar,
          reason: "",
          since: ms(tMs),
          ageMs: null,
          rateHz: null,
          quality: null,
          included,
          skewMs: null,
          dropped: 0,
          malformed: 0,
        },
      ],
      degradation: "NOMINAL",
      recommendedFallback: "none",
      degradationReason: "",
      visibilityM: null,
      syncSkewMs: 0,
    },
    latencyMs: {},
  };
}

const entry = (condition: string, pipeline: EvalResultEntry["pipeline"], mAP: number, car: number, recording = "a"): EvalResultEntry => ({
  recording,
  condition,
  pipeline,
  mAP,
  nds: mAP,
  apByClass: { car },
  ate: 0.5,
  ase: null,
  aoe: null,
  ave: 1,
  frames: 10,
  framesWithoutScene: 0,
});

describe("suite report", () => {
  it("measures when a missing sensor is reported and when a returning one is re-admitted", () => {
    const scenes = [
      scene(0, "OK"),
      scene(100, "OK"),
      scene(200, "STALE"),
      scene(300, "MISSING"),
      scene(400, "MISSING"),
      scene(500, "OK", false),
      scene(600, "OK"),
    ];
    const m = missingSensorMeasure(scenes, "lidar", START);
    expect(m).toEqual({ kind: "lidar", firstMissingMs: 300, firstSceneMs: 0, missingShare: 2 / 7, statuses: ["OK", "STALE", "MISSING"] });
    // Out from 150 ms to 450 ms: noticed at 200 ms (STALE, 50 ms later), OK and included at 600 ms (150 ms after).
    expect(recoveryMeasure(scenes, "lidar", START, 0.15, 0.45)).toEqual({
      kind: "lidar",
      fromS: 0.15,
      toS: 0.45,
      detectedAfterMs: 50,
      detectedStatus: "STALE",
      readmittedAfterMs: 150,
    });
    expect(missingSensorMeasure(scenes, "radar", START).statuses).toEqual(["absent"]);
    expect(sceneCadence(scenes, 0.7, 10)).toEqual({ scenes: 7, expectedScenes: 7, ratio: 1 });
  });

  it("aggregates per condition and overall, and checks the issue 6 targets with the figures", () => {
    const entries = [
      entry("clear", "fused", 0.6, 0.8),
      entry("clear", "fused", 0.4, 0.6, "b"),
      entry("clear", "lidar", 0.45, 0.7),
      entry("clear", "lidar", 0.45, 0.7, "b"),
      entry("clear", "camera", 0.3, 0.5),
      entry("fog-50m", "fused", 0.3, 0.56),
      entry("fog-50m", "camera", 0.0, 0.0),
      entry("lidar-missing", "fused", 0.36, 0.6),
      entry("lidar-missing", "lidar", 0, 0),
    ];
    const agg = aggregateResults(entries);
    const clearFused = agg.find((a) => a.condition === "clear" && a.pipeline === "fused")!;
    expect(clearFused.mAP).toBeCloseTo(0.5, 12);
    expect(clearFused.apByClass.car).toBeCloseTo(0.7, 12);
    expect(clearFused.recordings).toBe(2);
    expect(agg.find((a) => a.condition === "all" && a.pipeline === "fused")!.recordings).toBe(4);
    const health = [
      {
        recording: "a",
        condition: "lidar-missing",
        cadence: { scenes: 150, expectedScenes: 150, ratio: 1 },
        missing: { kind: "lidar" as const, firstMissingMs: 0, firstSceneMs: 0, missingShare: 1, statuses: ["MISSING"] },
      },
    ];
    const recovery = [{ kind: "lidar" as const, fromS: 7, toS: 9, detectedAfterMs: 100, detectedStatus: "STALE", readmittedAfterMs: 1200 }];
    const t = checkTargets(entries, health, recovery, { cleanCondition: "clear", deadlineMs: 150 });
    const get = (target: string, condition: string) => t.find((x) => x.target.startsWith(target) && x.condition === condition)!;
    // Clear: fused 0.5 > best single (lidar 0.45).
    expect(get("fused mAP > best", "clear")).toMatchObject({ value: 0.5, threshold: 0.45, pass: true });
    expect(get("fused mAP >= best", "fog-50m")).toMatchObject({ pass: true });
    // Paired: only drive "a" ran in fog, so its clear car AP (0.8) is the reference, not the mean
    // over both drives (0.7): 0.56 / 0.8 = 0.7 → fails (< 0.8).
    expect(get("fog 50 m", "fog-50m").value).toBeCloseTo(0.7, 12);
    expect(get("fog 50 m", "fog-50m").pass).toBe(false);
    // LiDAR missing: 0.36 / 0.6 (drive a's clear mAP) = 0.6 < 0.7.
    expect(get("sensor missing: fused mAP", "lidar-missing").value).toBeCloseTo(0.6, 12);
    expect(get("sensor missing: fused mAP", "lidar-missing").pass).toBe(false);
    expect(get("sensor missing: reported MISSING", "lidar-missing")).toMatchObject({ value: 0, pass: true });
    expect(get("sensor missing: scene states", "lidar-missing")).toMatchObject({ pass: true });
    expect(get("sensor back", "lidar out 7-9 s")).toMatchObject({ value: 1200, pass: false });
  });
});
