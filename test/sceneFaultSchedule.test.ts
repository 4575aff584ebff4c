import { selectBackend } from "../src/runtime/selectBackend";
import { checkFaultSchedule, sightSpeedKmh, type FaultScheduleCheck, type SceneState, type SensorHealthReport } from "../src/scene";
import { toSceneJson } from "../src/sinks/sceneJson";
import { loadScenario } from "../src/sim/loadScenario";
import { SIM_START_NS } from "../src/sim/simulate";
import { msToNs, nsToMs, secToNs, type Nanos } from "../src/types";
import { BufferReadable } from "../src/sources/mcap/BufferReadable";
import { inClearAir, runRecordingThroughPipeline, runScenarioThroughPipeline, type FaultRun } from "./sceneFaultRun";

/**
 * End to end: the simulator → MCAP → createScenePipeline (decode, sync, the shipped encoders on
 * wasm, tracker, scene) on a short drive with a fault schedule, run twice — as written (fog) and
 * in clear air (same seed, actors and faults) — and the health timeline checked against the
 * schedule read from the scenario itself (recordings/scenarios/health-fog-dropout.yaml).
 */

const SCENARIO = loadScenario("health-fog-dropout");
const DROPOUT = SCENARIO.faults.find((f) => f.type === "dropout")!;
const FROZEN = SCENARIO.faults.find((f) => f.type === "frozen")!;
const FOG_M = SCENARIO.weather.visibilityM!;

let fog: FaultRun;
let clear: FaultRun;

beforeAll(async () => {
  expect([DROPOUT.sensor, FROZEN.sensor, typeof FOG_M]).toEqual(["lidar", "camera", "number"]);
  await selectBackend({ backend: "wasm", log: () => undefined });
  fog = await runScenarioThroughPipeline(SCENARIO);
  clear = await runScenarioThroughPipeline(inClearAir(SCENARIO));
}, 300_000);

const at = (s: number): Nanos => SIM_START_NS + secToNs(s);
const states = (run: FaultRun): SceneState[] => run.ticks.map((t) => t.scene);
const sensorOf = (run: FaultRun, kind: string): string => run.plan.sensors.find((s) => s.kind === kind)!.sensorId;
const reportOf = (s: SceneState, id: string): SensorHealthReport => s.health.sensors.find((r) => r.sensorId === id)!;
const check = (run: FaultRun): FaultScheduleCheck => checkFaultSchedule(states(run), SCENARIO.faults, SIM_START_NS);
const tickMs = (run: FaultRun): number => 1000 / run.plan.sync.tick.rateHz;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const during = (s: SceneState, from: number, to: number | undefined): boolean =>
  s.stamp >= at(from) && (to === undefined || s.stamp < at(to));

describe("scene health against the scenario's fault schedule (simulator → real pipeline → scene)", () => {
  it("emits one scene state per tick at the tick rate, through the freeze and the dropout", () => {
    for (const run of [fog, clear]) {
      const c = check(run);
      const period = tickMs(run);
      expect(c.maxGapMs).toBe(period);
      // Every tick of the drive: the grid from 0 s to the end, possibly minus the last (flushed at end of input).
      const expected = Math.round((SCENARIO.durationS * 1000) / period);
      expect(c.ticks).toBeGreaterThanOrEqual(expected - 1);
      expect(c.ticks).toBeLessThanOrEqual(expected + 1);
      const inDropout = states(run).filter((s) => during(s, DROPOUT.fromS, DROPOUT.toS)).length;
      expect(inDropout).toBe(Math.round(((DROPOUT.toS! - DROPOUT.fromS) * 1000) / period));
      // Each state leaves the aligner at its deadline on the recording clock, which advances with
      // arriving messages: at most one radar period (the most frequent sensor) after it.
      const latest = run.plan.sync.deadlineMs! + 1000 / SCENARIO.sensors.radar.rateHz;
      const waits = run.ticks.map((t) => nsToMs(t.synced.emittedAt - t.synced.tick));
      expect(waits.filter((w) => w > latest)).toEqual([]);
    }
  });

  it("reports the dropped LiDAR STALE, then MISSING, within bounds derived from the config, and re-admits it within 1 s", () => {
    for (const run of [fog, clear]) {
      const lidar = sensorOf(run, "lidar");
      const period = tickMs(run);
      const sensorPeriod = 1000 / SCENARIO.sensors.lidar.rateHz;
      const staleAge = run.scene.health.sensors.find((s) => s.id === lidar)!.staleAgeMs ?? run.scene.health.staleAgeMs;
      // The last sweep before the dropout is stamped less than one sensor period before it and is
      // used by a tick less than one period after it; STALE is the first tick more than staleAgeMs
      // after that one. MISSING is sync's verdict once the newest data is older than staleAfterMs.
      const staleBound = sensorPeriod + staleAge + period;
      const missingBound = run.plan.sync.staleAfterMs! + period;
      const r = check(run).responses.find((x) => x.type === "dropout")!;
      expect(r.sensorId).toBe(lidar);
      expect(r.detectedAs).toBe("STALE");
      expect(r.detectedAfterStartMs).toBeLessThanOrEqual(staleBound);
      expect(r.missingAfterStartMs).toBeGreaterThanOrEqual(run.plan.sync.staleAfterMs! - sensorPeriod);
      expect(r.missingAfterStartMs).toBeLessThanOrEqual(missingBound);
      // Frames are used again from the first tick after the return, and the status is back within 1 s.
      expect(r.includedAfterEndMs).toBeLessThanOrEqual(sensorPeriod);
      expect(r.readmittedAfterEndMs).toBeLessThanOrEqual(1000);
      // ... as the status it had before the dropout: OK in clear air, DEGRADED (quality) in fog.
      const before = reportOf(
        states(run)
          .filter((s) => s.stamp < at(DROPOUT.fromS))
          .at(-1)!,
        lidar,
      ).status;
      expect(r.readmittedAs).toBe(run === clear ? "OK" : "DEGRADED");
      expect(before).toBe(r.readmittedAs);
      // While it is gone: never used, and reported down from detection to the return.
      const gone = states(run).filter((s) => s.stamp >= at(DROPOUT.fromS) + msToNs(r.detectedAfterStartMs!) && s.stamp < at(DROPOUT.toS!));
      expect(gone.length).toBeGreaterThan(5);
      for (const s of gone) {
        const h = reportOf(s, lidar);
        expect([h.included, ["STALE", "MISSING"].includes(h.status)]).toEqual([false, true]);
        // Its data age grows with the silence.
        expect(h.ageMs!).toBeGreaterThanOrEqual(nsToMs(s.stamp - at(DROPOUT.fromS)));
      }
      expect(reportOf(gone.at(-1)!, lidar).reason).toMatch(/^no data for \d+ ms \(sync: missing\)/);
    }
  });

  it("flags the frozen camera FAILED with the reason, and takes it back after the freeze", () => {
    for (const run of [fog, clear]) {
      const cam = sensorOf(run, "camera");
      const frozenFrames = run.scene.health.frozenFrames;
      const r = check(run).responses.find((x) => x.type === "frozen")!;
      expect(r.sensorId).toBe(cam);
      // frozenFrames identical frames, one per tick (15 Hz camera, 10 Hz ticks), counting the last live one.
      expect(r.detectedAfterStartMs).toBeLessThanOrEqual(frozenFrames * tickMs(run));
      const failed = states(run).find((s) => s.stamp === at(FROZEN.fromS) + msToNs(r.detectedAfterStartMs!))!;
      expect(reportOf(failed, cam).reason).toMatch(/^frozen: \d+ consecutive frames with identical content/);
      expect(r.readmittedAfterEndMs).toBeLessThanOrEqual(1000);
      expect(r.readmittedAs).toBe(run === clear ? "OK" : "DEGRADED");
      // No FAILED outside the freeze (+ the recovery second).
      const outside = states(run).filter((s) => !during(s, FROZEN.fromS, FROZEN.toS! + 1));
      expect(outside.filter((s) => reportOf(s, cam).status === "FAILED")).toEqual([]);
    }
  });

  it("fog lowers camera and LiDAR quality and the estimated visibility, raises the degradation level; radar stays OK", () => {
    const quality = (run: FaultRun, kind: string): number => {
      const id = sensorOf(run, kind);
      const live = states(run).filter((s) => !during(s, FROZEN.fromS, FROZEN.toS! + 0.5) && reportOf(s, id).included);
      return median(live.map((s) => reportOf(s, id).quality!));
    };
    const q = {
      fogCamera: quality(fog, "camera"),
      clearCamera: quality(clear, "camera"),
      fogLidar: quality(fog, "lidar"),
      clearLidar: quality(clear, "lidar"),
    };
    // Below the DEGRADED threshold in fog, well above it in clear air.
    const threshold = fog.scene.health.degradedQualityBelow;
    expect([q.fogCamera < threshold, q.fogLidar < threshold, q.clearCamera >= threshold + 0.2, q.clearLidar >= threshold + 0.2]).toEqual([
      true,
      true,
      true,
      true,
    ]);

    const d = fog.scene.degradation;
    const vis = (run: FaultRun) => states(run).map((s) => s.health.visibilityM);
    // Clear air reads as clear (above the nominal limit) on every tick; fog reads between the
    // minimal-risk and nominal limits on every tick, and its median within 2× of the truth
    // (measured: 43–44 m over five seeds; the curves come from the training scenes).
    expect(vis(clear).filter((v) => v === null || v < d.nominalVisibilityM)).toEqual([]);
    expect(vis(fog).filter((v) => v === null || v < d.minimalRiskVisibilityM || v >= d.nominalVisibilityM)).toEqual([]);
    const fogMedian = median(vis(fog) as number[]);
    expect(fogMedian).toBeGreaterThan(FOG_M / 2);
    expect(fogMedian).toBeLessThan(FOG_M * 2);

    // Degradation: NOMINAL throughout in clear air (the faults leave two healthy modalities);
    // never NOMINAL in fog, with a speed no higher than stopping within the true visibility allows.
    expect(new Set(states(clear).map((s) => s.health.degradation))).toEqual(new Set(["NOMINAL"]));
    const fogLevels = states(fog).map((s) => s.health.degradation);
    expect(fogLevels.filter((l) => l === "NOMINAL")).toEqual([]);
    const sight = sightSpeedKmh(FOG_M, d);
    for (const s of states(fog)) {
      const speed = /reduce speed to (\d+) km\/h/.exec(s.health.recommendedFallback);
      if (s.health.degradation === "DEGRADED") expect(Number(speed?.[1])).toBeLessThanOrEqual(sight);
    }
    // Radar is OK on every tick of both runs.
    for (const run of [fog, clear]) {
      const radar = sensorOf(run, "radar");
      expect(states(run).filter((s) => reportOf(s, radar).status !== "OK")).toEqual([]);
    }
  });

  it("no status change that the schedule does not explain: no false transitions in clear air, no flapping in fog", () => {
    expect(check(clear).unscheduled).toEqual([]);
    expect(check(fog).unscheduled).toEqual([]);
  });

  it("a radar absent for the whole drive (clear recording replayed without its topic) is MISSING from the first tick; ticks keep coming, NOMINAL", async () => {
    const radar = sensorOf(clear, "radar");
    const topic = clear.plan.sensors.find((s) => s.sensorId === radar)!.topics;
    const run = await runRecordingThroughPipeline(new BufferReadable(clear.bytes), {
      topics: (all) => all.filter((t) => !topic.includes(t)),
    });
    const all = run.ticks.map((t) => t.scene);
    expect(all.map((s) => s.stamp)).toEqual(states(clear).map((s) => s.stamp));
    for (const s of all) expect([reportOf(s, radar).status, reportOf(s, radar).included]).toEqual(["MISSING", false]);
    expect(reportOf(all[0]!, radar).reason).toBe("never seen (sync: missing)");
    // Camera and LiDAR are healthy (the freeze and the dropout each leave one of them): NOMINAL but
    // while one of them is down as well, and until the level's hold has passed after its return
    // (sensor re-admission within 1 s, then degradation.recoverMs).
    const levels = all.map((s) => s.health.degradation);
    const after = 1 + run.scene.degradation.recoverMs / 1000;
    const bothUp = all.filter(
      (s, i) => !during(s, FROZEN.fromS, FROZEN.toS! + after) && !during(s, DROPOUT.fromS, DROPOUT.toS! + after) && levels[i] !== "NOMINAL",
    );
    expect(bothUp).toEqual([]);
    // Camera frozen (FAILED) and radar gone: LiDAR is the only forward modality left.
    const cam = sensorOf(clear, "camera");
    const frozenTicks = all.filter((s) => reportOf(s, cam).status === "FAILED");
    expect(frozenTicks.length).toBeGreaterThan(5);
    for (const s of frozenTicks)
      expect([s.health.degradation, s.health.recommendedFallback]).toEqual([
        "MINIMAL_RISK",
        "pull over to the shoulder (minimal risk manoeuvre)",
      ]);
  }, 120_000);

  it("every tick's health carries status with reason, data age, rate, quality, included, skew, visibility and the level with a fallback", () => {
    for (const run of [fog, clear]) {
      const all = states(run);
      for (const s of all) {
        const h = toSceneJson(s).health;
        expect([typeof h.degradation, typeof h.fallback, typeof h.reason, typeof h.syncSkewMs]).toEqual([
          "string",
          "string",
          "string",
          "number",
        ]);
        expect(h.fallback.length).toBeGreaterThan(0);
        expect(h.sensors.map((x) => x.sensorId).sort()).toEqual(run.plan.sensors.map((p) => p.sensorId).sort());
        for (const r of h.sensors) {
          expect(r.reason.length).toBeGreaterThan(0);
          // A LiDAR sweep or an audio chunk is used for the tick its capture ends at, so the first
          // tick has none yet: no age or quality for those then; every sensor has both from the second tick on.
          if (s === all[0] && (r.kind === "lidar" || r.kind === "audio")) continue;
          expect(typeof r.ageMs).toBe("number");
          expect(typeof r.quality).toBe("number");
          expect(typeof r.included).toBe("boolean");
        }
        // The skew reported is the largest among the sensors used.
        const skews = s.health.sensors.filter((r) => r.included).map((r) => Math.abs(r.skewMs!));
        expect(s.health.syncSkewMs).toBeCloseTo(Math.max(0, ...skews), 6);
      }
      // The rate is measured once a full window has passed; each sensor's rate is then near its nominal one.
      const late = all.at(-1)!;
      const rate = (kind: string) => reportOf(late, sensorOf(run, kind)).rateHz;
      expect(rate("radar")).toBeCloseTo(SCENARIO.sensors.radar.rateHz, -0.5);
      expect(rate("camera")).toBeCloseTo(SCENARIO.sensors.camera.rateHz, -0.5);
    }
  });
});
