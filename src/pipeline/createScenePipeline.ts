import { defer, finalize, share, tap } from "rxjs";
import { createBundleEncoder, type EncodedTick } from "../encoders/encodeBundle";
import { createSensorEncoders } from "../encoders/sensorEncoders";
import { parseTrackerConfig } from "../fusion/trackerConfig";
import type { DecodeCounts } from "../scene/observeSensors";
import type { RecordingReadable } from "../sources/mcap/types";
import type { SyncedBundle } from "../types";
import { createFusionStage } from "./createFusionStage";
import { decodeAndAlign } from "./decodeAndAlign";
import { createTickPacer } from "./paceTicks";
import { recordingFeed } from "./recordingFeed";
import type { MessageFeed, PipelinePlan, SceneTick, ScenePipelineOptions, ScenePipelineRun } from "./types";

/** The encoders for a plan's sensors, from the shipped models. */
function encodersFor(plan: PipelinePlan, calibration: ReturnType<typeof decodeAndAlign>["calibration"], options: ScenePipelineOptions) {
  const encoders = createSensorEncoders(calibration, {
    files: options.models.files,
    ...(options.models.dir !== undefined ? { modelsDir: options.models.dir } : {}),
    ...(options.models.kinds !== undefined ? { kinds: options.models.kinds } : {}),
    ...(options.models.byKind !== undefined ? { modelDirs: options.models.byKind } : {}),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
  const kinds = new Map(plan.sensors.map((s) => [s.sensorId, s.kind]));
  return { encoders, encode: createBundleEncoder(encoders, kinds) };
}

/**
 * Frames an encoder could not use, counted as failed messages of their sensor, so scene health
 * reports the sensor FAILED (with the reason) rather than OK-but-silent.
 */
function createEncoderErrorCounts() {
  const bySensor = new Map<string, DecodeCounts>();
  return {
    add(encoded: EncodedTick): void {
      for (const [sensorId, why] of encoded.failures) {
        const e = bySensor.get(sensorId) ?? { sensorId, decoded: 0, errors: 0 };
        e.errors++;
        e.lastReason = `encoder: ${why}`;
        bySensor.set(sensorId, e);
      }
    },
    values: () => bySensor.values(),
  };
}

/**
 * The whole pipeline over any feed: decode → sync → encoders → fusion → scene. The recording
 * variant is `createScenePipeline`; live sessions build a `latest` feed from their sources (raw
 * messages for the decode stage, decoded frames and clock readings through the typed entry).
 */
export function createScenePipelineFromFeed(feed: MessageFeed, plan: PipelinePlan, options: ScenePipelineOptions): ScenePipelineRun {
  // Parsed once, here: a bad tracker config fails at start-up, not on the first tick.
  const tracker = parseTrackerConfig(options.tracker ?? plan.tracker ?? {});
  const { withFrames, decodeStats, calibration } = decodeAndAlign(plan, options);
  const { encoders, encode } = encodersFor(plan, calibration, options);
  const pacer = createTickPacer(feed.mode, options.maxTicksInFlight ?? 4);
  const encoderErrors = createEncoderErrorCounts();
  const decodeCounts = function* (): Generator<DecodeCounts> {
    yield* decodeStats.byTopic.values();
    yield* encoderErrors.values();
  };

  const ticks = defer(() => {
    pacer.open();
    const fuse = createFusionStage(plan, options, tracker);
    const alignedAt = new WeakMap<SyncedBundle, number>();
    const synced = withFrames(
      feed.messages(() => pacer.waitForRoom()),
      feed.frames,
    ).pipe(tap((b) => alignedAt.set(b, performance.now())));
    const step = async (bundle: SyncedBundle): Promise<SceneTick> => {
      const encodeStartMs = performance.now();
      const encoded = await encode(bundle);
      const encodeEndMs = performance.now();
      encoderErrors.add(encoded);
      const tick = fuse(encoded, decodeCounts());
      tick.timing = { alignedMs: alignedAt.get(bundle) ?? encodeStartMs, encodeStartMs, encodeEndMs, sceneMs: performance.now() };
      return tick;
    };
    return synced.pipe(pacer.pace(step));
  }).pipe(finalize(() => pacer.close()));
  return {
    ticks: ticks.pipe(share()),
    readDiagnostics: feed.readDiagnostics,
    decodeStats,
    calibration,
    droppedTicks: () => pacer.dropped(),
    dispose: () => encoders.dispose(),
  };
}

/**
 * The whole pipeline as one pipe: recording → decode → sync → encoders → fusion → scene.
 * Lossless pacing reads the recording only as fast as the encoders finish ticks (at most
 * `maxTicksInFlight` waiting), so memory stays bounded on a recording of any length; real-time
 * pacing never waits: while the encoders are busy only the newest tick is kept, and the rest are
 * counted in `droppedTicks`.
 */
export function createScenePipeline(source: RecordingReadable, plan: PipelinePlan, options: ScenePipelineOptions): ScenePipelineRun {
  return createScenePipelineFromFeed(recordingFeed(source, options.read), plan, options);
}
