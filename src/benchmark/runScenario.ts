import { promises as fsp } from "fs";
import * as path from "path";
import { concatMap, lastValueFrom, Observable, take, tap } from "rxjs";
import { VENDOR_CLASSIFY } from "../decode/vendorDecoders";
import type { ModelFiles } from "../runtime/modelFiles";
import type { FusionHead } from "../fusion/fusionHead";
import {
  createScenePipelineFromFeed,
  planPipeline,
  type MessageFeed,
  type PipelinePlan,
  type ScenePipelineRun,
  type SceneTick,
} from "../pipeline";
import { FileWritable } from "../sinks/mcap/FileWritable";
import { McapSink } from "../sinks/mcap/McapSink";
import { writeSceneToMcap } from "../sinks/sceneOutputs";
import { FileReadable } from "../sources/mcap/FileReadable";
import { inspectRecording, type RecordingInspection } from "../sources/mcap/inspectRecording";
import { createDiagnostics, readMessageBatches, readRecording } from "../sources/mcap/readRecording";
import type { SensorMessage, SyncedBundle } from "../types";
import { nsToMs } from "../types/time";
import { loadAvg } from "./machine";
import type { BenchScenario } from "./scenarios";
import { ScenarioMeter, type ScenarioSeries } from "./ScenarioMeter";
import type { ScenarioResult } from "./types";

/** How e2e latency is measured in each mode. */
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

export type ScenarioRun = { result: ScenarioResult; series: ScenarioSeries };

const round2 = (v: number): number => Math.round(v * 100) / 100;

/**
 * Replays one simulated recording through the whole pipeline (decode → sync → encoders → fusion →
 * scene → MCAP scene writer) and measures it. Lossless scenarios run as fast as the pipeline goes;
 * the real-time one is paced at ×1 and drops ticks to the newest while the pipeline is busy.
 */
export async function runScenario(spec: BenchScenario, file: string, options: RunScenarioOptions): Promise<ScenarioRun> {
  const source = await FileReadable.open(file);
  const captureNs = new Map<string, bigint>();
  const meter = new ScenarioMeter(spec.mode, captureNs);
  const sampler = setInterval(() => meter.sampleRss(), 50);
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
    const gate = tickGate();
    const common = {
      decode: { onTiming: (ms: number) => void (decodeSinceBundle += ms) },
      onAligned: (b: SyncedBundle) => {
        decodeOfTick.set(b, decodeSinceBundle);
        decodeSinceBundle = 0;
        gate.aligned();
      },
      models: options.models,
      ...(options.fusionHead ? { fusionHead: options.fusionHead } : {}),
      ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    };
    const readDiagnostics = createDiagnostics(source.name);
    const played = { at: undefined as { wallMs: number; logTime: bigint } | undefined };
    pipeline = createScenePipelineFromFeed(benchFeed(spec, source, readDiagnostics, gate, played), plan, common);

    await fsp.mkdir(options.scratchDir, { recursive: true });
    const out = await FileWritable.create(sinkFile);
    const mcap = await McapSink.open(out, { library: "avfusion bench" });
    meter.started = performance.now();
    const cpuStart = process.cpuUsage();
    const onTick = async (tick: SceneTick): Promise<void> => {
      const sinkStart = performance.now();
      await writeSceneToMcap(mcap, tick.scene);
      const sinkEnd = performance.now();
      const play = played.at;
      const playedAt = (stamp: bigint): number => (play ? play.wallMs + nsToMs(stamp - play.logTime) : sinkStart);
      meter.sunk({ tick, sinkStart, sinkEnd, decodeMs: decodeOfTick.get(tick.synced) ?? 0, playedAt });
      gate.sunk();
    };
    try {
      const ticks = options.maxTicks === undefined ? pipeline.ticks : pipeline.ticks.pipe(take(options.maxTicks));
      await lastValueFrom(ticks.pipe(concatMap(onTick)), { defaultValue: undefined });
    } finally {
      await mcap.close().catch(() => undefined);
      await out.close().catch(() => undefined);
    }
    const wallS = (performance.now() - meter.started) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    const result = scenarioResult(spec, file, inspection, plan, meter, {
      droppedTicks: pipeline.droppedTicks(),
      droppedMessages: readDiagnostics.messagesDropped,
      wallS,
      cpuS: (cpu.user + cpu.system) / 1e6,
      loadStart,
      decodeErrors: pipeline.decodeStats.errors,
    });
    return { result, series: meter.series };
  } finally {
    clearInterval(sampler);
    await pipeline?.dispose();
    await source.close();
    await fsp.rm(sinkFile, { force: true });
  }
}

/** The scenario's JSON: the recording, the meter's figures, drops, wall and CPU time against the recording's duration, memory and load. */
function scenarioResult(
  spec: BenchScenario,
  file: string,
  inspection: RecordingInspection,
  plan: PipelinePlan,
  meter: ScenarioMeter,
  run: {
    droppedTicks: number;
    droppedMessages: number;
    wallS: number;
    cpuS: number;
    loadStart: [number, number, number];
    decodeErrors: ScenarioResult["decodeErrors"];
  },
): ScenarioResult {
  const durationS = inspection.durationSec;
  return {
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
    ...meter.tickCounts(),
    droppedTicks: run.droppedTicks,
    droppedMessages: run.droppedMessages,
    wallS: round2(run.wallS),
    realtimeFactor: round2(durationS / Math.max(run.wallS, 1e-9)),
    cpuS: round2(run.cpuS),
    cpuRealtimeFactor: round2(durationS / Math.max(run.cpuS, 1e-9)),
    ...meter.latencies(),
    peakRssMb: round2(meter.peakRss / 2 ** 20),
    loadAvgStart: run.loadStart,
    loadAvgEnd: loadAvg(),
    decodeErrors: run.decodeErrors,
  };
}

/**
 * Lossless backpressure: the feed reads the next message only once every tick aligned so far is
 * through the sink (see E2E_DEFINITIONS), so no tick waits behind or overlaps another.
 */
type TickGate = { aligned(): void; sunk(): void; behind(): boolean; wait(): Promise<void> };

function tickGate(): TickGate {
  let alignedCount = 0;
  let sunkCount = 0;
  const waiters: (() => void)[] = [];
  return {
    aligned: () => void alignedCount++,
    sunk: () => {
      sunkCount++;
      if (sunkCount >= alignedCount) for (const w of waiters.splice(0)) w();
    },
    behind: () => alignedCount > sunkCount,
    wait: () => new Promise((resolve) => (sunkCount >= alignedCount ? resolve() : waiters.push(resolve))),
  };
}

/**
 * The recording as the pipeline's feed: lossless = every message, one tick at a time through the
 * gate; real time = paced at ×1, the wall time and log time of the first message played kept in `played`.
 */
function benchFeed(
  spec: BenchScenario,
  source: FileReadable,
  readDiagnostics: ReturnType<typeof createDiagnostics>,
  gate: TickGate,
  played: { at: { wallMs: number; logTime: bigint } | undefined },
): MessageFeed {
  if (spec.mode !== "lossless") {
    return {
      mode: "latest",
      readDiagnostics,
      messages: () =>
        readRecording(source, { pacing: { mode: "realtime", rate: 1 }, diagnostics: readDiagnostics }).pipe(
          tap((m) => void (played.at ??= { wallMs: performance.now(), logTime: m.logTime })),
        ),
    };
  }
  return {
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
              if (gate.behind()) await gate.wait();
            }
          }
          subscriber.complete();
        })().catch((err: unknown) => subscriber.error(err));
        return () => {
          stopped = true;
        };
      }),
  };
}
