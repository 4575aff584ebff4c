import { Subject } from "rxjs";
import type { IWritable } from "@mcap/core";
import type { EncodedTick } from "../encoders/encodeBundle";
import { createBundleEncoder } from "../encoders/encodeBundle";
import { createSensorEncoders } from "../encoders/sensorEncoders";
import type { ModelFiles } from "../runtime/modelFiles";
import { createFusionStage, decodeAndAlign, type PipelinePlan } from "../pipeline";
import { McapSink } from "../sinks/mcap/McapSink";
import { writeSceneToMcap } from "../sinks/sceneOutputs";
import type { SensorMessage, SyncedBundle } from "../types";
import { LatencyRecorder, type LatencySummary } from "./histogram";

/** Runs the real encoders once over the recording's ticks, so the overhead runs can reuse their evidence. */
export async function encodeOnce(
  messages: readonly SensorMessage[],
  plan: PipelinePlan,
  models: { files: ModelFiles; dir?: string },
): Promise<EncodedTick[]> {
  const aligned = decodeAndAlign(plan, {});
  const bundles: SyncedBundle[] = [];
  const input = new Subject<SensorMessage>();
  input.pipe(aligned.operator).subscribe((b) => bundles.push(b));
  for (const m of messages) input.next(m);
  input.complete();
  const encoders = createSensorEncoders(aligned.calibration, {
    files: models.files,
    ...(models.dir !== undefined ? { modelsDir: models.dir } : {}),
  });
  try {
    const encode = createBundleEncoder(encoders, new Map(plan.sensors.map((s) => [s.sensorId, s.kind])));
    const out: EncodedTick[] = [];
    for (const b of bundles) out.push(await encode(b));
    return out;
  } finally {
    await encoders.dispose();
  }
}

/** An IWritable that only counts bytes: the sink's encoding and MCAP framing cost without disk I/O. */
export function countingWritable(): IWritable & { bytes: number } {
  let bytes = 0;
  return {
    get bytes() {
      return bytes;
    },
    position: () => BigInt(bytes),
    write: async (buffer: Uint8Array) => {
      bytes += buffer.byteLength;
    },
  };
}

export type OverheadResult = {
  ticks: number;
  passes: number;
  /** Per tick (ms): decode + sync of the messages up to the tick's emission, fusion + scene, sink, and their sum. */
  decodeSync: LatencySummary;
  fusionScene: LatencySummary;
  sink: LatencySummary;
  total: LatencySummary;
  /** Ticks whose total exceeded 1 ms. */
  over1ms: number;
  /**
   * The same per tick in CPU time of this process (process.cpuUsage, user + system): what the
   * work costs regardless of how many other processes share the cores (wall time above includes
   * time the process was not scheduled).
   */
  cpu: { decodeSync: LatencySummary; fusionScene: LatencySummary; sink: LatencySummary; total: LatencySummary; over1ms: number };
  /** Decode time per message by schema (ms, wall): where the decode share goes. */
  decodeBySchema: Record<string, { messages: number; p50Ms: number; meanMs: number; p99Ms: number; msPerTick: number }>;
};

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Per tick: decode + sync, fusion + scene, sink and total, in one clock (wall or CPU). */
type TickRecorders = { decodeSync: LatencyRecorder; fusionScene: LatencyRecorder; sink: LatencyRecorder; total: LatencyRecorder };

const tickRecorders = (): TickRecorders => ({
  decodeSync: new LatencyRecorder([1]),
  fusionScene: new LatencyRecorder([1]),
  sink: new LatencyRecorder([1]),
  total: new LatencyRecorder([1]),
});

/**
 * The pipeline's cost per tick without the encoders: every message through decode and the
 * aligner (fed synchronously from memory, so no file I/O), then the fusion stage on the cached
 * evidence of the same tick, then the MCAP scene writer (SceneState + SceneUpdate) into a byte
 * counter. `passes` replays the recording that many times with fresh state, after one unrecorded warm-up pass.
 */
export async function measurePipelineOverhead(
  messages: readonly SensorMessage[],
  plan: PipelinePlan,
  encoded: readonly EncodedTick[],
  options: { passes?: number } = {},
): Promise<OverheadResult> {
  const passes = Math.max(1, options.passes ?? 5);
  const r = tickRecorders();
  const c = tickRecorders();
  let ticks = 0;
  const bySchema = new Map<string, LatencyRecorder>();
  // Pass −1 warms up the JIT and is not recorded.
  for (let pass = -1; pass < passes; pass++) {
    ticks += await overheadPass(messages, plan, encoded, pass >= 0 ? { wall: r, cpu: c, bySchema } : undefined);
  }
  return {
    ticks,
    passes,
    decodeSync: r.decodeSync.summary(),
    fusionScene: r.fusionScene.summary(),
    sink: r.sink.summary(),
    total: r.total.summary(),
    over1ms: r.total.missed(1),
    decodeBySchema: decodeBySchemaSummary(bySchema, ticks),
    cpu: {
      decodeSync: c.decodeSync.summary(),
      fusionScene: c.fusionScene.summary(),
      sink: c.sink.summary(),
      total: c.total.summary(),
      over1ms: c.total.missed(1),
    },
  };
}

/** One replay with fresh state; measured into `rec` (undefined: the warm-up pass). Returns the ticks measured. */
async function overheadPass(
  messages: readonly SensorMessage[],
  plan: PipelinePlan,
  encoded: readonly EncodedTick[],
  rec: { wall: TickRecorders; cpu: TickRecorders; bySchema: Map<string, LatencyRecorder> } | undefined,
): Promise<number> {
  const aligned = decodeAndAlign(plan, {
    decode: {
      onTiming: (ms, msg) => {
        if (!rec) return;
        let h = rec.bySchema.get(msg.schemaName);
        if (!h) rec.bySchema.set(msg.schemaName, (h = new LatencyRecorder([])));
        h.record(ms);
      },
    },
  });
  const fuse = createFusionStage(plan);
  const sink = await McapSink.open(countingWritable(), { library: "avfusion bench overhead" });
  const input = new Subject<SensorMessage>();
  const emitted: { bundle: SyncedBundle; decodeSyncMs: number; decodeSyncCpuMs: number }[] = [];
  let spent = 0;
  let spentCpu = 0;
  input.pipe(aligned.operator).subscribe((bundle) => {
    emitted.push({ bundle, decodeSyncMs: spent, decodeSyncCpuMs: spentCpu });
    spent = 0;
    spentCpu = 0;
  });
  for (const m of messages) {
    const c0 = cpuMs();
    const t0 = performance.now();
    input.next(m);
    spent += performance.now() - t0;
    spentCpu += cpuMs() - c0;
  }
  input.complete();
  const bySeq = new Map(encoded.map((e) => [e.synced.seq, e]));
  let ticks = 0;
  for (const { bundle, decodeSyncMs, decodeSyncCpuMs } of emitted) {
    const cached = bySeq.get(bundle.seq);
    if (!cached) continue;
    // The freshly aligned bundle with the cached evidence of the same tick (deterministic replay).
    const tick: EncodedTick = { ...cached, synced: bundle };
    let c0 = cpuMs();
    let t = performance.now();
    const scene = fuse(tick, aligned.decodeStats.byTopic.values()).scene;
    const fusionSceneMs = performance.now() - t;
    const fusionSceneCpuMs = cpuMs() - c0;
    c0 = cpuMs();
    t = performance.now();
    await writeSceneToMcap(sink, scene);
    const sinkMs = performance.now() - t;
    const sinkCpuMs = cpuMs() - c0;
    if (!rec) continue;
    recordTick(rec.cpu, decodeSyncCpuMs, fusionSceneCpuMs, sinkCpuMs);
    recordTick(rec.wall, decodeSyncMs, fusionSceneMs, sinkMs);
    ticks++;
  }
  await sink.close();
  return ticks;
}

function recordTick(r: TickRecorders, decodeSync: number, fusionScene: number, sink: number): void {
  r.decodeSync.record(decodeSync);
  r.fusionScene.record(fusionScene);
  r.sink.record(sink);
  r.total.record(decodeSync + fusionScene + sink);
}

function decodeBySchemaSummary(bySchema: ReadonlyMap<string, LatencyRecorder>, ticks: number): OverheadResult["decodeBySchema"] {
  return Object.fromEntries(
    [...bySchema].map(([schema, h]) => {
      const sum = h.summary();
      return [
        schema,
        {
          messages: sum.count,
          p50Ms: sum.p50Ms,
          meanMs: sum.meanMs,
          p99Ms: sum.p99Ms,
          msPerTick: Math.round(((sum.meanMs * sum.count) / Math.max(1, ticks)) * 1000) / 1000,
        },
      ];
    }),
  );
}
