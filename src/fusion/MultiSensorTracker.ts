import { nsToSec, type EvidenceBundle, type Nanos, type SensorEvidence, type SensorKind } from "../types";
import type { FusionDiagnostics, SensorFusionDiagnostics, TrackedObjects } from "../types/tracked";
import { assignMeasurements, clusterMeasurements, type GateParams } from "./associate";
import { updateExistence } from "./updateExistence";
import type { CandidateSensor, FusionCandidate, FusionHead } from "./fusionHead";
import { chiSquareQuantile } from "./gating";
import { applyMeasurement } from "./applyMeasurement";
import { applyHead, candidateOf } from "./headRefinement";
import type { EgoStep } from "./kalman";
import { reportTrack } from "./reportTrack";
import { egoStepOf, measurementsOf, rejecter, trackedEvidence } from "./tickInput";
import type { Measurement } from "./toMeasurement";
import { bySensorId, hypothesisOf, type Track } from "./track";
import { parseTrackerConfig, type TrackerConfig, type TrackerConfigInput } from "./trackerConfig";
import { birthTrack, confirmTracks, predictTo, pruneTracks } from "./trackLifecycle";

/** Per track, the measurement of each sensor that hit it this tick. */
type Hits = Map<Track, Map<string, Measurement>>;

/**
 * Multi-sensor, multi-object tracker: per tick, predict every track to each sensor's stamp,
 * assign that sensor's detections to tracks (gated optimal assignment), update the matched tracks,
 * cluster the left-over detections across sensors into new tracks, then update every track's
 * existence probability from which sensors saw it and which could have but did not.
 *
 * Synchronous and pure apart from its own state: no IO, no clocks. Same input, same output.
 * The phases live in their own files: tickInput (validation), applyMeasurement (update),
 * trackLifecycle (birth, confirmation, deletion), updateExistence, headRefinement and reportTrack.
 */
export class MultiSensorTracker {
  readonly config: TrackerConfig;
  private readonly gate: GateParams;
  private readonly trackedKinds: ReadonlySet<SensorKind>;
  private tracks: Track[] = [];
  private nextId = 1;
  private lastTickStamp: Nanos | undefined;
  private rejectedTotal = 0;

  private readonly head: FusionHead | undefined;

  /** `head`: an optional learned late-fusion head that refines existence and class (fusionHead.ts). */
  constructor(config: TrackerConfigInput | TrackerConfig = {}, head?: FusionHead) {
    this.config = parseTrackerConfig(config);
    this.head = head;
    this.gate = {
      gate: chiSquareQuantile(this.config.gateProbability, 2),
      minClassCompatibility: this.config.minClassCompatibility,
      classCostWeight: this.config.classCostWeight,
      rangeRateGate: this.config.rangeRateGateProbability >= 1 ? Infinity : chiSquareQuantile(this.config.rangeRateGateProbability, 1),
      egoSpeedMps: 0,
      egoYawRateRadps: 0,
    };
    this.trackedKinds = new Set(this.config.trackedKinds);
  }

  /** Number of live tracks (tentative included). */
  get trackCount(): number {
    return this.tracks.length;
  }

  step(bundle: EvidenceBundle): TrackedObjects {
    const cfg = this.config;
    const tickDt = this.advanceTick(bundle);
    const diag: FusionDiagnostics = { sensors: [], rejectedDetections: 0, rejectedTotal: 0, rejections: [], created: 0, deleted: 0 };
    if (this.head !== undefined) diag.headInvalid = 0;
    const reject = rejecter(diag, cfg.maxRejectionMessages);

    // Validate, per sensor, in stamp order (trackedEvidence sorts) so that replay is deterministic.
    const ego = egoStepOf(bundle, cfg, reject);
    const evidence = trackedEvidence(bundle, this.trackedKinds, reject);
    const perSensor = new Map<string, SensorFusionDiagnostics>();
    const valid = evidence.map((ev) => {
      const model = cfg.sensors[ev.kind];
      return measurementsOf(ev, perSensor, reject, { position: model.positionCovarianceScale, velocity: model.velocityCovarianceScale });
    });
    this.rejectedTotal += diag.rejectedDetections;
    diag.rejectedTotal = this.rejectedTotal;

    const gate: GateParams = { ...this.gate, egoSpeedMps: ego?.speedMps ?? 0, egoYawRateRadps: ego?.yawRateRadps ?? 0 };
    const existing = this.tracks;
    const { hitBy, leftOver } = this.associate(existing, evidence, valid, gate, ego, perSensor);
    const born = this.birthFrom(leftOver, gate, ego, hitBy, perSensor);
    diag.created = born.length;

    const all = existing.concat(born);
    const candidates = this.updateExistences(all, new Set(born), evidence, hitBy, tickDt, bundle.stamp, ego);
    if (this.head !== undefined && candidates !== undefined) applyHead(this.head, bundle.stamp, all, candidates, diag, cfg, this.gate.gate);
    confirmTracks(all, cfg);
    const kept = pruneTracks(all, bundle.stamp, cfg, diag);
    this.tracks = kept;

    diag.sensors = [...perSensor.values()].sort(bySensorId);
    return {
      stamp: bundle.stamp,
      tick: bundle.tick,
      tracks: kept.map((t) => reportTrack(t, bundle.stamp, ego, cfg)),
      diagnostics: diag,
    };
  }

  /** Seconds since the previous tick (0 for the first); tick stamps must not go backwards. */
  private advanceTick(bundle: EvidenceBundle): number {
    if (this.lastTickStamp !== undefined && bundle.stamp < this.lastTickStamp) {
      throw new RangeError(
        `fusion: tick ${bundle.tick} stamp ${bundle.stamp} ns is before the previous tick's ${this.lastTickStamp} ns; expected non-decreasing tick stamps`,
      );
    }
    const tickDt = this.lastTickStamp === undefined ? 0 : nsToSec(bundle.stamp - this.lastTickStamp);
    this.lastTickStamp = bundle.stamp;
    return tickDt;
  }

  /**
   * Predict and associate, sensor by sensor in stamp order: each sensor's detections are assigned
   * to the tracks that existed before this tick, predicted to that sensor's stamp, and the matched
   * tracks are updated at once (so the next sensor sees them updated).
   */
  private associate(
    existing: readonly Track[],
    evidence: readonly SensorEvidence[],
    valid: readonly Measurement[][],
    gate: GateParams,
    ego: EgoStep | undefined,
    perSensor: Map<string, SensorFusionDiagnostics>,
  ): { hitBy: Hits; leftOver: Measurement[] } {
    const hitBy: Hits = new Map();
    const leftOver: Measurement[] = [];
    for (let e = 0; e < evidence.length; e++) {
      const ev = evidence[e]!;
      const ms = valid[e]!;
      if (ms.length === 0) continue;
      for (const track of existing) predictTo(track, ev.stamp, ego, this.config);
      const match = assignMeasurements(existing.map(hypothesisOf), ms, gate);
      for (let i = 0; i < ms.length; i++) {
        const j = match[i]!;
        if (j < 0) {
          leftOver.push(ms[i]!);
          continue;
        }
        const track = existing[j]!;
        applyMeasurement(track, ms[i]!, ego, this.config);
        let hits = hitBy.get(track);
        if (hits === undefined) hitBy.set(track, (hits = new Map()));
        hits.set(ev.sensorId, ms[i]!);
        perSensor.get(ev.sensorId)!.associated++;
      }
    }
    return { hitBy, leftOver };
  }

  /** Detections no track claimed: grouped across sensors, one new track per group. */
  private birthFrom(
    leftOver: readonly Measurement[],
    gate: GateParams,
    ego: EgoStep | undefined,
    hitBy: Hits,
    perSensor: Map<string, SensorFusionDiagnostics>,
  ): Track[] {
    const born: Track[] = [];
    for (const cluster of clusterMeasurements(leftOver, gate)) {
      const track = birthTrack(this.nextId++, cluster.members, ego, this.config);
      const hits = new Map<string, Measurement>();
      for (const m of cluster.members) {
        hits.set(m.sensorId, m);
        perSensor.get(m.sensorId)!.births++;
      }
      hitBy.set(track, hits);
      born.push(track);
    }
    return born;
  }

  /**
   * Existence: survival since the last tick, then one hit or miss per sensor that could see it.
   * Returns the head's candidates (undefined without a head).
   */
  private updateExistences(
    all: readonly Track[],
    born: ReadonlySet<Track>,
    evidence: readonly SensorEvidence[],
    hitBy: Hits,
    tickDt: number,
    stamp: Nanos,
    ego: EgoStep | undefined,
  ): FusionCandidate[] | undefined {
    const cfg = this.config;
    const survival = Math.pow(cfg.survivalPerSecond, tickDt);
    const candidates: FusionCandidate[] | undefined = this.head === undefined ? undefined : [];
    for (const track of all) {
      const isNew = born.has(track);
      const prior = isNew ? cfg.initialExistence : track.existence * survival;
      const hits = hitBy.get(track);
      const seen: CandidateSensor[] | undefined = candidates === undefined ? undefined : [];
      updateExistence(track, prior, evidence, hits, stamp, cfg, seen);
      if (hits !== undefined && hits.size > 0) track.hits++;
      if (candidates !== undefined && seen !== undefined) candidates.push(candidateOf(track, isNew, prior, seen, stamp, ego, cfg));
    }
    return candidates;
  }
}
