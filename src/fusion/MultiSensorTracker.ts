import {
  nsToSec,
  OBJECT_CLASSES,
  type EvidenceBundle,
  type FieldOfView,
  type Nanos,
  type ObjectClass,
  type SensorEvidence,
  type SensorKind,
} from "../types";
import { assignMeasurements, clusterMeasurements, type GateParams, type PositionHypothesis } from "./associate";
import { classVectorOf, combine, discount, ignorance, pignistic, UNKNOWN_INDEX, type ClassVector } from "./classBelief";
import type { CandidateRefinement, CandidateSensor, FusionCandidate, FusionHead } from "./fusionHead";
import { chiSquareQuantile } from "./gating";
import { H_POSITION, H_VELOCITY, predict, update, type EgoStep, type KalmanState } from "./kalman";
import { toMeasurement, type Measurement } from "./toMeasurement";
import { parseTrackerConfig, type TrackerConfig, type TrackerConfigInput } from "./trackerConfig";
import type {
  FusedTrack,
  FusionDiagnostics,
  SensorFusionDiagnostics,
  SensorMeasurementRecord,
  TrackedObjects,
  TrackStatus,
} from "../types/tracked";

/** Height variance reported when no sensor measured the height (m², i.e. σ = 10 m). */
const UNKNOWN_HEIGHT_VARIANCE = 100;
/** Ego motion beyond these is a broken input, not a vehicle (m/s, rad/s). */
const MAX_EGO_SPEED_MPS = 150;
const MAX_EGO_YAW_RATE_RADPS = 5;
/** Range-rate innovations beyond this χ² (1 dof, p ≈ 0.9999) are treated as Doppler outliers. */
const RANGE_RATE_OUTLIER_NIS = 15.1;

type Track = {
  id: number;
  state: KalmanState;
  /** Time the state refers to (ns). */
  t: Nanos;
  z: number;
  zVar: number;
  hasZ: boolean;
  existence: number;
  hits: number;
  status: TrackStatus;
  firstSeen: Nanos;
  lastUpdated: Nanos;
  classes: ClassVector;
  size?: { x: number; y: number; z: number };
  yawRad?: number;
  lastBySensor: Map<string, SensorMeasurementRecord>;
  recent: SensorMeasurementRecord[];
};

/**
 * Multi-sensor, multi-object tracker: per tick, predict every track to each sensor's stamp,
 * assign that sensor's detections to tracks (gated optimal assignment), update the matched tracks,
 * cluster the left-over detections across sensors into new tracks, then update every track's
 * existence probability from which sensors saw it and which could have but did not.
 *
 * Synchronous and pure apart from its own state: no IO, no clocks. Same input, same output.
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
    if (this.lastTickStamp !== undefined && bundle.stamp < this.lastTickStamp) {
      throw new RangeError(
        `fusion: tick ${bundle.tick} stamp ${bundle.stamp} ns is before the previous tick's ${this.lastTickStamp} ns; expected non-decreasing tick stamps`,
      );
    }
    const tickDt = this.lastTickStamp === undefined ? 0 : nsToSec(bundle.stamp - this.lastTickStamp);
    this.lastTickStamp = bundle.stamp;
    const diag: FusionDiagnostics = { sensors: [], rejectedDetections: 0, rejectedTotal: 0, rejections: [], created: 0, deleted: 0 };
    if (this.head !== undefined) diag.headInvalid = 0;
    const reject = (reason: string, count: number): void => {
      diag.rejectedDetections += count;
      if (diag.rejections.length < cfg.maxRejectionMessages) diag.rejections.push(reason);
    };

    // Implausible ego motion is ignored (the tick is treated as standing still), not fatal.
    let ego: EgoStep | undefined;
    if (bundle.ego !== undefined) {
      const { speedMps, yawRateRadps } = bundle.ego;
      if (
        Number.isFinite(speedMps) &&
        Number.isFinite(yawRateRadps) &&
        Math.abs(speedMps) <= MAX_EGO_SPEED_MPS &&
        Math.abs(yawRateRadps) <= MAX_EGO_YAW_RATE_RADPS
      ) {
        ego = { speedMps, yawRateRadps, speedStdMps: cfg.egoSpeedStdMps, yawRateStdRadps: cfg.egoYawRateStdRadps };
      } else {
        reject(
          `fusion: tick ${bundle.tick} ego motion (speed ${speedMps} m/s, yaw rate ${yawRateRadps} rad/s) is implausible; expected |speed| ≤ ${MAX_EGO_SPEED_MPS} m/s and |yaw rate| ≤ ${MAX_EGO_YAW_RATE_RADPS} rad/s; ignored`,
          0,
        );
      }
    }

    // Validate, per sensor, in stamp order (ties by sensor id) so that replay is deterministic.
    // Evidence that is itself malformed is skipped whole, with its detections counted as rejected.
    const evidence = bundle.evidence
      .filter((e) => this.trackedKinds.has(e.kind))
      .filter((e) => {
        const problem =
          typeof e.sensorId !== "string"
            ? `sensorId is ${typeof e.sensorId}; expected a string`
            : typeof e.stamp !== "bigint"
              ? `stamp is ${typeof e.stamp}; expected bigint nanoseconds`
              : !Array.isArray(e.detections)
                ? `detections is ${typeof e.detections}; expected an array`
                : undefined;
        if (problem !== undefined) {
          reject(
            `fusion: tick ${bundle.tick} evidence of sensor ${String(e.sensorId)} (${e.kind}): ${problem}`,
            Array.isArray(e.detections) ? e.detections.length : 1,
          );
        }
        return problem === undefined;
      })
      .sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.sensorId < b.sensorId ? -1 : a.sensorId > b.sensorId ? 1 : 0));
    const perSensor = new Map<string, SensorFusionDiagnostics>();
    const valid: Measurement[][] = [];
    for (const ev of evidence) {
      const quality = Number.isFinite(ev.quality) ? Math.min(1, Math.max(0, ev.quality)) : 0;
      const d: SensorFusionDiagnostics = perSensor.get(ev.sensorId) ?? {
        sensorId: ev.sensorId,
        kind: ev.kind,
        detections: 0,
        associated: 0,
        births: 0,
        rejected: 0,
      };
      perSensor.set(ev.sensorId, d);
      const ms: Measurement[] = [];
      ev.detections.forEach((det, i) => {
        const r = toMeasurement(det, i, ev.sensorId, ev.kind, ev.stamp, quality);
        if (r.ok) {
          ms.push(r.measurement);
        } else {
          d.rejected++;
          reject(r.reason, 1);
        }
      });
      d.detections += ms.length;
      valid.push(ms);
    }
    this.rejectedTotal += diag.rejectedDetections;
    diag.rejectedTotal = this.rejectedTotal;

    const gate: GateParams = { ...this.gate, egoSpeedMps: ego?.speedMps ?? 0, egoYawRateRadps: ego?.yawRateRadps ?? 0 };

    // Associate each sensor's detections with the tracks that existed before this tick.
    const existing = this.tracks;
    const hitBy = new Map<Track, Map<string, Measurement>>();
    const leftOver: Measurement[] = [];
    for (let e = 0; e < evidence.length; e++) {
      const ev = evidence[e]!;
      const ms = valid[e]!;
      if (ms.length === 0) continue;
      for (const track of existing) this.predictTo(track, ev.stamp, ego);
      const match = assignMeasurements(existing.map(hypothesisOf), ms, gate);
      for (let i = 0; i < ms.length; i++) {
        const j = match[i]!;
        if (j < 0) {
          leftOver.push(ms[i]!);
          continue;
        }
        const track = existing[j]!;
        this.applyMeasurement(track, ms[i]!, ego);
        let hits = hitBy.get(track);
        if (hits === undefined) hitBy.set(track, (hits = new Map()));
        hits.set(ev.sensorId, ms[i]!);
        perSensor.get(ev.sensorId)!.associated++;
      }
    }

    // Detections no track claimed: group across sensors, one new track per group.
    const born: Track[] = [];
    for (const cluster of clusterMeasurements(leftOver, gate)) {
      const track = this.birth(cluster.members, ego);
      const hits = new Map<string, Measurement>();
      for (const m of cluster.members) {
        hits.set(m.sensorId, m);
        perSensor.get(m.sensorId)!.births++;
      }
      hitBy.set(track, hits);
      born.push(track);
    }
    diag.created = born.length;

    // Existence: survival since the last tick, then one hit or miss per sensor that could see it.
    const survival = Math.pow(cfg.survivalPerSecond, tickDt);
    const all = existing.concat(born);
    const bornSet = new Set(born);
    const candidates: FusionCandidate[] | undefined = this.head === undefined ? undefined : [];
    for (const track of all) {
      const isNew = bornSet.has(track);
      const prior = isNew ? cfg.initialExistence : track.existence * survival;
      let p = prior;
      const hits = hitBy.get(track);
      const seen: CandidateSensor[] | undefined = candidates === undefined ? undefined : [];
      for (const ev of evidence) {
        const model = cfg.sensors[ev.kind];
        const quality = Number.isFinite(ev.quality) ? Math.min(1, Math.max(0, ev.quality)) : 0;
        const pd = model.detectionProbability * quality;
        const m = hits?.get(ev.sensorId);
        let lr: number;
        let outcome: CandidateSensor["outcome"];
        if (m !== undefined) {
          lr = 1 + m.score * pd * (1 / model.falseAlarmProbability - 1);
          outcome = "detected";
        } else if (covers(ev, track.state.x[0]!, track.state.x[1]!, cfg.maxRangeM)) {
          lr = 1 - pd;
          outcome = "missed";
        } else {
          lr = 1;
          outcome = "outOfView";
        }
        const odds = (p / (1 - p)) * lr;
        p = odds / (1 + odds);
        if (seen !== undefined) {
          const cs = candidateSensor(ev.sensorId, ev.kind, quality, outcome, m);
          const last = m !== undefined ? m.stamp : track.lastBySensor.get(ev.sensorId)?.stamp;
          if (last !== undefined) cs.sinceDetectedSec = Math.max(0, nsToSec(bundle.stamp - last));
          seen.push(cs);
        }
      }
      track.existence = Math.min(cfg.maxExistence, Math.max(1e-9, p));
      if (hits !== undefined && hits.size > 0) track.hits++;
      if (candidates !== undefined && seen !== undefined) {
        candidates.push(this.candidateOf(track, isNew, prior, seen, bundle.stamp, ego));
      }
    }
    if (this.head !== undefined && candidates !== undefined) this.applyHead(bundle.stamp, all, candidates, diag);
    for (const track of all) {
      if (track.status === "tentative" && track.existence >= cfg.confirmExistence && track.hits >= cfg.minHitsToConfirm) {
        track.status = "confirmed";
      }
    }

    // Deletion.
    const kept: Track[] = [];
    for (const track of all) {
      const P = track.state.P;
      const x = track.state.x;
      const dead =
        track.existence < cfg.deleteExistence ||
        nsToSec(bundle.stamp - track.lastUpdated) > cfg.maxCoastSec ||
        Math.sqrt(P[0]!) > cfg.maxPositionStdM ||
        Math.sqrt(P[5]!) > cfg.maxPositionStdM ||
        Math.hypot(x[0]!, x[1]!) > cfg.maxRangeM;
      if (dead) diag.deleted++;
      else kept.push(track);
    }
    this.tracks = kept;

    diag.sensors = [...perSensor.values()].sort((a, b) => (a.sensorId < b.sensorId ? -1 : a.sensorId > b.sensorId ? 1 : 0));
    return {
      stamp: bundle.stamp,
      tick: bundle.tick,
      tracks: kept.map((t) => this.report(t, bundle.stamp, ego)),
      diagnostics: diag,
    };
  }

  private candidateOf(
    track: Track,
    isNew: boolean,
    prior: number,
    sensors: CandidateSensor[],
    tick: Nanos,
    ego: EgoStep | undefined,
  ): FusionCandidate {
    const probabilities = pignistic(track.classes);
    const classProbabilities: Partial<Record<ObjectClass, number>> = {};
    for (let i = 0; i < OBJECT_CLASSES.length; i++) if (i !== UNKNOWN_INDEX) classProbabilities[OBJECT_CLASSES[i]!] = probabilities[i]!;
    const x = track.state.x;
    const atTick = this.positionAt(track, tick, ego);
    return {
      trackId: track.id,
      isNew,
      priorExistence: prior,
      modelExistence: track.existence,
      position: { x: x[0]!, y: x[1]!, z: track.z },
      velocity: { x: x[2]!, y: x[3]!, z: 0 },
      stamp: track.t,
      tickPosition: { x: atTick.x, y: atTick.y, z: track.z },
      hits: track.hits,
      ageSec: Math.max(0, nsToSec(tick - track.firstSeen)),
      classProbabilities,
      sensors: sensors.sort((a, b) => (a.sensorId < b.sensorId ? -1 : a.sensorId > b.sensorId ? 1 : 0)),
    };
  }

  /** The track's x,y extrapolated (on a copy) to `t`, in the ego frame at `t`. */
  private positionAt(track: Track, t: Nanos, ego: EgoStep | undefined): { x: number; y: number } {
    if (t === track.t) return { x: track.state.x[0]!, y: track.state.x[1]! };
    const state: KalmanState = { x: Float64Array.from(track.state.x), P: Float64Array.from(track.state.P) };
    predict(state, nsToSec(t - track.t), this.config.accelerationNoise, ego);
    return { x: state.x[0]!, y: state.x[1]! };
  }

  /**
   * A head's refined position as a pseudo-measurement: the offset from the track's position at the
   * tick is applied at the track's own time with R = variance·I. Returns false when malformed;
   * an offset outside the association gate is skipped (not counted as malformed).
   */
  private applyPosition(track: Track, candidate: FusionCandidate, p: NonNullable<CandidateRefinement["position"]>): boolean {
    if (p === null || typeof p !== "object") return false;
    const { x, y, varianceM2 } = p;
    if (
      !Number.isFinite(x) ||
      !Number.isFinite(y) ||
      !Number.isFinite(varianceM2) ||
      Math.abs(x) > 1e5 ||
      Math.abs(y) > 1e5 ||
      !(varianceM2 >= 1e-6 && varianceM2 <= 1e6)
    ) {
      return false;
    }
    const zx = track.state.x[0]! + (x - candidate.tickPosition.x);
    const zy = track.state.x[1]! + (y - candidate.tickPosition.y);
    const P = track.state.P;
    const s00 = P[0]! + varianceM2;
    const s01 = P[1]!;
    const s11 = P[5]! + varianceM2;
    const det = s00 * s11 - s01 * s01;
    const dx = zx - track.state.x[0]!;
    const dy = zy - track.state.x[1]!;
    const d2 = (s11 * dx * dx - 2 * s01 * dx * dy + s00 * dy * dy) / det;
    if (!(det > 0) || !(d2 <= this.gate.gate)) return true;
    update(track.state, H_POSITION, [zx, zy], [varianceM2, 0, 0, varianceM2]);
    return true;
  }

  /** Apply the head's refinements; a malformed one is ignored and counted. */
  private applyHead(stamp: Nanos, tracks: readonly Track[], candidates: FusionCandidate[], diag: FusionDiagnostics): void {
    const refinements = this.head!.refine(stamp, candidates);
    let invalid = 0;
    if (refinements.length !== candidates.length) {
      diag.headInvalid = candidates.length;
      return;
    }
    for (let i = 0; i < tracks.length; i++) {
      const r = refinements[i];
      if (r === undefined) continue;
      const track = tracks[i]!;
      if (r.existence !== undefined) {
        if (Number.isFinite(r.existence) && r.existence >= 0 && r.existence <= 1) {
          track.existence = Math.min(this.config.maxExistence, Math.max(1e-9, r.existence));
        } else {
          invalid++;
        }
      }
      if (r.classProbabilities !== undefined) {
        const values = Object.values(r.classProbabilities);
        if (values.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)) track.classes = classVectorOf(r.classProbabilities);
        else invalid++;
      }
      if (r.position !== undefined && !this.applyPosition(track, candidates[i]!, r.position)) invalid++;
    }
    diag.headInvalid = invalid;
  }

  private predictTo(track: Track, t: Nanos, ego: EgoStep | undefined): void {
    if (t <= track.t) return; // a few ms of skew backwards: use the measurement as if at track time
    const dt = nsToSec(t - track.t);
    predict(track.state, dt, this.config.accelerationNoise, ego);
    track.zVar += this.config.heightNoise * dt;
    track.t = t;
  }

  private birth(members: readonly Measurement[], ego: EgoStep | undefined): Track {
    const first = members[0]!;
    const sv2 = this.config.initialVelocityStdMps ** 2;
    const P = new Float64Array(16);
    P[0] = first.R[0]!;
    P[1] = first.R[1]!;
    P[4] = first.R[2]!;
    P[5] = first.R[3]!;
    P[10] = sv2;
    P[15] = sv2;
    const t = members.reduce((acc, m) => (m.stamp > acc ? m.stamp : acc), first.stamp);
    const track: Track = {
      id: this.nextId++,
      state: { x: Float64Array.of(first.x, first.y, 0, 0), P },
      t,
      z: 0,
      zVar: UNKNOWN_HEIGHT_VARIANCE,
      hasZ: false,
      existence: this.config.initialExistence,
      hits: 0,
      status: "tentative",
      firstSeen: t,
      lastUpdated: t,
      classes: ignorance(),
      lastBySensor: new Map(),
      recent: [],
    };
    members.forEach((m, i) => this.applyMeasurement(track, m, ego, i === 0));
    return track;
  }

  /** Kalman updates with everything the measurement carries, plus class, size and provenance. */
  private applyMeasurement(track: Track, m: Measurement, ego: EgoStep | undefined, positionAlreadySet = false): void {
    const cfg = this.config;
    const nis = positionAlreadySet ? 0 : update(track.state, H_POSITION, [m.x, m.y], m.R).nis;
    if (m.z !== undefined && m.zVar !== undefined) {
      if (!track.hasZ) {
        track.z = m.z;
        track.zVar = m.zVar;
        track.hasZ = true;
      } else {
        const k = track.zVar / (track.zVar + m.zVar);
        track.z += k * (m.z - track.z);
        track.zVar = (1 - k) * track.zVar;
      }
    }
    const speed = ego?.speedMps ?? 0;
    const omega = ego?.yawRateRadps ?? 0;
    if (m.velocity !== undefined) {
      let { vx, vy } = m.velocity;
      if (m.velocity.reference === "ego") {
        // Relative to the rotating ego frame → over ground: add the velocity of the ego-fixed point.
        vx += speed - omega * m.y;
        vy += omega * m.x;
      }
      update(track.state, H_VELOCITY, [vx, vy], m.velocity.R);
    }
    let rangeRateMps: number | undefined;
    if (m.rangeRate !== undefined) {
      const rr = m.rangeRate;
      const ux = Math.cos(rr.bearingRad);
      const uy = Math.sin(rr.bearingRad);
      // The sensor moves with the ego: its over-ground velocity is v_ego + ω × s.
      const sensorVx = speed - omega * rr.sensorY;
      const sensorVy = omega * rr.sensorX;
      const H = Float64Array.of(0, 0, ux, uy);
      const offset = [-(sensorVx * ux + sensorVy * uy)];
      const x = track.state.x;
      const P = track.state.P;
      const predicted = ux * x[2]! + uy * x[3]! + offset[0]!;
      // The line of sight is only known to the bearing's accuracy: that adds the velocity across
      // it, squared, times the bearing variance to the measurement noise.
      const across = -(x[2]! - sensorVx) * uy + (x[3]! - sensorVy) * ux;
      const noise = rr.variance + across * across * rr.bearingVariance;
      const S = ux * ux * P[10]! + 2 * ux * uy * P[11]! + uy * uy * P[15]! + noise;
      const innovation = rr.rate - predicted;
      if ((innovation * innovation) / S <= RANGE_RATE_OUTLIER_NIS) {
        update(track.state, H, [rr.rate], [noise], offset);
      }
      rangeRateMps = rr.rate;
    }
    // Class belief: forget a little (mass back to `unknown`), then combine with the detection's
    // class evidence discounted by the frame quality (Dempster's rule, see classBelief.ts).
    track.classes = combine(discount(track.classes, 1 - cfg.classForgetting), discount(m.classes, cfg.classEvidenceWeight * m.quality));
    const w = cfg.sizeSmoothing * Math.max(m.quality, 1e-3);
    if (m.size !== undefined) {
      track.size =
        track.size === undefined
          ? { ...m.size }
          : {
              x: track.size.x + w * (m.size.x - track.size.x),
              y: track.size.y + w * (m.size.y - track.size.y),
              z: track.size.z + w * (m.size.z - track.size.z),
            };
    }
    if (m.yawRad !== undefined) {
      if (track.yawRad === undefined) {
        track.yawRad = wrapAngle(m.yawRad);
      } else {
        // Box detectors often confuse front and back; a box 180° off is the same box axis, and
        // averaging it in would turn the estimate sideways.
        let diff = wrapAngle(m.yawRad - track.yawRad);
        if (Math.abs(diff) > Math.PI / 2) diff = wrapAngle(diff + Math.PI);
        track.yawRad = wrapAngle(track.yawRad + w * diff);
      }
    }
    if (m.stamp > track.lastUpdated) track.lastUpdated = m.stamp;
    const record: SensorMeasurementRecord = {
      sensorId: m.sensorId,
      kind: m.kind,
      stamp: m.stamp,
      detectionIndex: m.detectionIndex,
      position: { x: m.x, y: m.y, z: m.z ?? 0 },
      score: m.score,
      quality: m.quality,
      nis,
    };
    if (rangeRateMps !== undefined) record.rangeRateMps = rangeRateMps;
    track.lastBySensor.set(m.sensorId, record);
    if (cfg.maxMeasurementsPerTrack > 0) {
      track.recent.push(record);
      if (track.recent.length > cfg.maxMeasurementsPerTrack) track.recent.shift();
    }
  }

  /** The public view of a track, extrapolated (not stored) to the tick stamp. */
  private report(track: Track, stamp: Nanos, ego: EgoStep | undefined): FusedTrack {
    const state: KalmanState = { x: Float64Array.from(track.state.x), P: Float64Array.from(track.state.P) };
    let zVar = track.zVar;
    if (stamp !== track.t) {
      const dt = nsToSec(stamp - track.t);
      predict(state, dt, this.config.accelerationNoise, ego);
      zVar += this.config.heightNoise * Math.abs(dt);
    }
    const { x, P } = state;
    const probabilities = pignistic(track.classes);
    const probs: Partial<Record<ObjectClass, number>> = {};
    let best = -1;
    for (let i = 0; i < OBJECT_CLASSES.length; i++) {
      if (i === UNKNOWN_INDEX) continue;
      probs[OBJECT_CLASSES[i]!] = probabilities[i]!;
      if (best < 0 || probabilities[i]! > probabilities[best]!) best = i;
    }
    const out: FusedTrack = {
      id: track.id,
      status: track.status,
      existence: track.existence,
      position: { x: x[0]!, y: x[1]!, z: track.z },
      velocity: { x: x[2]!, y: x[3]!, z: 0 },
      positionCovariance: [P[0]!, P[1]!, 0, P[4]!, P[5]!, 0, 0, 0, track.hasZ ? zVar : UNKNOWN_HEIGHT_VARIANCE],
      velocityCovariance: [P[10]!, P[11]!, P[14]!, P[15]!],
      classification: probabilities[best]! >= this.config.minClassProbability ? OBJECT_CLASSES[best]! : "unknown",
      classProbabilities: probs,
      firstSeen: track.firstSeen,
      lastUpdated: track.lastUpdated,
      hits: track.hits,
      sensors: [...track.lastBySensor.values()].sort((a, b) => (a.sensorId < b.sensorId ? -1 : a.sensorId > b.sensorId ? 1 : 0)),
      measurements: track.recent.slice(),
    };
    if (track.size !== undefined) out.size = { ...track.size };
    if (track.yawRad !== undefined) out.yawRad = track.yawRad;
    return out;
  }
}

function candidateSensor(
  sensorId: string,
  kind: SensorKind,
  quality: number,
  outcome: CandidateSensor["outcome"],
  m: Measurement | undefined,
): CandidateSensor {
  const c: CandidateSensor = { sensorId, kind, quality, outcome };
  if (m !== undefined) {
    const classProbabilities: Partial<Record<ObjectClass, number>> = {};
    for (let i = 0; i < OBJECT_CLASSES.length; i++) {
      if (i !== UNKNOWN_INDEX && m.classes[i]! > 0) classProbabilities[OBJECT_CLASSES[i]!] = m.classes[i]!;
    }
    c.detection = { position: { x: m.x, y: m.y, z: m.z ?? 0 }, score: m.score, classProbabilities };
    if (m.rangeRate !== undefined) c.detection.rangeRateMps = m.rangeRate.rate;
  }
  return c;
}

function hypothesisOf(track: Track): PositionHypothesis {
  const P = track.state.P;
  return {
    x: track.state.x[0]!,
    y: track.state.x[1]!,
    P: [P[0]!, P[1]!, P[4]!, P[5]!],
    classes: track.classes,
    velocity: { vx: track.state.x[2]!, vy: track.state.x[3]!, P: [P[10]!, P[11]!, P[14]!, P[15]!] },
  };
}

/** Whether a sensor could have detected an object at (x, y) in the ego frame. */
function covers(ev: SensorEvidence, x: number, y: number, defaultRange: number): boolean {
  const fov: FieldOfView | undefined = ev.fieldOfView;
  if (fov === undefined || fov === null || typeof fov !== "object") return Math.hypot(x, y) <= defaultRange;
  const dx = x - fov.originX;
  const dy = y - fov.originY;
  if (Math.hypot(dx, dy) > fov.maxRangeM) return false;
  const a = Math.atan2(dy, dx);
  const { azimuthMinRad: lo, azimuthMaxRad: hi } = fov;
  const inside = lo <= hi ? a >= lo && a <= hi : a >= lo || a <= hi;
  return inside;
}

function wrapAngle(a: number): number {
  return a - 2 * Math.PI * Math.floor((a + Math.PI) / (2 * Math.PI));
}
