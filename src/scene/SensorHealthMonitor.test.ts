import { msToNs, type SensorSyncCounters } from "../types";
import { SensorHealthMonitor } from "./SensorHealthMonitor";
import type { SensorHealthReport, SensorObservation } from "./types";

const T0 = 1_700_000_000_000_000_000n;
const tickAt = (i: number) => T0 + msToNs(i * 100); // 10 Hz ticks

function counters(received: number): SensorSyncCounters {
  return { received, included: received, late: 0, reordered: 0, duplicate: 0, overflow: 0, unused: 0 };
}

const included = (sensorId: string, extra: Partial<SensorObservation> = {}): SensorObservation => ({
  sensorId,
  status: "included",
  age: msToNs(5),
  skew: msToNs(-3),
  quality: 0.9,
  ...extra,
});

function run(monitor: SensorHealthMonitor, from: number, to: number, obs: (i: number) => SensorObservation[]): SensorHealthReport[][] {
  const out: SensorHealthReport[][] = [];
  for (let i = from; i < to; i++) out.push(monitor.update(tickAt(i), obs(i)));
  return out;
}

const statusOf = (reports: SensorHealthReport[][], id = "lidar"): string[] => reports.map((r) => r.find((s) => s.sensorId === id)!.status);

describe("SensorHealthMonitor", () => {
  it("a sensor that dies goes STALE, then MISSING, and is OK again only after the hysteresis", () => {
    const m = new SensorHealthMonitor({ sensors: [{ id: "lidar", kind: "lidar" }], staleAgeMs: 250, recoverTicks: 3, recoverMs: 200 });
    // 0..9 alive; 10..29 dead (sync: stale until its 1 s limit, then missing); 30.. back.
    const reports = run(m, 0, 36, (i) => {
      if (i < 10) return [included("lidar")];
      if (i < 30) {
        const age = msToNs((i - 9) * 100);
        return [{ sensorId: "lidar", status: i < 20 ? "stale" : "missing", age }];
      }
      return [included("lidar")];
    });
    const s = statusOf(reports);
    expect(s.slice(0, 10)).toEqual(Array(10).fill("OK"));
    // Between frames for up to 250 ms: ticks 10, 11 (100, 200 ms silent) keep OK; 300 ms → STALE.
    expect(s.slice(10, 13)).toEqual(["OK", "OK", "STALE"]);
    expect(s.slice(13, 20)).toEqual(Array(7).fill("STALE"));
    expect(s.slice(20, 30)).toEqual(Array(10).fill("MISSING"));
    // Back at tick 30: three good ticks (30, 31, 32) span 200 ms → OK at 32.
    expect(s.slice(30, 36)).toEqual(["MISSING", "MISSING", "OK", "OK", "OK", "OK"]);
    const atStale = reports[12]![0]!;
    expect(atStale.reason).toBe("no frame used for 300 ms (> 250 ms), newest data 300 ms old");
    expect(atStale.since).toBe(tickAt(12));
    expect(atStale.included).toBe(false);
    expect(reports[25]![0]!.reason).toBe("no data for 1600 ms (sync: missing)");
    expect(reports[31]![0]!.reason).toBe("no data for 2000 ms (sync: missing); recovering (OK for 2/3 ticks)");
    expect(reports[32]![0]!.since).toBe(tickAt(32));
  });

  it("in fog, a low-quality sensor that drops out comes back DEGRADED, never passing through OK (as in test/sceneFaultSchedule)", () => {
    const m = new SensorHealthMonitor({ sensors: [{ id: "lidar", kind: "lidar" }], staleAgeMs: 250, recoverTicks: 3, recoverMs: 200 });
    // 0..9 alive at quality 0.02; 10..24 silent (sync stale, then missing after 1 s); 25.. back, still 0.02.
    const reports = run(m, 0, 32, (i) =>
      i < 10 || i >= 25
        ? [included("lidar", { quality: 0.02 })]
        : [{ sensorId: "lidar", status: i < 20 ? "stale" : "missing", age: msToNs((i - 9) * 100) }],
    );
    const s = statusOf(reports);
    expect(s).toEqual([
      ...Array(10).fill("DEGRADED"),
      "DEGRADED",
      "DEGRADED",
      ...Array(8).fill("STALE"),
      ...Array(5).fill("MISSING"),
      // Frames again at 25: used at once (included), the status follows after 3 ticks / 200 ms.
      "MISSING",
      "MISSING",
      ...Array(5).fill("DEGRADED"),
    ]);
    expect(reports[25]![0]!.included).toBe(true);
    expect(reports[27]![0]!.reason).toBe("encoder quality 0.02 (degraded below 0.5, recovers at ≥ 0.6)");
  });

  it("a DEGRADED sensor back from an outage is judged on its new frames: DEGRADED while they are poor, OK once good", () => {
    const m = new SensorHealthMonitor({ sensors: [{ id: "cam", kind: "camera" }], recoverTicks: 1, recoverMs: 0 });
    // Low quality, then silent (missing): the low-quality verdict is kept from the last frame seen.
    const reports = run(m, 0, 6, (i) =>
      i < 2
        ? [included("cam", { quality: 0.2 })]
        : i < 4
          ? [{ sensorId: "cam", status: "missing", age: msToNs(1500) }]
          : [included("cam", { quality: i === 4 ? 0.3 : 0.9 })],
    );
    expect(statusOf(reports, "cam")).toEqual(["DEGRADED", "DEGRADED", "MISSING", "MISSING", "DEGRADED", "OK"]);
  });

  it("reports a never-seen sensor MISSING at the first tick", () => {
    const m = new SensorHealthMonitor({
      sensors: [
        { id: "cam", kind: "camera" },
        { id: "lidar", kind: "lidar" },
      ],
    });
    const [r] = run(m, 0, 1, () => [included("lidar")]);
    expect(r!.map((s) => [s.sensorId, s.status, s.reason])).toEqual([
      ["cam", "MISSING", "never seen (sync: missing)"],
      ["lidar", "OK", "ok"],
    ]);
  });

  it("recoverMs holds a recovery back even after recoverTicks good ticks", () => {
    const m = new SensorHealthMonitor({ sensors: [{ id: "lidar", kind: "lidar" }], recoverTicks: 2, recoverMs: 500 });
    const s = statusOf(run(m, 0, 10, (i) => (i === 0 ? [{ sensorId: "lidar", status: "missing" }] : [included("lidar")])));
    // Good from tick 1 (t = 100 ms); 500 ms later is tick 6.
    expect(s).toEqual(["MISSING", "MISSING", "MISSING", "MISSING", "MISSING", "MISSING", "OK", "OK", "OK", "OK"]);
  });

  it("a 10 Hz sensor on a 20 Hz tick stays OK between its frames", () => {
    const m = new SensorHealthMonitor({ sensors: [{ id: "radar", kind: "radar", expectedRateHz: 10 }] });
    const reports: SensorHealthReport[][] = [];
    for (let i = 0; i < 60; i++) {
      const t = T0 + msToNs(i * 50);
      const obs: SensorObservation =
        i % 2 === 0
          ? { ...included("radar"), counters: counters(i / 2 + 1) }
          : { sensorId: "radar", status: "stale", age: msToNs(50), counters: counters((i + 1) / 2) };
      reports.push(m.update(t, [obs]));
    }
    expect(new Set(statusOf(reports, "radar"))).toEqual(new Set(["OK"]));
    expect(reports[59]![0]!.rateHz).toBeCloseTo(10, 5);
  });

  it("low encoder quality → DEGRADED, with a hysteresis band on the way back", () => {
    const m = new SensorHealthMonitor({
      sensors: [{ id: "cam", kind: "camera" }],
      degradedQualityBelow: 0.5,
      qualityHysteresis: 0.1,
      recoverTicks: 1,
      recoverMs: 0,
    });
    const q = [0.9, 0.45, 0.55, 0.59, 0.61, 0.52, 0.49];
    const reports = run(m, 0, q.length, (i) => [included("cam", { quality: q[i]! })]);
    expect(statusOf(reports, "cam")).toEqual(["OK", "DEGRADED", "DEGRADED", "DEGRADED", "OK", "OK", "DEGRADED"]);
    expect(reports[1]![0]!.reason).toBe("encoder quality 0.45 (degraded below 0.5, recovers at ≥ 0.6)");
    expect(reports[1]![0]!.quality).toBe(0.45);
  });

  it("a rate below minRateFraction of the expected rate over a full window → DEGRADED", () => {
    const m = new SensorHealthMonitor({
      sensors: [{ id: "lidar", kind: "lidar", expectedRateHz: 10 }],
      rateWindowMs: 1000,
      minRateFraction: 0.7,
    });
    // Every tick a 10 Hz tick, but only every second tick brought a frame (5 Hz).
    let received = 0;
    const reports = run(m, 0, 25, (i) => {
      if (i % 2 === 0) received++;
      return [{ ...included("lidar"), counters: counters(received) }];
    });
    const s = statusOf(reports);
    // Not judged before the window is full (tick 10 = 1000 ms after tick 0).
    expect(s.slice(0, 10)).toEqual(Array(10).fill("OK"));
    expect(reports[9]![0]!.rateHz).toBeNull();
    expect(s[10]).toBe("DEGRADED");
    expect(reports[10]![0]!.rateHz).toBeCloseTo(5, 5);
    expect(reports[10]![0]!.reason).toBe("rate 5.0 Hz < 70% of expected 10 Hz over 1000 ms");
  });

  it("repeated decode errors → FAILED (with the decoder's reason), recovering once they stop", () => {
    const m = new SensorHealthMonitor({
      sensors: [{ id: "radar", kind: "radar" }],
      rateWindowMs: 1000,
      failDecodeErrors: 3,
      failDecodeErrorRatio: 0.5,
      recoverTicks: 3,
      recoverMs: 0,
    });
    let decoded = 0;
    let errors = 0;
    const reports = run(m, 0, 40, (i) => {
      if (i >= 5 && i < 15) errors++;
      else decoded++;
      const decode = { decoded, errors, lastReason: "radar_front offset 12: expected 64 bytes, got 12" };
      return i >= 5 && i < 15 ? [{ sensorId: "radar", status: "missing", decode }] : [{ ...included("radar"), decode }];
    });
    const s = statusOf(reports, "radar");
    expect(s.slice(0, 5)).toEqual(Array(5).fill("OK"));
    // Counted since the first sample (tick 0): at tick 7, 3 errors of 7 messages (< 50 %); at tick 8, 4 of 8 → FAILED.
    expect(s.slice(5, 9)).toEqual(["MISSING", "MISSING", "MISSING", "FAILED"]);
    expect(reports[8]![0]!.reason).toBe(
      "4 of 8 messages failed to decode in the last 800 ms: radar_front offset 12: expected 64 bytes, got 12",
    );
    expect(reports[8]![0]!.malformed).toBe(4);
    // Errors stop at tick 15; the window (1 s) still holds ≥ 3 errors making ≥ 50 % until they slide out.
    const firstOk = s.indexOf("OK", 15);
    expect(s.slice(8, 20)).toEqual(Array(12).fill("FAILED"));
    expect(firstOk).toBeGreaterThan(20);
    expect(firstOk).toBeLessThan(30);
    expect(s.slice(firstOk)).toEqual(Array(40 - firstOk).fill("OK"));
  });

  it("a frozen camera (identical frames) → FAILED, OK again once frames change", () => {
    const m = new SensorHealthMonitor({ sensors: [{ id: "cam", kind: "camera" }], frozenFrames: 4, recoverTicks: 2, recoverMs: 0 });
    const digests = [1, 2, 3, 7, 7, 7, 7, 7, 8, 9, 10, 11];
    const reports = run(m, 0, digests.length, (i) => [included("cam", { digest: digests[i]! })]);
    expect(statusOf(reports, "cam")).toEqual(["OK", "OK", "OK", "OK", "OK", "OK", "FAILED", "FAILED", "FAILED", "OK", "OK", "OK"]);
    expect(reports[6]![0]!.reason).toBe("frozen: 4 consecutive frames with identical content");
  });

  it("a worse status is reported at once even while recovering", () => {
    const m = new SensorHealthMonitor({ sensors: [{ id: "lidar", kind: "lidar" }], recoverTicks: 5, recoverMs: 0 });
    const plan: Array<"missing" | "included" | "low"> = ["missing", "included", "included", "low", "included", "included", "missing"];
    const reports = run(m, 0, plan.length, (i) =>
      plan[i] === "missing" ? [{ sensorId: "lidar", status: "missing" }] : [included("lidar", { quality: plan[i] === "low" ? 0.1 : 0.9 })],
    );
    // Ticks 1..5 are better than MISSING; after 5 of them the worst seen in that streak (DEGRADED) is
    // adopted, and the dropout at tick 6 is reported at once.
    expect(statusOf(reports)).toEqual(["MISSING", "MISSING", "MISSING", "MISSING", "MISSING", "DEGRADED", "MISSING"]);
    const m2 = new SensorHealthMonitor({ sensors: [{ id: "lidar", kind: "lidar" }], recoverTicks: 1, recoverMs: 0 });
    const s2 = statusOf(
      run(m2, 0, plan.length, (i) =>
        plan[i] === "missing"
          ? [{ sensorId: "lidar", status: "missing" }]
          : [included("lidar", { quality: plan[i] === "low" ? 0.1 : 0.9 })],
      ),
    );
    expect(s2).toEqual(["MISSING", "OK", "OK", "DEGRADED", "OK", "OK", "MISSING"]);
  });

  it("sensors that keep being late turn STALE with the reason", () => {
    const m = new SensorHealthMonitor({ sensors: [{ id: "cam", kind: "camera" }], staleAgeMs: 150 });
    const reports = run(m, 0, 5, (i) => (i === 0 ? [included("cam")] : [{ sensorId: "cam", status: "late", age: msToNs(20) }]));
    expect(statusOf(reports, "cam")).toEqual(["OK", "OK", "STALE", "STALE", "STALE"]);
    expect(reports[2]![0]!.reason).toBe("frames arrive after their tick's deadline; none used for 200 ms (> 150 ms)");
  });

  it("reports counters, skew and age, and ignores unknown sensors", () => {
    const m = new SensorHealthMonitor({ sensors: [{ id: "lidar", kind: "lidar" }] });
    const [r] = run(m, 0, 1, () => [
      { ...included("lidar"), counters: { ...counters(10), late: 1, overflow: 2, reordered: 3, duplicate: 4 } },
      included("ghost"),
    ]);
    expect(r).toEqual([
      {
        sensorId: "lidar",
        kind: "lidar",
        status: "OK",
        reason: "ok",
        since: tickAt(0),
        ageMs: 5,
        rateHz: null,
        quality: 0.9,
        included: true,
        skewMs: -3,
        dropped: 10,
        malformed: 0,
      },
    ]);
    expect([...m.unknownSensors]).toEqual(["ghost"]);
  });

  it("rejects bad configuration with one line naming the field", () => {
    expect(() => new SensorHealthMonitor({ sensors: [] })).toThrow("scene health config: sensors: at least one sensor is needed");
    expect(() => new SensorHealthMonitor({ sensors: [{ id: "a", kind: "lidar", expectedRateHz: 2 }], staleAgeMs: 250 })).toThrow(
      'scene health config: sensors.0.staleAgeMs: 250 ms is shorter than the period of "a" (500.0 ms at 2 Hz); it would flap to STALE between frames',
    );
    expect(() => new SensorHealthMonitor({ sensors: [{ id: "a", kind: "sonar" as "lidar" }] })).toThrow(
      "scene health config: sensors.0.kind: expected camera, lidar, radar or audio",
    );
    expect(() => new SensorHealthMonitor({ sensors: [{ id: "a", kind: "lidar" }], frozenFrames: 1 })).toThrow(
      "frozenFrames: must be 0 (off) or ≥ 2",
    );
  });
});
