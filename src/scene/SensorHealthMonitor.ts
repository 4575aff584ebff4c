import { msToNs, nsToMs, nsToSec, type Nanos, type SensorKind } from "../types";
import { parseHealthConfig, type HealthConfig, type HealthConfigInput } from "./sceneConfig";
import { SENSOR_HEALTH_STATUSES, type SensorHealthReport, type SensorHealthStatus, type SensorObservation } from "./types";

type Verdict = { status: SensorHealthStatus; reason: string };

type Sample = { tick: Nanos; received: number | undefined; decoded: number; errors: number };

type SensorState = {
  id: string;
  kind: SensorKind;
  expectedRateHz: number | undefined;
  staleAge: Nanos;
  current: Verdict;
  since: Nanos | undefined;
  /** A better status waiting out the hysteresis: the worst raw status seen since the streak began. */
  candidate: (Verdict & { ticks: number; start: Nanos }) | undefined;
  firstTick: Nanos | undefined;
  lastIncludedTick: Nanos | undefined;
  quality: number | null;
  lowQuality: boolean;
  lastDigest: number | undefined;
  /** Consecutive included frames with the same digest, the first one counted. */
  repeats: number;
  history: Sample[];
  /** The rate is judged over a full window after this tick: a silence must not count against the sensor after it returns. */
  rateFrom: Nanos | undefined;
  lastDecodeReason: string | undefined;
};

const severity = (s: SensorHealthStatus): number => SENSOR_HEALTH_STATUSES.indexOf(s);

const fmtMs = (ns: Nanos): string => `${Math.round(nsToMs(ns))} ms`;
const fmtHz = (hz: number): string => `${hz.toFixed(hz < 10 ? 1 : 0)} Hz`;

/**
 * Per-sensor health state machine, one `update` per tick. Pure: no clocks, no IO; time is the
 * tick stamp. Raw status per tick, most severe first:
 *
 * - FAILED: at least `failDecodeErrors` decode errors in the last `rateWindowMs` making up at least
 *   `failDecodeErrorRatio` of the sensor's messages there, or `frozenFrames` consecutive included
 *   frames with identical content.
 * - MISSING: the sync stage says `missing` (never seen, or silent beyond its stale limit).
 * - STALE: not included, and the last included frame is older than `staleAgeMs` (while younger
 *   the sensor is between frames, e.g. 10 Hz on a 20 Hz tick, and keeps its status).
 * - DEGRADED: the encoder's quality is below `degradedQualityBelow` (it leaves only at
 *   ≥ `degradedQualityBelow + qualityHysteresis`), or the rate over a full `rateWindowMs` is
 *   below `minRateFraction × expectedRateHz`.
 * - OK otherwise.
 *
 * Hysteresis: a worse (or equal) raw status is reported at once, so a failure is never hidden; a
 * better one only after it held for `recoverTicks` consecutive ticks and `recoverMs`, and then
 * the worst status seen during that streak is adopted.
 */
export class SensorHealthMonitor {
  readonly config: HealthConfig;
  private readonly states: SensorState[];
  private readonly byId = new Map<string, SensorState>();
  private readonly window: Nanos;
  private readonly recover: Nanos;
  private lastTick: Nanos | undefined;
  /** Sensor ids observed that are not in the configuration (ignored). */
  readonly unknownSensors = new Set<string>();

  constructor(config: HealthConfigInput | HealthConfig) {
    this.config = parseHealthConfig(config);
    this.window = msToNs(this.config.rateWindowMs);
    this.recover = msToNs(this.config.recoverMs);
    this.states = this.config.sensors.map((s) => ({
      id: s.id,
      kind: s.kind,
      expectedRateHz: s.expectedRateHz,
      staleAge: msToNs(s.staleAgeMs ?? this.config.staleAgeMs),
      current: { status: "OK", reason: "ok" },
      since: undefined,
      candidate: undefined,
      firstTick: undefined,
      lastIncludedTick: undefined,
      quality: null,
      lowQuality: false,
      lastDigest: undefined,
      repeats: 0,
      history: [],
      rateFrom: undefined,
      lastDecodeReason: undefined,
    }));
    for (const s of this.states) this.byId.set(s.id, s);
  }

  /** One tick: the observations of any subset of sensors (a configured sensor without one counts as missing). */
  update(tick: Nanos, observations: readonly SensorObservation[]): SensorHealthReport[] {
    const obsById = new Map<string, SensorObservation>();
    for (const o of observations) {
      if (this.byId.has(o.sensorId)) obsById.set(o.sensorId, o);
      else this.unknownSensors.add(o.sensorId);
    }
    if (this.lastTick !== undefined && tick < this.lastTick) {
      // The clock went back (a replay restarted): windows measured on the old clock mean nothing.
      for (const s of this.states) {
        s.history = [];
        s.rateFrom = undefined;
      }
    }
    this.lastTick = tick;
    return this.states.map((s) => this.step(s, tick, obsById.get(s.id) ?? { sensorId: s.id, status: "missing" }));
  }

  private step(s: SensorState, tick: Nanos, obs: SensorObservation): SensorHealthReport {
    s.firstTick ??= tick;
    s.since ??= tick;
    const included = obs.status === "included";
    if (included) s.lastIncludedTick = tick;

    const c = this.config;
    if (included && obs.quality !== undefined && Number.isFinite(obs.quality)) {
      s.quality = Math.min(1, Math.max(0, obs.quality));
      s.lowQuality = s.lowQuality ? s.quality < c.degradedQualityBelow + c.qualityHysteresis : s.quality < c.degradedQualityBelow;
    }
    if (included && obs.digest !== undefined) {
      s.repeats = obs.digest === s.lastDigest ? s.repeats + 1 : 1;
      s.lastDigest = obs.digest;
    }
    if (obs.decode?.lastReason) s.lastDecodeReason = obs.decode.lastReason;

    // Sliding window of cumulative counters: keep one sample at or before the window start.
    const prev = s.history[s.history.length - 1];
    s.history.push({
      tick,
      received: obs.counters?.received,
      decoded: obs.decode?.decoded ?? prev?.decoded ?? 0,
      errors: obs.decode?.errors ?? prev?.errors ?? 0,
    });
    while (s.history.length >= 2 && s.history[1]!.tick <= tick - this.window) s.history.shift();
    const base = s.history[0]!;
    const now = s.history[s.history.length - 1]!;
    const span = tick - base.tick;
    s.rateFrom ??= tick;
    const rateHz =
      span >= this.window && span > 0n && base.tick >= s.rateFrom && base.received !== undefined && now.received !== undefined
        ? (now.received - base.received) / nsToSec(span)
        : null;

    const raw = this.judge(s, tick, obs, rateHz, now.errors - base.errors, now.decoded - base.decoded, span);
    if (raw.status === "STALE" || raw.status === "MISSING") s.rateFrom = tick;
    this.applyHysteresis(s, tick, raw);

    const counters = obs.counters;
    return {
      sensorId: s.id,
      kind: s.kind,
      status: s.current.status,
      reason: s.candidate
        ? `${s.current.reason}; recovering (${s.candidate.status} for ${s.candidate.ticks}/${c.recoverTicks} ticks)`
        : s.current.reason,
      since: s.since,
      ageMs: obs.age !== undefined ? nsToMs(obs.age) : null,
      rateHz,
      quality: s.quality,
      included,
      skewMs: included && obs.skew !== undefined ? nsToMs(obs.skew) : null,
      dropped: counters ? counters.late + counters.reordered + counters.duplicate + counters.overflow : 0,
      malformed: obs.decode?.errors ?? 0,
    };
  }

  private judge(
    s: SensorState,
    tick: Nanos,
    obs: SensorObservation,
    rateHz: number | null,
    windowErrors: number,
    windowDecoded: number,
    span: Nanos,
  ): Verdict {
    const c = this.config;
    const windowTotal = windowErrors + windowDecoded;
    if (windowErrors >= c.failDecodeErrors && windowErrors >= c.failDecodeErrorRatio * windowTotal) {
      const why = s.lastDecodeReason ? `: ${s.lastDecodeReason}` : "";
      return { status: "FAILED", reason: `${windowErrors} of ${windowTotal} messages failed to decode in the last ${fmtMs(span)}${why}` };
    }
    if (c.frozenFrames > 0 && s.repeats >= c.frozenFrames) {
      return { status: "FAILED", reason: `frozen: ${s.repeats} consecutive frames with identical content` };
    }
    if (obs.status === "missing") {
      return {
        status: "MISSING",
        reason: obs.age !== undefined ? `no data for ${fmtMs(obs.age)} (sync: missing)` : "never seen (sync: missing)",
      };
    }
    if (obs.status !== "included") {
      const silentFor = tick - (s.lastIncludedTick ?? s.firstTick ?? tick);
      if (silentFor > s.staleAge) {
        const limit = `> ${fmtMs(s.staleAge)}`;
        return {
          status: "STALE",
          reason:
            obs.status === "late"
              ? `frames arrive after their tick's deadline; none used for ${fmtMs(silentFor)} (${limit})`
              : `no frame used for ${fmtMs(silentFor)} (${limit})${obs.age !== undefined ? `, newest data ${fmtMs(obs.age)} old` : ""}`,
        };
      }
    }
    if (s.lowQuality && s.quality !== null) {
      const recoverAt = +(c.degradedQualityBelow + c.qualityHysteresis).toFixed(3);
      return {
        status: "DEGRADED",
        reason: `encoder quality ${s.quality.toFixed(2)} (degraded below ${c.degradedQualityBelow}, recovers at ≥ ${recoverAt})`,
      };
    }
    if (rateHz !== null && s.expectedRateHz !== undefined && rateHz < c.minRateFraction * s.expectedRateHz) {
      return {
        status: "DEGRADED",
        reason: `rate ${fmtHz(rateHz)} < ${Math.round(c.minRateFraction * 100)}% of expected ${fmtHz(s.expectedRateHz)} over ${fmtMs(span)}`,
      };
    }
    return { status: "OK", reason: "ok" };
  }

  private applyHysteresis(s: SensorState, tick: Nanos, raw: Verdict): void {
    if (severity(raw.status) >= severity(s.current.status)) {
      if (raw.status !== s.current.status) s.since = tick;
      s.current = raw;
      s.candidate = undefined;
      return;
    }
    const cand = s.candidate;
    if (!cand) {
      s.candidate = { ...raw, ticks: 1, start: tick };
    } else {
      cand.ticks++;
      if (severity(raw.status) >= severity(cand.status)) {
        cand.status = raw.status;
        cand.reason = raw.reason;
      }
    }
    const c = s.candidate!;
    if (c.ticks >= this.config.recoverTicks && tick - c.start >= this.recover) {
      s.current = { status: c.status, reason: c.reason };
      s.since = tick;
      s.candidate = undefined;
    }
  }
}
