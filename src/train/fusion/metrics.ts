import type { FusionHead } from "../../fusion/fusionHead";
import type { Examples } from "./dataset";
import { replayDrive, gtAt, type Augmentation } from "./dataset";
import type { FusionDrive } from "./drives";
import type { SensorKind } from "../../types";

/** Candidate-level metrics of an existence score against the labels. */
export type ExistenceMetrics = {
  count: number;
  positives: number;
  /** Mean binary cross-entropy (scores clipped to 1e-6..1−1e-6). */
  bce: number;
  /** Accuracy at 0.5. */
  accuracy: number;
  /** Average precision (area under the precision/recall curve, ranking by score). */
  ap: number;
  /** Expected calibration error over 10 equal-width bins. */
  ece: number;
};

export function existenceMetrics(scores: ArrayLike<number>, labels: ArrayLike<number>, mask?: ArrayLike<number>): ExistenceMetrics {
  const idx: number[] = [];
  for (let i = 0; i < labels.length; i++) if (mask === undefined || mask[i]) idx.push(i);
  const n = idx.length;
  let bce = 0;
  let correct = 0;
  let positives = 0;
  const bins = Array.from({ length: 10 }, () => ({ n: 0, p: 0, y: 0 }));
  for (const i of idx) {
    const p = Math.min(1 - 1e-6, Math.max(1e-6, scores[i]!));
    const y = labels[i]!;
    positives += y;
    bce -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
    if ((p >= 0.5 ? 1 : 0) === y) correct++;
    const b = bins[Math.min(9, Math.floor(p * 10))]!;
    b.n++;
    b.p += p;
    b.y += y;
  }
  const sorted = idx.slice().sort((a, b) => scores[b]! - scores[a]!);
  let tp = 0;
  let ap = 0;
  sorted.forEach((i, k) => {
    if (labels[i]) {
      tp++;
      ap += tp / (k + 1);
    }
  });
  const ece = bins.reduce((a, b) => a + (b.n === 0 ? 0 : (b.n / Math.max(1, n)) * Math.abs(b.p / b.n - b.y / b.n)), 0);
  return { count: n, positives, bce: n ? bce / n : NaN, accuracy: n ? correct / n : NaN, ap: positives ? ap / positives : NaN, ece };
}

/** Class accuracy over positives with a known class; position RMS (m) over positives. */
export function classAccuracy(pred: ArrayLike<number>, ex: Examples, mask?: ArrayLike<number>): number {
  let n = 0;
  let ok = 0;
  for (let i = 0; i < ex.count; i++) {
    if (ex.cls[i]! < 0 || (mask && !mask[i])) continue;
    n++;
    if (pred[i] === ex.cls[i]) ok++;
  }
  return n ? ok / n : NaN;
}

export function positionRms(offsets: ArrayLike<number> | null, ex: Examples, mask?: ArrayLike<number>): number {
  let n = 0;
  let s = 0;
  for (let i = 0; i < ex.count; i++) {
    if (!ex.exist[i] || (mask && !mask[i])) continue;
    const ex0 = ex.offset[2 * i]! - (offsets ? offsets[2 * i]! : 0);
    const ey0 = ex.offset[2 * i + 1]! - (offsets ? offsets[2 * i + 1]! : 0);
    s += ex0 * ex0 + ey0 * ey0;
    n++;
  }
  return n ? Math.sqrt(s / n) : NaN;
}

/** Scene-level figures of the tracker (with a head or not) over replayed drives. */
export type ClosedLoopMetrics = {
  ticks: number;
  /** GT objects (real classes, within `rangeM`, seen by at least one of `visibleTo`) over all ticks. */
  objects: number;
  /** AP@2 m over all live tracks, score = existence, greedy matching per tick by score. */
  ap: number;
  /** The same over confirmed tracks only (what the scene state reports by default). */
  apConfirmed: number;
  /** Confirmed tracks: matched within 2 m / all, and matched objects / objects. */
  confirmedPrecision: number;
  confirmedRecall: number;
  /** Confirmed tracks not within 2 m of a real object, per tick. */
  falseConfirmedPerTick: number;
  /** RMS position error (m) of the matched confirmed tracks. */
  positionRms: number;
};

export function closedLoop(
  drives: readonly FusionDrive[],
  aug: Augmentation,
  head: FusionHead | undefined,
  visibleTo: readonly SensorKind[],
  rangeM = 60,
): ClosedLoopMetrics {
  const scored: { s: number; tp: boolean; confirmed: boolean }[] = [];
  let objects = 0;
  let ticks = 0;
  let conf = 0;
  let confTp = 0;
  let matchedObjects = 0;
  let se = 0;
  for (const drive of drives) {
    for (const t of replayDrive(drive, aug, head)) {
      if (t.gt === null) continue;
      ticks++;
      const gts = gtAt(t.gt, t.stamp).filter((o) => Math.hypot(o.x, o.y) <= rangeM && visibleTo.some((k) => (o.visibility[k] ?? 0) > 0));
      const allGts = gtAt(t.gt, t.stamp);
      objects += gts.length;
      const tracks = t.tracked.tracks
        .filter((k) => Math.hypot(k.position.x, k.position.y) <= rangeM)
        .sort((a, b) => b.existence - a.existence);
      const used = new Set<number>();
      for (const k of tracks) {
        let best = -1;
        let bestD = 2;
        gts.forEach((o, j) => {
          if (used.has(j)) return;
          const d = Math.hypot(o.x - k.position.x, o.y - k.position.y);
          if (d <= bestD) {
            bestD = d;
            best = j;
          }
        });
        // A track on a real object that is not counted (e.g. invisible to the kinds scored) is neither TP nor FP.
        const nearAny = allGts.some((o) => Math.hypot(o.x - k.position.x, o.y - k.position.y) <= 2);
        if (best < 0 && nearAny) continue;
        if (best >= 0) used.add(best);
        scored.push({ s: k.existence, tp: best >= 0, confirmed: k.status === "confirmed" });
        if (k.status === "confirmed") {
          conf++;
          if (best >= 0) {
            confTp++;
            matchedObjects++;
            se += bestD * bestD;
          }
        }
      }
    }
  }
  scored.sort((a, b) => b.s - a.s);
  const apOf = (list: readonly { tp: boolean }[]): number => {
    let tp = 0;
    let ap = 0;
    list.forEach((x, k) => {
      if (x.tp) {
        tp++;
        ap += tp / (k + 1);
      }
    });
    return objects ? ap / objects : NaN;
  };
  return {
    ticks,
    objects,
    ap: apOf(scored),
    apConfirmed: apOf(scored.filter((x) => x.confirmed)),
    confirmedPrecision: conf ? confTp / conf : NaN,
    confirmedRecall: objects ? matchedObjects / objects : NaN,
    falseConfirmedPerTick: ticks ? (conf - confTp) / ticks : NaN,
    positionRms: confTp ? Math.sqrt(se / confTp) : NaN,
  };
}
