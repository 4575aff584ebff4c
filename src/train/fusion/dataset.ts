import { SeededRandom } from "../../encoders/common/seededRandom";
import { nsToSec, type EvidenceBundle, type Nanos, type SensorEvidence } from "../../types";
import type { CandidateRefinement, FusionCandidate, FusionHead } from "../../fusion/fusionHead";
import { featureBatch, OUT_CLASSES } from "../../fusion/head/model";
import { HEAD_MODALITIES, SLOT_SIZE, TRACK_SIZE } from "../../fusion/head/features";
import { MultiSensorTracker } from "../../fusion/MultiSensorTracker";
import type { TrackedObjects } from "../../types/tracked";
import type { FusionDrive, GtObject, GtTick } from "./drives";

/** A candidate is a real object when a GT object of a real class is within this distance (m) at the tick. */
export const LABEL_RADIUS_M = 2;

export type CandidateLabel = {
  positive: boolean;
  /** Index into OUT_CLASSES, −1 for negatives. */
  cls: number;
  /** GT position − the candidate's position at the tick (m); 0 for negatives. */
  dx: number;
  dy: number;
};

const REAL = new Set<string>(OUT_CLASSES);

/** GT objects of real classes moved to `stamp` (ego frame of `stamp`), with their GT velocity relative to the ego. */
export function gtAt(gt: GtTick, stamp: Nanos): GtObject[] {
  const dt = nsToSec(stamp - gt.stamp);
  return gt.objects.filter((o) => REAL.has(o.cls)).map((o) => ({ ...o, x: o.x + (o.vx - gt.egoSpeedMps) * dt, y: o.y + o.vy * dt }));
}

/** Labels one tick's candidates against the ground truth (nearest real object within LABEL_RADIUS_M). */
export function labelCandidates(candidates: readonly FusionCandidate[], gt: GtTick, stamp: Nanos): CandidateLabel[] {
  const objects = gtAt(gt, stamp);
  return candidates.map((c) => {
    let best: GtObject | undefined;
    let bestD = LABEL_RADIUS_M;
    for (const o of objects) {
      const d = Math.hypot(o.x - c.tickPosition.x, o.y - c.tickPosition.y);
      if (d <= bestD) {
        bestD = d;
        best = o;
      }
    }
    if (best === undefined) return { positive: false, cls: -1, dx: 0, dy: 0 };
    return {
      positive: true,
      cls: OUT_CLASSES.indexOf(best.cls as (typeof OUT_CLASSES)[number]),
      dx: best.x - c.tickPosition.x,
      dy: best.y - c.tickPosition.y,
    };
  });
}

// --- evidence-level augmentation -----------------------------------------------------------------

/**
 * `dropout`: whole modalities removed (as if the sensor were absent) for windows of the drive;
 * `fog`: camera and LiDAR quality lowered to the visibility and their detections turned into
 * misses with a range-dependent probability exp(−3.912·r/V) kept, scores scaled down; `radarOnly`:
 * camera and LiDAR removed for the whole drive (the evaluation case of both blinded).
 */
export type Augmentation =
  { kind: "none" } | { kind: "dropout"; seed: number } | { kind: "fog"; seed: number; visibilityM: number } | { kind: "radarOnly" };

export function augmentEvidence(bundles: readonly EvidenceBundle[], aug: Augmentation): EvidenceBundle[] {
  if (aug.kind === "none") return bundles.slice();
  if (aug.kind === "radarOnly")
    return bundles.map((b) => ({ ...b, evidence: b.evidence.filter((e) => e.kind !== "camera" && e.kind !== "lidar") }));
  const rng = new SeededRandom(aug.seed);
  if (aug.kind === "dropout") {
    // Per modality, independently: 45 % none, 25 % the whole drive, 30 % one to three windows of 1–5 s.
    const t0 = bundles.length > 0 ? bundles[0]!.stamp : 0n;
    const windows = new Map<string, [number, number][]>();
    for (const kind of HEAD_MODALITIES) {
      const r = rng.next();
      if (r < 0.45) continue;
      if (r < 0.7) windows.set(kind, [[-Infinity, Infinity]]);
      else {
        const w: [number, number][] = [];
        const n = 1 + rng.int(3);
        for (let i = 0; i < n; i++) {
          const from = rng.next() * 14;
          w.push([from, from + 1 + rng.next() * 4]);
        }
        windows.set(kind, w);
      }
    }
    return bundles.map((b) => {
      const t = nsToSec(b.stamp - t0);
      return { ...b, evidence: b.evidence.filter((e) => !(windows.get(e.kind) ?? []).some(([a, z]) => t >= a && t < z)) };
    });
  }
  const V = aug.visibilityM;
  const fogged = (e: SensorEvidence): SensorEvidence => {
    if (e.kind !== "camera" && e.kind !== "lidar") return e;
    const quality = Math.min(e.quality, Math.max(0, Math.min(1, V / (e.kind === "camera" ? 300 : 150))));
    const detections = [];
    for (const d of e.detections) {
      const r = Math.hypot(d.position.x, d.position.y);
      const keep = Math.exp((-3.912 * r) / V / (e.kind === "lidar" ? 2 : 1));
      if (rng.next() < keep) detections.push({ ...d, score: d.score * Math.sqrt(keep) });
    }
    return { ...e, quality, detections };
  };
  return bundles.map((b) => ({ ...b, evidence: b.evidence.map(fogged) }));
}

/** Records candidates (per tick) and passes them on to an inner head (or refines nothing). */
class TapHead implements FusionHead {
  last: FusionCandidate[] = [];
  constructor(private readonly inner?: FusionHead) {}
  refine(stamp: Nanos, candidates: readonly FusionCandidate[]): readonly (CandidateRefinement | undefined)[] {
    this.last = candidates.slice();
    return this.inner ? this.inner.refine(stamp, candidates) : candidates.map(() => undefined);
  }
}

export type ReplayTick = { stamp: Nanos; candidates: FusionCandidate[]; tracked: TrackedObjects; gt: GtTick | null };

/** Re-runs the tracker (optionally with a head in the loop) over a drive's cached, augmented evidence. */
export function replayDrive(drive: FusionDrive, aug: Augmentation, head?: FusionHead): ReplayTick[] {
  const tap = new TapHead(head);
  const tracker = new MultiSensorTracker({}, tap);
  const bundles = augmentEvidence(drive.evidence, aug);
  return bundles.map((b, i) => {
    tap.last = [];
    const tracked = tracker.step(b);
    return { stamp: b.stamp, candidates: tap.last, tracked, gt: drive.ticks[i]?.gt ?? null };
  });
}

// --- arrays for training -------------------------------------------------------------------------

export type Examples = {
  count: number;
  slots: Float32Array;
  track: Float32Array;
  exist: Float32Array;
  /** Class index or −1. */
  cls: Int32Array;
  offset: Float32Array;
  /** The tracker's own existence (for comparison). */
  modelExistence: Float32Array;
  /** The tracker's most probable real class index (for comparison), −1 when it has no opinion. */
  trackerCls: Int32Array;
  /** Radar detected it this tick and neither camera nor LiDAR has evidence (for the radar-only checks). */
  radarOnly: Uint8Array;
};

/** Labelled examples from replayed ticks (ticks without ground truth are skipped). */
export function examplesFrom(ticks: readonly ReplayTick[]): Examples {
  const cands: FusionCandidate[] = [];
  const labels: CandidateLabel[] = [];
  for (const t of ticks) {
    if (t.gt === null || t.candidates.length === 0) continue;
    cands.push(...t.candidates);
    labels.push(...labelCandidates(t.candidates, t.gt, t.stamp));
  }
  const { slots, track } = featureBatch(cands);
  const n = cands.length;
  const ex: Examples = {
    count: n,
    slots,
    track,
    exist: new Float32Array(n),
    cls: new Int32Array(n),
    offset: new Float32Array(2 * n),
    modelExistence: new Float32Array(n),
    trackerCls: new Int32Array(n),
    radarOnly: new Uint8Array(n),
  };
  cands.forEach((c, i) => {
    const l = labels[i]!;
    ex.exist[i] = l.positive ? 1 : 0;
    ex.cls[i] = l.cls;
    ex.offset[2 * i] = l.dx;
    ex.offset[2 * i + 1] = l.dy;
    ex.modelExistence[i] = c.modelExistence;
    let best = -1;
    let bestP = 0;
    OUT_CLASSES.forEach((cls, k) => {
      const p = c.classProbabilities[cls] ?? 0;
      if (p > bestP) {
        bestP = p;
        best = k;
      }
    });
    ex.trackerCls[i] = best;
    const kinds = new Set(c.sensors.map((s) => s.kind));
    ex.radarOnly[i] =
      !kinds.has("camera") && !kinds.has("lidar") && c.sensors.some((s) => s.kind === "radar" && s.outcome === "detected") ? 1 : 0;
  });
  return ex;
}

export function concatExamples(parts: readonly Examples[]): Examples {
  const n = parts.reduce((a, p) => a + p.count, 0);
  const cat = <T extends Float32Array | Int32Array | Uint8Array>(make: (n: number) => T, get: (p: Examples) => T, per: number): T => {
    const out = make(n * per);
    let o = 0;
    for (const p of parts) {
      out.set(get(p), o);
      o += p.count * per;
    }
    return out;
  };
  const S = HEAD_MODALITIES.length * SLOT_SIZE;
  return {
    count: n,
    slots: cat(
      (k) => new Float32Array(k),
      (p) => p.slots,
      S,
    ),
    track: cat(
      (k) => new Float32Array(k),
      (p) => p.track,
      TRACK_SIZE,
    ),
    exist: cat(
      (k) => new Float32Array(k),
      (p) => p.exist,
      1,
    ),
    cls: cat(
      (k) => new Int32Array(k),
      (p) => p.cls,
      1,
    ),
    offset: cat(
      (k) => new Float32Array(k),
      (p) => p.offset,
      2,
    ),
    modelExistence: cat(
      (k) => new Float32Array(k),
      (p) => p.modelExistence,
      1,
    ),
    trackerCls: cat(
      (k) => new Int32Array(k),
      (p) => p.trackerCls,
      1,
    ),
    radarOnly: cat(
      (k) => new Uint8Array(k),
      (p) => p.radarOnly,
      1,
    ),
  };
}
