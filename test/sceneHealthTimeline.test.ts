import { from, lastValueFrom, toArray } from "rxjs";
import { trackObjects } from "../src/fusion";
import { assembleScene, HealthTimeline, type SceneState, type SceneTickInput } from "../src/scene";
import { alignByDeadline } from "../src/sync";
import { msToNs, type EvidenceBundle, type Nanos, type SensorFrame, type SyncedBundle } from "../src/types";

/**
 * Cross-stage: frames → alignByDeadline → (empty evidence) → trackObjects → assembleScene, with a
 * fault schedule, checking the health timeline against it. Camera 10 Hz, LiDAR 10 Hz (the tick
 * reference), radar 20 Hz; all arrive 10 ms after their stamp.
 */

const T0 = 1_700_000_000_000_000_000n;
const t = (ms: number): Nanos => T0 + msToNs(ms);

type Schedule = { radar?: (ms: number) => boolean; camera?: (ms: number) => boolean; frozenCameraFromMs?: number };

function frames(durationMs: number, schedule: Schedule): SensorFrame[] {
  const out: SensorFrame[] = [];
  let frozen: Uint8Array | undefined;
  for (let ms = 0; ms < durationMs; ms += 50) {
    const base = { frameId: "x", stamp: t(ms), receivedAt: t(ms + 10) };
    if (ms % 100 === 0) {
      out.push({ ...base, kind: "lidar", sensorId: "lidar_top", topic: "/lidar", count: 1, points: new Float32Array([ms, 0, 0, 1]) });
      if (schedule.camera?.(ms) ?? true) {
        let data: Uint8Array = new Uint8Array(48).map((_, i) => (ms * 7 + i) & 0xff);
        if (schedule.frozenCameraFromMs !== undefined && ms >= schedule.frozenCameraFromMs) data = frozen ??= data;
        out.push({ ...base, kind: "camera", sensorId: "cam_front", topic: "/cam", format: "rgb8", width: 4, height: 4, step: 12, data });
      }
    }
    if (schedule.radar?.(ms) ?? true)
      out.push({ ...base, kind: "radar", sensorId: "radar_front", topic: "/radar", detections: [], objects: [] });
  }
  return out.sort((a, b) => (a.receivedAt < b.receivedAt ? -1 : a.receivedAt > b.receivedAt ? 1 : 0));
}

function toEvidence(b: SyncedBundle<SensorFrame>): EvidenceBundle {
  return {
    stamp: b.tick,
    tick: b.seq,
    evidence: b.frames.map((f) => ({
      sensorId: f.sensorId,
      kind: f.kind,
      stamp: f.stamp,
      detections: [],
      quality: 1,
      encoder: { name: "none", modelVersion: "0", backend: "none" },
      timingMs: {},
    })),
    sync: [],
  };
}

async function replay(schedule: Schedule, durationMs = 6000): Promise<SceneState[]> {
  const bundles = await lastValueFrom(
    from(frames(durationMs, schedule)).pipe(
      alignByDeadline({
        sensors: [{ id: "lidar_top" }, { id: "cam_front" }, { id: "radar_front", toleranceMs: 30 }],
        tick: { mode: "reference", sensor: "lidar_top", rateHz: 10 },
        deadlineMs: 50,
        staleAfterMs: 500,
      }),
      toArray(),
    ),
  );
  const evidence = bundles.map(toEvidence);
  const tracked = await lastValueFrom(from(evidence).pipe(trackObjects({}), toArray()));
  const inputs: SceneTickInput[] = bundles.map((synced, i) => ({ synced, evidence: evidence[i], tracked: tracked[i]! }));
  return lastValueFrom(
    from(inputs).pipe(
      assembleScene({
        health: {
          sensors: [
            { id: "lidar_top", kind: "lidar", expectedRateHz: 10 },
            { id: "cam_front", kind: "camera", expectedRateHz: 10 },
            { id: "radar_front", kind: "radar", expectedRateHz: 20 },
          ],
          staleAgeMs: 250,
          recoverTicks: 3,
          recoverMs: 200,
        },
      }),
      toArray(),
    ),
  );
}

const ms = (ns: Nanos): number => Number((ns - T0) / 1_000_000n);

function timeline(states: SceneState[]): HealthTimeline {
  const tl = new HealthTimeline();
  for (const s of states) tl.add(s);
  return tl;
}

/** [fromMs, status] for each change of a sensor's status. */
function changes(states: SceneState[], id: string): Array<[number, string]> {
  return timeline(states)
    .bySensor.find((l) => l.sensorId === id)!
    .segments.map((seg) => [ms(seg.from), seg.value]);
}

describe("scene health timeline over sync and tracking", () => {
  it("a radar dropout 2.0–4.0 s: STALE after 250 ms, MISSING once sync gives up, OK within a second of its return", async () => {
    const states = await replay({ radar: (ms) => ms < 2000 || ms >= 4000 });
    expect(states.length).toBe(60); // one scene state per tick, through the dropout
    expect(changes(states, "radar_front")).toEqual([
      [0, "OK"],
      // Last frame used at the 1900 ms tick (1950 ms is outside the 2000 ms tick's ±30 ms window);
      // 300 ms > 250 ms without one at 2200 ms.
      [2200, "STALE"],
      // sync's staleAfterMs = 500 ms after the last frame (1950) → missing from the 2500 ms tick.
      [2500, "MISSING"],
      // Frames again from 4000 ms: three good ticks, 200 ms apart → OK at 4200 ms.
      [4200, "OK"],
    ]);
    // Camera + LiDAR stay healthy: the level never leaves NOMINAL.
    expect(timeline(states).degradation.map((seg) => [ms(seg.from), seg.value])).toEqual([[0, "NOMINAL"]]);
    // The silence does not count against the radar's rate after it returns: not judged (null)
    // until a full 2 s window after the last silent tick (3900 ms), then 20 Hz.
    const rateAt = (ms: number) => states.find((s) => s.stamp === t(ms))!.health.sensors[2]!.rateHz;
    // (Counter snapshots are taken at bundle emission, so a 2 s window holds 39 or 40 frames.)
    expect(rateAt(1900)).toBeNull();
    expect([rateAt(2000)! >= 19.5, rateAt(2000)! <= 20]).toEqual([true, true]);
    expect([rateAt(4500), rateAt(5800)]).toEqual([null, null]);
    expect([rateAt(5900)! >= 19.5, rateAt(5900)! <= 20]).toEqual([true, true]);
  });

  it("a radar absent for the whole run is MISSING from the first tick; camera + LiDAR keep the level NOMINAL", async () => {
    const states = await replay({ radar: () => false }, 2000);
    expect(changes(states, "radar_front")).toEqual([[0, "MISSING"]]);
    expect(states[0]!.health.sensors[2]!.reason).toBe("never seen (sync: missing)");
    expect(new Set(states.map((s) => s.health.degradation))).toEqual(new Set(["NOMINAL"]));
  });

  it("a camera frozen from 1.0 s is FAILED after 5 identical frames; LiDAR + radar keep NOMINAL; losing radar too → MINIMAL_RISK", async () => {
    const states = await replay({ frozenCameraFromMs: 1000, radar: (ms) => ms < 3000 }, 5000);
    expect(changes(states, "cam_front")).toEqual([
      [0, "OK"],
      [1400, "FAILED"],
    ]);
    // Radar silent from 3000 ms: STALE (unusable) from the 3200 ms tick; only LiDAR is left.
    const tl = timeline(states);
    expect(tl.degradation.map((seg) => [ms(seg.from), seg.value, seg.reason])).toEqual([
      [0, "NOMINAL", "none"],
      [3200, "MINIMAL_RISK", "pull over to the shoulder (minimal risk manoeuvre)"],
    ]);
    expect(tl.format()[1]).toBe("cam_front (camera): OK 0.0–1.3 s, FAILED 1.4–4.9 s (frozen: 5 consecutive frames with identical content)");
  });
});
