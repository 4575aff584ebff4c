import type { SceneTick } from "../pipeline";
import { nsToMs } from "../types/time";
import { intervalSummary, LatencyRecorder } from "./histogram";
import type { BenchScenario } from "./scenarios";
import type { ScenarioResult } from "./types";

/** Per tick series for the plots (not in the JSON). */
export type ScenarioSeries = {
  /** Scene written, seconds since the run started. */
  tickTimeS: number[];
  /** The tick's worst frame e2e latency (ms). */
  tickE2eMs: number[];
  /** Every e2e sample (ms). */
  e2eMs: number[];
  /** Whether the tick counted (false = warm-up: a model load, or frames played before one finished). */
  counted: boolean[];
};

/** What a scene tick cost, as the bench measured it around the sink. */
export type SunkTick = {
  tick: SceneTick;
  sinkStart: number;
  sinkEnd: number;
  /** Decode time of the messages that led to the tick (ms). */
  decodeMs: number;
  /** Wall time (ms) at which a sensor stamp was played (real time); the sink start in lossless runs. */
  playedAt: (stamp: bigint) => number;
};

/**
 * The measurements of one bench scenario: per-stage and end-to-end latency recorders, the warm-up
 * ticks left out of them, the aligner's triggers, tick times and peak memory. `sunk` takes each
 * tick once its scene is written; `tickCounts` and `latencies` give the result's measured parts.
 */
export class ScenarioMeter {
  readonly series: ScenarioSeries;
  readonly emitted: number[] = [];
  peakRss = process.memoryUsage.rss();
  /** Wall time (ms) the measured run started. */
  started = performance.now();
  private readonly stages = new Map<string, LatencyRecorder>();
  private readonly e2e = new LatencyRecorder([50, 100], true);
  private readonly fromArrival = new LatencyRecorder([50, 100]);
  private readonly fromCaptureEnd = new LatencyRecorder([50, 100]);
  private readonly afterSync = new LatencyRecorder([50, 100]);
  private readonly bySensor = new Map<string, LatencyRecorder>();
  private readonly seenSensors = new Set<string>();
  private readonly triggers: Record<string, number> = {};
  private lastLoadEnd = -Infinity;
  private warmupTicks = 0;
  private coldStartMs = 0;

  /** `captureNs`: per sensor, how long after its stamp a capture ends (a sweep or a chunk is stamped at its start). */
  constructor(
    private readonly mode: BenchScenario["mode"],
    private readonly captureNs: ReadonlyMap<string, bigint>,
  ) {
    this.series = { tickTimeS: [], tickE2eMs: [], e2eMs: this.e2e.samples, counted: [] };
  }

  sampleRss(): void {
    this.peakRss = Math.max(this.peakRss, process.memoryUsage.rss());
  }

  sunk(s: SunkTick): void {
    this.emitted.push(s.sinkEnd);
    this.sampleRss();
    const { tick, sinkStart, sinkEnd } = s;
    const t = tick.timing ?? { alignedMs: sinkStart, encodeStartMs: sinkStart, encodeEndMs: sinkStart, sceneMs: sinkStart };
    const frames = tick.synced.frames;
    const counted = this.counts(tick, t, s.playedAt);
    let worst = 0;
    if (counted) worst = this.record(s, t);
    else this.warmupTicks++;
    this.triggers[tick.synced.trigger] = (this.triggers[tick.synced.trigger] ?? 0) + 1;
    if (frames.length > 0) {
      this.series.tickTimeS.push((sinkEnd - this.started) / 1000);
      this.series.tickE2eMs.push(worst);
      this.series.counted.push(counted);
    }
  }

  /**
   * Whether the tick counts: not when it holds a sensor's first included frame (its encoder and
   * model are made then), nor, in real time, when frames were played before the last model load ended.
   */
  private counts(tick: SceneTick, t: NonNullable<SceneTick["timing"]>, playedAt: (stamp: bigint) => number): boolean {
    const frames = tick.synced.frames;
    const firstOfSensor = frames.filter((f) => !this.seenSensors.has(f.sensorId));
    for (const f of firstOfSensor) this.seenSensors.add(f.sensorId);
    if (firstOfSensor.length > 0) {
      const loadMs = t.encodeEndMs - t.encodeStartMs - (tick.scene.latencyMs.encode ?? 0);
      this.coldStartMs += Math.max(0, loadMs);
      this.lastLoadEnd = t.encodeEndMs;
      return false;
    }
    return !(this.mode === "realtime" && frames.some((f) => playedAt(f.stamp) < this.lastLoadEnd));
  }

  /** Records a counted tick's stage times and every frame's e2e latencies; returns the tick's worst. */
  private record(s: SunkTick, t: NonNullable<SceneTick["timing"]>): number {
    const { tick, sinkStart, sinkEnd, decodeMs } = s;
    const lat = tick.scene.latencyMs;
    const sinkMs = sinkEnd - sinkStart;
    this.stage("decode").record(decodeMs);
    this.stage("syncWait").record(lat.syncWait ?? 0);
    // Lossless playback reads ahead on purpose, so its queue says nothing about latency.
    if (this.mode === "realtime") this.stage("queue").record(Math.max(0, t.encodeStartMs - t.alignedMs));
    for (const [name, ms] of Object.entries(lat)) if (name.startsWith("encode.")) this.stage(name).record(ms);
    this.stage("encode").record(lat.encode ?? 0);
    this.stage("fusion").record(lat.fusion ?? 0);
    this.stage("scene").record(lat.scene ?? 0);
    this.stage("sink").record(sinkMs);
    this.stage("overhead").record(decodeMs + (lat.fusion ?? 0) + (lat.scene ?? 0) + sinkMs);
    const computeMs = decodeMs + (sinkEnd - t.alignedMs);
    const latency = (from: bigint): number =>
      this.mode === "realtime" ? sinkEnd - s.playedAt(from) : nsToMs(tick.synced.emittedAt - from) + computeMs;
    const frames = tick.synced.frames;
    if (frames.length > 0) this.afterSync.record(latency(tick.synced.emittedAt));
    let worst = 0;
    for (const f of frames) {
      const ms = latency(f.stamp);
      this.fromArrival.record(latency(f.receivedAt));
      this.fromCaptureEnd.record(latency(f.stamp + (this.captureNs.get(f.sensorId) ?? 0n)));
      this.e2e.record(ms);
      let r = this.bySensor.get(f.sensorId);
      if (!r) this.bySensor.set(f.sensorId, (r = new LatencyRecorder([])));
      r.record(ms);
      worst = Math.max(worst, ms);
    }
    return worst;
  }

  private stage(name: string): LatencyRecorder {
    let r = this.stages.get(name);
    if (!r) this.stages.set(name, (r = new LatencyRecorder([])));
    return r;
  }

  /** The result's tick counts: ticks written, warm-up ticks and their cold-start time, the aligner's triggers. */
  tickCounts(): Pick<ScenarioResult, "ticks" | "warmupTicks" | "coldStartMs" | "triggers"> {
    return {
      ticks: this.emitted.length,
      warmupTicks: this.warmupTicks,
      coldStartMs: Math.round(this.coldStartMs * 100) / 100,
      triggers: this.triggers,
    };
  }

  /** The result's latency distributions (counted ticks only) and tick intervals. */
  latencies(): Pick<
    ScenarioResult,
    "e2e" | "e2eFromArrival" | "e2eFromCaptureEnd" | "afterSync" | "e2eBySensor" | "stages" | "tickInterval"
  > {
    return {
      e2e: { ...this.e2e.summary(), ...this.e2e.deadlineMisses() },
      e2eFromArrival: { ...this.fromArrival.summary(), ...this.fromArrival.deadlineMisses() },
      e2eFromCaptureEnd: { ...this.fromCaptureEnd.summary(), ...this.fromCaptureEnd.deadlineMisses() },
      afterSync: { ...this.afterSync.summary(), ...this.afterSync.deadlineMisses() },
      e2eBySensor: Object.fromEntries(
        [...this.bySensor]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([id, r]) => {
            const s = r.summary();
            return [id, { p50Ms: s.p50Ms, p99Ms: s.p99Ms, maxMs: s.maxMs, count: s.count }];
          }),
      ),
      stages: Object.fromEntries([...this.stages].map(([name, r]) => [name, r.summary()])),
      tickInterval: intervalSummary(this.emitted),
    };
  }
}
