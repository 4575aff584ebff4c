import { z } from "zod";
import { TopicMapping } from "./topicMapping";
import { OBJECT_CLASSES, type ObjectClass } from "../types";

/** Per-sensor time-alignment overrides; anything left out keeps the value planned from the recording. */
const sensorSyncOverride = z
  .object({
    /** Window centre relative to the tick (ms). */
    offsetMs: z.number().finite().min(-10_000).max(10_000).optional(),
    /** Half-width of the window (ms). */
    toleranceMs: z.number().finite().min(0).max(10_000).optional(),
    /** Sensor clock minus reference clock (ms), subtracted from every stamp. */
    clockOffsetMs: z.number().finite().min(-3_600_000).max(3_600_000).optional(),
    /** Frames held while waiting for their tick. */
    maxQueue: z.number().int().min(1).max(100_000).optional(),
  })
  .strict();

/**
 * The `--config FILE` of `inspect` and `replay` (YAML or JSON). Every key is optional; units are
 * in the names. Cross-field checks of the aligner (e.g. stale limit vs tick period) run at start-up.
 */
export const avfusionConfigSchema = z
  .object({
    /** Topic → `ignore` or `{ role?, sensorId? }`, by exact topic name. */
    topics: TopicMapping.optional(),
    pipeline: z
      .object({
        /** Fusion tick rate (Hz). */
        tickHz: z.number().positive().max(1000).optional(),
        /** How long a tick may wait for late frames (ms, recording clock). */
        deadlineMs: z.number().finite().min(0).max(60_000).optional(),
        /** A sensor silent longer than this is `missing` rather than `stale` (ms). */
        staleAfterMs: z.number().finite().min(0).max(3_600_000).optional(),
      })
      .strict()
      .optional(),
    /**
     * Tracker settings (`trackerConfigSchema` in src/fusion/trackerConfig.ts, e.g.
     * `sensors.radar.velocityCovarianceScale: 1` for a radar whose covariances are honest);
     * validated when the pipeline is planned, where the tracker's schema is known.
     */
    tracker: z.record(z.string(), z.unknown()).optional(),
    /** Per sensor id, alignment overrides. */
    sensors: z.record(z.string().min(1), sensorSyncOverride).optional(),
    /**
     * Per sensor kind, a model folder instead of the shipped one: NAME in the models folder or a
     * PATH (`--model KIND=…` wins); for `camera`, the card of the detector for real cameras.
     */
    models: z.partialRecord(z.enum(["camera", "lidar", "radar", "audio"]), z.string().min(1)).optional(),
    /**
     * Ground truth from annotations (a `foxglove.SceneUpdate` topic mapped to `role: groundTruth`):
     * the class map, label (a metadata `category`, `class`… or the entity id's first word; dotted
     * labels match by their longest listed prefix) → our class, over the built-in nuScenes map.
     */
    groundTruth: z
      .object({ classes: z.record(z.string().min(1), z.enum(OBJECT_CLASSES as [ObjectClass, ...ObjectClass[]])).optional() })
      .strict()
      .optional(),
  })
  .strict();

/** A validated config file (`--config`): topic mapping, pipeline settings, per-sensor alignment overrides. */
export type AvfusionConfig = z.infer<typeof avfusionConfigSchema>;
