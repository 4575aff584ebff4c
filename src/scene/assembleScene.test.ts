import { from, lastValueFrom, map, toArray } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import type { FusedTrack, TrackedObjects } from "../types/tracked";
import {
  msToNs,
  type CameraFrame,
  type EvidenceBundle,
  type Nanos,
  type PointCloudFrame,
  type SensorEvidence,
  type SensorFrame,
  type SensorSync,
  type SensorSyncCounters,
  type SyncedBundle,
  type SyncStatus,
} from "../types";
import { assembleScene, SceneAssembler, type SceneTickInput } from "./assembleScene";
import { observeSensors } from "./observeSensors";
import type { SceneConfigInput } from "./sceneConfig";

const T0 = 1_000_000_000_000n;
const at = (i: number): Nanos => T0 + msToNs(i * 100);

const counters = (n: number): SensorSyncCounters => ({
  received: n,
  included: n,
  late: 0,
  reordered: 0,
  duplicate: 0,
  overflow: 0,
  unused: 0,
});

function camera(stamp: Nanos, fill: number): CameraFrame {
  return {
    kind: "camera",
    sensorId: "cam",
    topic: "/cam",
    frameId: "cam",
    stamp,
    receivedAt: stamp,
    format: "rgb8",
    width: 4,
    height: 2,
    step: 12,
    data: new Uint8Array(24).fill(fill),
  };
}
function lidar(stamp: Nanos, seed: number): PointCloudFrame {
  return {
    kind: "lidar",
    sensorId: "lidar",
    topic: "/lidar",
    frameId: "lidar",
    stamp,
    receivedAt: stamp,
    count: 2,
    points: new Float32Array([seed, 1, 0, 5, seed + 1, 2, 0, 5]),
  };
}

function sync(tick: Nanos, i: number, id: string, status: SyncStatus, frame?: SensorFrame, skewMs = 0): SensorSync<SensorFrame> {
  return {
    sensorId: id,
    status,
    frame: status === "included" ? frame : undefined,
    skew: status === "included" ? msToNs(skewMs) : undefined,
    age: status === "missing" ? undefined : msToNs(status === "included" ? -skewMs : 300),
    counters: counters(i + 1),
  };
}

function bundle(i: number, sensors: SensorSync<SensorFrame>[]): SyncedBundle<SensorFrame> {
  return {
    seq: i,
    tick: at(i),
    origin: "fixed",
    trigger: "complete",
    emittedAt: at(i) + msToNs(50),
    sensors,
    frames: sensors.flatMap((s) => (s.frame ? [s.frame] : [])),
    diagnostics: { unknownSensor: 0, malformed: 0, skippedTicks: 0, pendingTickOverflow: 0 },
  };
}

function evidence(
  id: string,
  kind: SensorEvidence["kind"],
  stamp: Nanos,
  quality: number,
  visibilityM?: number,
): SensorEvidence & { visibilityM?: number } {
  return {
    sensorId: id,
    kind,
    stamp,
    detections: [],
    quality,
    encoder: { name: "test", modelVersion: "0", backend: "none" },
    timingMs: {},
    ...(visibilityM === undefined ? {} : { visibilityM }),
  };
}

function track(id: number, status: FusedTrack["status"], existence: number): FusedTrack {
  return {
    id,
    status,
    existence,
    position: { x: 10 * id, y: 0, z: 0.5 },
    velocity: { x: 1, y: 0, z: 0 },
    positionCovariance: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    velocityCovariance: [1, 0, 0, 1],
    classification: "car",
    classProbabilities: { car: 1 },
    firstSeen: T0,
    lastUpdated: T0,
    hits: 3,
    sensors: [
      {
        sensorId: "radar",
        kind: "radar",
        stamp: T0,
        detectionIndex: 0,
        position: { x: 10 * id, y: 0, z: 0 },
        score: 0.9,
        quality: 1,
        nis: 1,
      },
      {
        sensorId: "lidar",
        kind: "lidar",
        stamp: T0,
        detectionIndex: 0,
        position: { x: 10 * id, y: 0, z: 0.5 },
        score: 0.8,
        quality: 1,
        nis: 1,
      },
    ],
    measurements: [],
  };
}

function tracked(i: number, tracks: FusedTrack[] = []): TrackedObjects {
  return {
    stamp: at(i),
    tick: i,
    tracks,
    diagnostics: { sensors: [], rejectedDetections: 0, rejectedTotal: 0, rejections: [], created: 0, deleted: 0 },
  };
}

const config: SceneConfigInput = {
  health: {
    sensors: [
      { id: "cam", kind: "camera" },
      { id: "lidar", kind: "lidar" },
      { id: "radar", kind: "radar" },
    ],
    frozenFrames: 3,
    recoverTicks: 2,
    recoverMs: 0,
  },
};

/** One tick where every sensor is included; the camera's pixels and qualities are chosen per tick. */
function tick(
  i: number,
  opts: { camFill?: number; camQuality?: number; lidarQuality?: number; radar?: SyncStatus; visibility?: [number, number] } = {},
): SceneTickInput {
  const t = at(i);
  const radarStatus = opts.radar ?? "included";
  const synced = bundle(i, [
    sync(t, i, "cam", "included", camera(t, opts.camFill ?? i), 4),
    sync(t, i, "lidar", "included", lidar(t, i), -2),
    sync(t, i, "radar", radarStatus, undefined, 1),
  ]);
  const ev: EvidenceBundle = {
    stamp: t,
    tick: i,
    evidence: [
      evidence("cam", "camera", t, opts.camQuality ?? 0.9, opts.visibility?.[0]),
      evidence("lidar", "lidar", t, opts.lidarQuality ?? 0.9, opts.visibility?.[1]),
      ...(radarStatus === "included" ? [evidence("radar", "radar", t, 0.9)] : []),
    ],
    sync: [],
  };
  return { tracked: tracked(i), synced, evidence: ev };
}

describe("observeSensors", () => {
  it("merges sync status, evidence quality and visibility, frame digests and decode counters", () => {
    const input = tick(3, { visibility: [80, 120] });
    const obs = observeSensors({
      ...input,
      decode: [
        { sensorId: "radar", decoded: 5, errors: 2, lastReason: "bad" },
        { sensorId: "radar", decoded: 1, errors: 0 },
        { sensorId: "", decoded: 9, errors: 9 },
      ],
    });
    expect(obs.map((o) => [o.sensorId, o.status, o.quality, o.visibilityM])).toEqual([
      ["cam", "included", 0.9, 80],
      ["lidar", "included", 0.9, 120],
      ["radar", "included", 0.9, undefined],
    ]);
    expect(obs[0]!.skew).toBe(msToNs(4));
    expect(typeof obs[0]!.digest).toBe("number");
    expect(obs[2]!.digest).toBeUndefined();
    expect(obs[2]!.decode).toEqual({ decoded: 6, errors: 2, lastReason: "bad" });
    // Same pixels, other stamp → same digest; other pixels → another.
    const again = observeSensors(tick(4, { camFill: 3 }));
    const other = observeSensors(tick(5));
    expect(again[0]!.digest).toBe(obs[0]!.digest);
    expect(other[0]!.digest).not.toBe(obs[0]!.digest);
  });
});

describe("SceneAssembler", () => {
  it("assembles stamp, objects (confirmed, above minExistence), hazards, health, skew and latency", () => {
    const a = new SceneAssembler({ ...config, minExistence: 0.5 });
    const input: SceneTickInput = {
      ...tick(0),
      tracked: tracked(0, [track(1, "confirmed", 0.9), track(2, "tentative", 0.9), track(3, "confirmed", 0.4)]),
      hazards: [
        {
          kind: "siren",
          probability: 0.8,
          bearingRad: 0.5,
          mirroredBearingRad: Math.PI - 0.5,
          bearingConfidence: 0.5,
          firstHeard: T0,
          lastHeard: T0,
        },
      ],
      latencyMs: { decode: 1, fusion: 2 },
    };
    const s = a.step(input);
    expect(s.stamp).toBe(at(0));
    expect(s.tick).toBe(0);
    expect(s.frameId).toBe("base_link");
    expect(s.objects.map((o) => o.id)).toEqual([1]);
    expect(s.objects[0]!.sensors.map((x) => x.kind)).toEqual(["radar", "lidar"]);
    expect(s.objects[0]!.size).toBeNull();
    expect(s.hazards).toEqual(input.hazards);
    expect(s.health.sensors.map((h) => h.status)).toEqual(["OK", "OK", "OK"]);
    expect(s.health.syncSkewMs).toBe(4);
    expect(s.health.degradation).toBe("NOMINAL");
    expect(s.health.visibilityM).toBeNull();
    expect(s.latencyMs).toEqual({ decode: 1, fusion: 2 });
  });

  it("follows the audio encoders' hazards from the evidence", () => {
    const a = new SceneAssembler({ ...config, hazards: { holdMs: 250 } });
    const withSiren = (i: number, heard: boolean): SceneTickInput => {
      const input = tick(i);
      input.evidence!.evidence.push({
        ...evidence("mic", "audio", at(i), 1),
        hazards: heard
          ? [{ kind: "siren", probability: 0.9, bearingRad: 0.2, mirroredBearingRad: Math.PI - 0.2, bearingConfidence: 0.8 }]
          : [],
      });
      return input;
    };
    const heard = [true, false, true, false, false, false];
    const states = heard.map((h, i) => a.step(withSiren(i, h)));
    // Gaps of 200 ms (≤ 250) keep the episode; 300 ms after it was last heard it is gone.
    expect(states.map((s) => s.hazards.map((z) => z.firstHeard))).toEqual([[at(0)], [at(0)], [at(0)], [at(0)], [at(0)], []]);
    expect(states[2]!.hazards[0]).toMatchObject({ kind: "siren", probability: 0.9, bearingRad: 0.2, lastHeard: at(2) });
  });

  it("frozen camera → FAILED; with LiDAR and radar healthy the level stays NOMINAL; fog then degrades it", () => {
    const a = new SceneAssembler(config);
    const states = [
      a.step(tick(0)),
      a.step(tick(1, { camFill: 7 })),
      a.step(tick(2, { camFill: 7 })),
      a.step(tick(3, { camFill: 7 })), // third identical frame
      a.step(tick(4, { camFill: 7, lidarQuality: 0.2, visibility: [40, 40] })),
    ];
    expect(states.map((s) => s.health.sensors[0]!.status)).toEqual(["OK", "OK", "OK", "FAILED", "FAILED"]);
    expect(states[3]!.health.sensors[0]!.reason).toBe("frozen: 3 consecutive frames with identical content");
    expect(states.map((s) => s.health.degradation)).toEqual(["NOMINAL", "NOMINAL", "NOMINAL", "NOMINAL", "DEGRADED"]);
    // Frozen camera's visibility is ignored: only LiDAR's 40 m counts.
    expect(states[4]!.health.visibilityM).toBeCloseTo(40, 9);
    expect(states[4]!.health.recommendedFallback).toBe("reduce speed to 40 km/h and increase following distance");
  });

  it("radar dropping out is MISSING in the same tick and back to OK after the hysteresis", () => {
    const a = new SceneAssembler(config);
    const radar = ["included", "included", "missing", "missing", "included", "included", "included"] as const;
    const states = radar.map((r, i) => a.step(tick(i, { radar: r })));
    expect(states.map((s) => s.health.sensors[2]!.status)).toEqual(["OK", "OK", "MISSING", "MISSING", "MISSING", "OK", "OK"]);
    expect(states.map((s) => s.health.sensors[2]!.included)).toEqual([true, true, false, false, true, true, true]);
  });

  it("rejects a bad config when the operator is built", () => {
    expect(() => assembleScene({ health: { sensors: [{ id: "x", kind: "lidar" }], recoverTicks: 0 } })).toThrow(
      "scene config: health.recoverTicks: Too small: expected number to be >=1",
    );
  });
});

describe("assembleScene operator", () => {
  it("emits one scene state per input, in step with it (marble)", () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(({ cold, expectObservable }) => {
      const inputs = { a: tick(0), b: tick(1), c: tick(2) };
      const out = cold("a-b--c|", inputs).pipe(assembleScene(config));
      const stamps = { a: at(0), b: at(1), c: at(2) };
      expectObservable(out.pipe(map((s) => s.stamp))).toBe("a-b--c|", stamps);
    });
  });

  it("gives identical output when subscribed twice (fresh state per subscription)", async () => {
    const inputs = [0, 1, 2, 3, 4, 5].map((i) => tick(i, { camFill: i > 1 ? 9 : i, radar: i === 2 ? "missing" : "included" }));
    const op = assembleScene(config);
    const first = await lastValueFrom(from(inputs).pipe(op, toArray()));
    const second = await lastValueFrom(from(inputs).pipe(op, toArray()));
    expect(second).toEqual(first);
    expect(first[5]!.health.sensors[0]!.status).toBe("FAILED");
  });
});
