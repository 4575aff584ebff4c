import { SCENE_TOPIC, SCENE_UPDATE_TOPIC } from "../sinks/sceneOutputs";
import { promises as fsp } from "fs";
import * as path from "path";
import { concatMap, lastValueFrom, Observable, take, tap } from "rxjs";
import { VENDOR_CLASSIFY } from "../decode/vendorDecoders";
import type { ModelFiles } from "../runtime/modelFiles";
import type { FusionHead } from "../fusion/fusionHead";
import { createScenePipelineFromFeed, planPipeline, type MessageFeed, type ScenePipelineRun, type SceneTick } from "../pipeline";
import { encodeProto } from "../schemas/protoRegistry";
import { toSceneProto } from "../sinks/sceneProto";
import { FileWritable } from "../sinks/mcap/FileWritable";
import { McapSink } from "../sinks/mcap/McapSink";
import { toSceneUpdate } from "../sinks/mcap/sceneUpdate";
import { FileReadable } from "../sources/mcap/FileReadable";
import { inspectRecording } from "../sources/mcap/inspectRecording";
import { createDiagnostics, readMessageBatches, readRecording } from "../sources/mcap/readRecording";
import type { SensorMessage, SyncedBundle } from "../types";
import { nsToMs } from "../types/time";
import { intervalSummary, LatencyRecorder } from "./histogram";
import { loadAvg } from "./machine";
import type { BenchScenario } from "./scenarios";
import type { ScenarioResult } from "./types";

/** Output topics of the sink the bench runs (the same as `replay --out`). */

export const E2E_DEFINITIONS = {
  lossless:
    "per included frame: (bundle emission − frame stamp) on the recording clock (transport + sync wait) + the tick's decode time + wall time from the bundle's emission to its scene written by the sink; the bench plays the recording one tick at a time (the next message is read once the previous tick is through the sink), so no tick waits behind or overlaps another",
  realtime:
    "per included frame: wall time when the sink had written its scene state − wall time at which the frame's stamp was played (first message's wall time + (stamp − first log time)); includes queueing and drops",
} as const;

export type RunScenarioOptions = {
  models: { files: ModelFiles; dir?: string };
  /** Where the scene MCAP the sink writes goes (deleted afterwards). */
  scratchDir: string;
  fusionHead?: FusionHead;
  onWarning?: (line: string) => void;
  /** Stop after this many ticks (warm-up runs). */
  maxTicks?: number;
};

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

export type ScenarioRun = { result: ScenarioResult; series: ScenarioSeries };

const round2 = (v: number): number => Math.round(v * 100) / 100;

/**
 * Replays one simulated recording through the whole pipeline (decode → sync → encoders → fusion →
 * scene → MCAP scene writer) and measures it. Lossless scenarios run as fast as the pipeline goes;
 * the real-time one is paced at ×1 and drops ticks to the newest while the pipeline is busy.
 */
export async function runScenario(spec: BenchScenario, file: string, options: RunScenarioOptions): Promise<ScenarioRun> {
  const source = await FileReadable.open(file);
  const stages = new Map<string, LatencyRecorder>();
  const stage = (name: string): LatencyRecorder => {
    let r = stages.get(name);
    if (!r) stages.set(name, (r = new LatencyRecorder([])));
    return r;
  };
  const e2e = new LatencyRecorder([50, 100], true);
  const fromArrival = new LatencyRecorder([50, 100]);
  const fromCaptureEnd = new LatencyRecorder([50, 100]);
  const afterSync = new LatencyRecorder([50, 100]);
  const bySensor = new Map<string, LatencyRecorder>();
  const captureNs = new Map<string, bigint>();
  const series: ScenarioSeries = { tickTimeS: [], tickE2eMs: [], e2eMs: e2e.samples, counted: [] };
  const emitted: number[] = [];
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
  sampler.unref();
  const loadStart = loadAvg();
  const sinkFile = path.join(options.scratchDir, `bench-${spec.name}-${process.pid}.mcap`);
  let pipeline: ScenePipelineRun | undefined;
  try {
    const inspection = await inspectRecording(source, { classify: VENDOR_CLASSIFY });
    const plan = planPipeline(inspection, { tickHz: 10 });
    if (plan.sensors.length === 0) throw new Error(`${file}: no sensor the pipeline can use`);
    // A sweep or a chunk is stamped at its start and ends a period later.
    for (const s of plan.sensors) {
      if ((s.kind === "lidar" || s.kind === "audio") && s.rateHz !== null && s.rateHz > 0.5)
        captureNs.set(s.sensorId, BigInt(Math.round(1e9 / s.rateHz)));
    }

    // Decode time of the messages delivered since the previous bundle = this tick's decode share.
    let decodeSinceBundle = 0;
    const decodeOfTick = new WeakMap<SyncedBundle, number>();
    // Lossless: one tick at a time through the whole pipeline and the sink (see E2E_DEFINITIONS).
    let alignedCount = 0;
    let sunkCount = 0;
    const sinkWaiters: (() => void)[] = [];
    const allSunk = (): Promise<void> => new Promise((resolve) => (sunkCount >= alignedCount ? resolve() : sinkWaiters.push(resolve)));
    const common = {
      decode: { onTiming: (ms: number) => void (decodeSinceBundle += ms) },
      onAligned: (b: SyncedBundle) => {
        decodeOfTick.set(b, decodeSinceBundle);
        decodeSinceBundle = 0;
        alignedCount++;
      },
      models: options.models,
      ...(options.fusionHead ? { fusionHead: options.fusionHead } : {}),
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    };
    // Real time: the wall time at which the first message was played, and its log time.
    let play: { wallMs: number; logTime: bigint } | undefined;
    const readDiagnostics = createDiagnostics(source.name);
    const feed: MessageFeed =
      spec.mode === "lossless"
        ? {
            mode: "lossless",
            readDiagnostics,
            messages: () =>
              new Observable<SensorMessage>((subscriber) => {
                let stopped = false;
                (async () => {
                  for await (const batch of readMessageBatches(source, { diagnostics: readDiagnostics })) {
                    for (const m of batch) {
                      if (stopped) return;
                      readDiagnostics.messagesDelivered++;
                      subscriber.next(m);
                      if (alignedCount > sunkCount) await allSunk();
                    }
                  }
                  subscriber.complete();
                })().catch((err: unknown) => subscriber.error(err));
                return () => {
                  stopped = true;
                };
              }),
          }
        : {
            mode: "latest",
            readDiagnostics,
            messages: () =>
              readRecording(source, { pacing: { mode: "realtime", rate: 1 }, diagnostics: readDiagnostics }).pipe(
                tap((m) => void (play ??= { wallMs: performance.now(), logTime: m.logTime })),
              ),
          };
    pipeline = createScenePipelineFromFeed(feed, plan, common);

    await fsp.mkdir(options.scratchDir, { recursive: true });
    const out = await FileWritable.create(sinkFile);
    const mcap = await McapSink.open(out, { library: "avfusion bench" });
    let lastLoadEnd = -Infinity;
    const seenSensors = new Set<string>();
    const triggers: Record<string, number> = {};
    let warmupTicks = 0;
    let coldStartMs = 0;
    const started = performance.now();
    const cpuStart = process.cpuUsage();
    const onTick = async (tick: SceneTick): Promise<void> => {
      const sinkStart = performance.now();
      const scene = tick.scene;
      await mcap.write(
        SCENE_TOPIC,
        "avfusion.SceneState",
        scene.stamp,
        scene.stamp,
        encodeProto("avfusion.SceneState", toSceneProto(scene)),
      );
      await mcap.write(
        SCENE_UPDATE_TOPIC,
        "foxglove.SceneUpdate",
        scene.stamp,
        scene.stamp,
        encodeProto("foxglove.SceneUpdate", toSceneUpdate(scene)),
      );
      const sinkEnd = performance.now();
      emitted.push(sinkEnd);
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      const t = tick.timing ?? { alignedMs: sinkStart, encodeStartMs: sinkStart, encodeEndMs: sinkStart, sceneMs: sinkStart };
      const lat = scene.latencyMs;
      const encodeMs = lat.encode ?? 0;
      const loadMs = t.encodeEndMs - t.encodeStartMs - encodeMs;
      const playedAt = (stamp: bigint): number => (play ? play.wallMs + nsToMs(stamp - play.logTime) : sinkStart);
      const frames = tick.synced.frames;
      let counted = true;
      // A sensor's encoder (and its model) is made on its first included frame.
      const firstOfSensor = frames.filter((f) => !seenSensors.has(f.sensorId));
      for (const f of firstOfSensor) seenSensors.add(f.sensorId);
      if (firstOfSensor.length > 0) {
        counted = false;
        coldStartMs += Math.max(0, loadMs);
        lastLoadEnd = t.encodeEndMs;
      } else if (spec.mode === "realtime" && frames.some((f) => playedAt(f.stamp) < lastLoadEnd)) {
        counted = false;
      }
      const decodeMs = decodeOfTick.get(tick.synced) ?? 0;
      const sinkMs = sinkEnd - sinkStart;
      let worst = 0;
      if (counted) {
        stage("decode").record(decodeMs);
        stage("syncWait").record(lat.syncWait ?? 0);
        // Lossless playback reads ahead on purpose, so its queue says nothing about latency.
        if (spec.mode === "realtime") stage("queue").record(Math.max(0, t.encodeStartMs - t.alignedMs));
        for (const [name, ms] of Object.entries(lat)) if (name.startsWith("encode.")) stage(name).record(ms);
        stage("encode").record(encodeMs);
        stage("fusion").record(lat.fusion ?? 0);
        stage("scene").record(lat.scene ?? 0);
        stage("sink").record(sinkMs);
        stage("overhead").record(decodeMs + (lat.fusion ?? 0) + (lat.scene ?? 0) + sinkMs);
        const computeMs = decodeMs + (sinkEnd - t.alignedMs);
        const latency = (from: bigint): number =>
          spec.mode === "realtime" ? sinkEnd - playedAt(from) : nsToMs(tick.synced.emittedAt - from) + computeMs;
        if (frames.length > 0) afterSync.record(latency(tick.synced.emittedAt));
        for (const f of frames) {
          const ms = latency(f.stamp);
          fromArrival.record(latency(f.receivedAt));
          fromCaptureEnd.record(latency(f.stamp + (captureNs.get(f.sensorId) ?? 0n)));
          e2e.record(ms);
          let r = bySensor.get(f.sensorId);
          if (!r) bySensor.set(f.sensorId, (r = new LatencyRecorder([])));
          r.record(ms);
          worst = Math.max(worst, ms);
        }
      } else {
        warmupTicks++;
      }
      triggers[tick.synced.trigger] = (triggers[tick.synced.trigger] ?? 0) + 1;
      if (frames.length > 0) {
        series.tickTimeS.push((sinkEnd - started) / 1000);
        series.tickE2eMs.push(worst);
        series.counted.push(counted);
      }
      sunkCount++;
      if (sunkCount >= alignedCount) for (const w of sinkWaiters.splice(0)) w();
    };
    try {
      const ticks = options.maxTicks === undefined ? pipeline.ticks : pipeline.ticks.pipe(take(options.maxTicks));
      await lastValueFrom(ticks.pipe(concatMap(onTick)), { defaultValue: undefined });
    } finally {
      await mcap.close().catch(() => undefined);
      await out.close().catch(() => undefined);
    }
    const wallS = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    const durationS = inspection.durationSec;
    const diag = readDiagnostics;
    const result: ScenarioResult = {
      scenario: spec.name,
      description: spec.description,
      mode: spec.mode,
      e2eDefinition: E2E_DEFINITIONS[spec.mode],
      recording: {
        file,
        durationS: round2(durationS),
        messages: inspection.topics.reduce((a, t) => a + t.messageCount, 0),
        sensors: plan.sensors.map((s) => `${s.sensorId} (${s.kind}${s.rateHz !== null ? `, ${Math.round(s.rateHz)} Hz` : ""})`),
      },
      ticks: emitted.length,
      warmupTicks,
      coldStartMs: round2(coldStartMs),
      triggers,
      droppedTicks: pipeline.droppedTicks(),
      droppedMessages: diag.messagesDropped,
      wallS: round2(wallS),
      realtimeFactor: round2(durationS / Math.max(wallS, 1e-9)),
      cpuS: round2(cpuS),
      cpuRealtimeFactor: round2(durationS / Math.max(cpuS, 1e-9)),
      e2e: { ...e2e.summary(), ...e2e.deadlineMisses() },
      e2eFromArrival: { ...fromArrival.summary(), ...fromArrival.deadlineMisses() },
      e2eFromCaptureEnd: { ...fromCaptureEnd.summary(), ...fromCaptureEnd.deadlineMisses() },
      afterSync: { ...afterSync.summary(), ...afterSync.deadlineMisses() },
      e2eBySensor: Object.fromEntries(
        [...bySensor]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([id, r]) => {
            const s = r.summary();
            return [id, { p50Ms: s.p50Ms, p99Ms: s.p99Ms, maxMs: s.maxMs, count: s.count }];
          }),
      ),
      stages: Object.fromEntries([...stages].map(([name, r]) => [name, r.summary()])),
      tickInterval: intervalSummary(emitted),
      peakRssMb: round2(peakRss / 2 ** 20),
      loadAvgStart: loadStart,
      loadAvgEnd: loadAvg(),
      decodeErrors: pipeline.decodeStats.errors,
    };
    return { result, series };
  } finally {
    clearInterval(sampler);
    await pipeline?.dispose();
    await source.close();
    await fsp.rm(sinkFile, { force: true });
  }
}
