import { defer, map, type OperatorFunction } from "rxjs";
import type { FusedTrack, TrackedObjects } from "../types/tracked";
import { absNs, nsToMs, type EvidenceBundle, type Nanos, type SensorFrame, type SyncedBundle } from "../types";
import { assessDegradation, DegradationHold } from "./degradation";
import { observeSensors, type DecodeCounts } from "./observeSensors";
import { parseSceneConfig, type SceneConfig, type SceneConfigInput } from "./sceneConfig";
import { SensorHealthMonitor } from "./SensorHealthMonitor";
import { HazardTracker } from "./HazardTracker";
import type { HealthReport, SceneHazard, SceneObject, SceneState } from "./types";
import { VisibilityEstimator } from "./VisibilityEstimator";

/** Everything the scene stage reads for one tick. */
export type SceneTickInput = {
  /** The tracker's output; its stamp and tick become the scene's. */
  tracked: TrackedObjects;
  /** The sync stage's bundle of this tick: status, age, skew, counters, frames (frozen check). */
  synced?: SyncedBundle<SensorFrame> | undefined;
  /** The encoders' evidence of this tick: quality, visibility (and sync status without `synced`). */
  evidence?: EvidenceBundle | undefined;
  /** Cumulative decode counters per topic, e.g. `decodeFrames(...).stats.byTopic.values()`. */
  decode?: Iterable<DecodeCounts> | undefined;
  /** The tick's hazards, as the caller follows them; by default they come from `evidence` (audio encoders' `hazards`). */
  hazards?: readonly SceneHazard[] | undefined;
  /** Time spent per stage on this tick (ms), in pipeline order. */
  latencyMs?: Record<string, number> | undefined;
};

/** A tracker track as a scene object. */
export function toSceneObject(t: FusedTrack): SceneObject {
  return {
    id: t.id,
    classification: t.classification,
    classProbabilities: { ...t.classProbabilities },
    position: { ...t.position },
    velocity: { ...t.velocity },
    size: t.size ? { ...t.size } : null,
    yawRad: t.yawRad ?? null,
    positionCovariance: [...t.positionCovariance],
    existence: t.existence,
    sensors: t.sensors.map((m) => ({
      sensorId: m.sensorId,
      kind: m.kind,
      lastMeasured: m.stamp,
      measuredPosition: { ...m.position },
      score: m.score,
    })),
    firstSeen: t.firstSeen,
  };
}

/** Pure assembly of one scene state from its parts; objects are filtered by the config. */
export function buildSceneState(
  parts: {
    stamp: Nanos;
    tick: number;
    tracks: readonly FusedTrack[];
    hazards?: readonly SceneHazard[] | undefined;
    health: HealthReport;
    latencyMs?: Record<string, number> | undefined;
  },
  config: Pick<SceneConfig, "frameId" | "includeTentative" | "minExistence">,
): SceneState {
  return {
    stamp: parts.stamp,
    tick: parts.tick,
    frameId: config.frameId,
    objects: parts.tracks
      .filter((t) => (config.includeTentative || t.status === "confirmed") && t.existence >= config.minExistence)
      .map(toSceneObject),
    hazards: (parts.hazards ?? []).map((h) => ({ ...h })),
    health: parts.health,
    latencyMs: { ...(parts.latencyMs ?? {}) },
  };
}

/**
 * Stateful per-tick scene assembly: sensor health (with hysteresis), visibility, degradation
 * level, objects and hazards. Pure: time is the tick stamp, no IO.
 */
export class SceneAssembler {
  readonly config: SceneConfig;
  readonly health: SensorHealthMonitor;
  private readonly visibility: VisibilityEstimator;
  private readonly hazards: HazardTracker;
  private readonly degradation: DegradationHold;

  constructor(config: SceneConfigInput | SceneConfig) {
    this.config = parseSceneConfig(config);
    this.health = new SensorHealthMonitor(this.config.health);
    this.visibility = new VisibilityEstimator(this.config.visibility);
    this.hazards = new HazardTracker(this.config.hazards);
    this.degradation = new DegradationHold(this.config.degradation.recoverMs);
  }

  step(input: SceneTickInput): SceneState {
    const { tracked } = input;
    const observations = observeSensors(input);
    const sensors = this.health.update(tracked.stamp, observations);
    const visibilityM = this.visibility.update(tracked.stamp, observations, sensors);
    const degradation = this.degradation.step(tracked.stamp, assessDegradation(sensors, visibilityM, this.config.degradation));
    const heard = (input.evidence?.evidence ?? []).flatMap((e) => e.hazards ?? []);
    const hazards = this.hazards.update(tracked.stamp, heard);
    let maxSkew = 0n;
    for (const o of observations) {
      if (o.status === "included" && o.skew !== undefined && absNs(o.skew) > maxSkew) maxSkew = absNs(o.skew);
    }
    return buildSceneState(
      {
        stamp: tracked.stamp,
        tick: tracked.tick,
        tracks: tracked.tracks,
        hazards: input.hazards ?? hazards,
        health: {
          sensors,
          degradation: degradation.level,
          recommendedFallback: degradation.fallback,
          degradationReason: degradation.reason,
          visibilityM,
          syncSkewMs: nsToMs(maxSkew),
        },
        latencyMs: input.latencyMs,
      },
      this.config,
    );
  }
}

/**
 * The scene stage: one `SceneState` per tick input, synchronously, in order. The config is
 * validated when the pipeline is built; each subscription gets its own health state, so a replay
 * started twice gives the same output. It takes no scheduler: it never waits or times anything
 * (time is the tick stamp).
 */
export function assembleScene(config: SceneConfigInput | SceneConfig): OperatorFunction<SceneTickInput, SceneState> {
  const parsed = parseSceneConfig(config);
  return (source) =>
    defer(() => {
      const assembler = new SceneAssembler(parsed);
      return source.pipe(map((input) => assembler.step(input)));
    });
}
