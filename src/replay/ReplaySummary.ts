import * as hdr from "hdr-histogram-js";
import { HealthTimeline } from "../scene/HealthTimeline";
import type { DegradationLevel, SensorHealthStatus } from "../scene/types";
import type { SceneState, SensorKind } from "../types";
import { nsToSec } from "../types/time";

type Histogram = ReturnType<typeof hdr.build>;

/** What `replay --json` reports of the scenes: counts, hazards, health, degradation, latency; times in seconds. */
export type ReplayFigures = {
  ticks: number;
  recordingSec: number;
  wallSec: number;
  realtimeFactor: number;
  objects: { meanPerTick: number; max: number };
  hazards: { kind: string; firstAtSec: number; ticks: number; maxProbability: number }[];
  health: { sensorId: string; kind: SensorKind; ticksByStatus: Partial<Record<SensorHealthStatus, number>> }[];
  degradation: { level: DegradationLevel; fromSec: number; toSec: number }[];
  latencyMs: Record<string, { p50Ms: number; p99Ms: number; maxMs: number }>;
};

/** Accumulates what `replay` reports at the end: counts, hazards, health over time, latencies. */
export class ReplaySummary {
  readonly timeline = new HealthTimeline();
  private readonly latency = new Map<string, Histogram>();
  private ticks = 0;
  private objectSum = 0;
  private objectMax = 0;
  private readonly hazards = new Map<string, { first: bigint; maxProbability: number; ticks: number }>();
  private firstStamp: bigint | undefined;
  private lastStamp: bigint | undefined;

  add(scene: SceneState): void {
    this.ticks++;
    this.firstStamp ??= scene.stamp;
    this.lastStamp = scene.stamp;
    this.objectSum += scene.objects.length;
    this.objectMax = Math.max(this.objectMax, scene.objects.length);
    for (const h of scene.hazards) {
      const seen = this.hazards.get(h.kind) ?? { first: scene.stamp, maxProbability: 0, ticks: 0 };
      seen.maxProbability = Math.max(seen.maxProbability, h.probability);
      seen.ticks++;
      this.hazards.set(h.kind, seen);
    }
    this.timeline.add(scene);
    let total = 0;
    for (const [stage, ms] of Object.entries(scene.latencyMs)) {
      if (stage.startsWith("encode.") || stage === "syncWait") {
        this.record(stage, ms);
        continue;
      }
      total += ms;
      this.record(stage, ms);
    }
    this.record("compute (encode+fusion+scene)", total);
  }

  private record(stage: string, ms: number): void {
    let h = this.latency.get(stage);
    if (!h) {
      // Microseconds, 1 µs .. 100 s, 3 significant digits.
      h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 100_000_000, numberOfSignificantValueDigits: 3 });
      this.latency.set(stage, h);
    }
    h.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  /** p50 / p99 / max in ms per stage. */
  latencies(): Record<string, { p50Ms: number; p99Ms: number; maxMs: number }> {
    const out: Record<string, { p50Ms: number; p99Ms: number; maxMs: number }> = {};
    for (const [stage, h] of this.latency) {
      out[stage] = { p50Ms: h.getValueAtPercentile(50) / 1000, p99Ms: h.getValueAtPercentile(99) / 1000, maxMs: h.maxValue / 1000 };
    }
    return out;
  }

  /** Seconds of recording between the first and the last tick. */
  private spanSec(): number {
    return this.firstStamp !== undefined && this.lastStamp !== undefined ? nsToSec(this.lastStamp - this.firstStamp) : 0;
  }

  /** The summary's figures as plain data (`replay --json`): what `format` prints, unrounded. */
  figures(wallMs: number): ReplayFigures {
    const span = this.spanSec();
    const origin = this.firstStamp ?? 0n;
    return {
      ticks: this.ticks,
      recordingSec: span,
      wallSec: wallMs / 1000,
      realtimeFactor: span / Math.max(wallMs / 1000, 1e-9),
      objects: { meanPerTick: this.objectSum / Math.max(1, this.ticks), max: this.objectMax },
      hazards: [...this.hazards].map(([kind, h]) => ({
        kind,
        firstAtSec: nsToSec(h.first - origin),
        ticks: h.ticks,
        maxProbability: h.maxProbability,
      })),
      health: this.timeline.bySensor.map((l) => ({
        sensorId: l.sensorId,
        kind: l.kind,
        ticksByStatus: this.timeline.ticksByStatus(l.sensorId),
      })),
      degradation: this.timeline.degradation.map((d) => ({
        level: d.value,
        fromSec: nsToSec(d.from - origin),
        toSec: nsToSec(d.to - origin),
      })),
      latencyMs: this.latencies(),
    };
  }

  format(wallMs: number): string {
    const span = this.spanSec();
    const lines = [
      `ticks: ${this.ticks} over ${span.toFixed(1)} s of recording in ${(wallMs / 1000).toFixed(2)} s wall (${(span / Math.max(wallMs / 1000, 1e-9)).toFixed(2)}× real time)`,
      `objects: ${(this.objectSum / Math.max(1, this.ticks)).toFixed(1)} per tick on average, ${this.objectMax} at most`,
    ];
    if (this.hazards.size === 0) lines.push("hazards: none");
    for (const [kind, h] of this.hazards) {
      const at = this.firstStamp === undefined ? 0 : nsToSec(h.first - this.firstStamp);
      lines.push(`hazard ${kind}: first at +${at.toFixed(1)} s, in ${h.ticks} ticks, probability up to ${h.maxProbability.toFixed(2)}`);
    }
    lines.push("health over time:", ...this.timeline.format().map((l) => `  ${l}`));
    lines.push("latency per tick (ms):        p50      p99      max");
    for (const [stage, l] of Object.entries(this.latencies())) {
      lines.push(
        `  ${stage.padEnd(28)}${l.p50Ms.toFixed(2).padStart(7)}  ${l.p99Ms.toFixed(2).padStart(7)}  ${l.maxMs.toFixed(2).padStart(7)}`,
      );
    }
    return lines.join("\n");
  }
}
