/*
 * Are the encoders' stated covariances honest? Each detection is paired with the nearest
 * ground-truth object (same kind of frame: the ground-truth frame nearest its capture stamp, within
 * `maxStampDeltaMs` and `gateM`), and its normalised squared error against the truth
 * (NIS = rᵀ C⁻¹ r, 2 dof for x,y position and for x,y velocity) is collected. For an honest
 * covariance the NIS follows χ²(2), whose median is 2·ln 2 ≈ 1.386; the ratio of the observed
 * median to that is the factor by which the stated covariance should be scaled (the median is used
 * because a few wrong pairings must not set it). The tracker takes these factors as
 * `sensors.<kind>.positionCovarianceScale` / `velocityCovarianceScale`.
 */
import type { Detection, GroundTruthFrame, Nanos, SensorEvidence, SensorKind } from "../types";

/** Median of χ²(2): 2 ln 2. */
export const CHI2_2_MEDIAN = 2 * Math.LN2;

export type ConsistencyRow = {
  kind: SensorKind;
  /** Detections paired with a ground-truth object. */
  paired: number;
  position: { medianNis: number; scale: number; medianErrorM: number; medianStatedStdM: number } | null;
  /** Only detections that state a velocity; ground-referenced velocities are compared as they are. */
  velocity: { paired: number; medianNis: number; scale: number; medianErrorMps: number; medianStatedStdMps: number } | null;
};

export type ConsistencyOptions = { gateM?: number; maxStampDeltaMs?: number };

const median = (xs: number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** NIS of a 2-vector residual against a covariance given as [xx, xy, yx, yy] or a row-major 3×3. */
function nis2(dx: number, dy: number, c: readonly number[]): number | undefined {
  const [a, b, d] = c.length >= 9 ? [c[0]!, c[1]!, c[4]!] : [c[0]!, c[1]!, c[3]!];
  const det = a * d - b * b;
  if (!(det > 0) || !Number.isFinite(det)) return undefined;
  return (d * dx * dx - 2 * b * dx * dy + a * dy * dy) / det;
}

function nearestFrame(frames: readonly GroundTruthFrame[], stamp: Nanos, maxDelta: bigint): GroundTruthFrame | undefined {
  let best: GroundTruthFrame | undefined;
  let bestD = maxDelta + 1n;
  for (const f of frames) {
    const d = f.stamp > stamp ? f.stamp - stamp : stamp - f.stamp;
    if (d < bestD) {
      bestD = d;
      best = f;
    }
  }
  return best;
}

type Samples = { pos: number[]; posErr: number[]; posStd: number[]; vel: number[]; velErr: number[]; velStd: number[] };

function collect(det: Detection, frame: GroundTruthFrame, gateM: number, s: Samples): boolean {
  let best: { r: number; o: GroundTruthFrame["objects"][number] } | undefined;
  for (const o of frame.objects) {
    const r = Math.hypot(det.position.x - o.position.x, det.position.y - o.position.y);
    if (r < gateM && (!best || r < best.r)) best = { r, o };
  }
  if (!best) return false;
  const c = det.positionCovariance;
  const n = nis2(det.position.x - best.o.position.x, det.position.y - best.o.position.y, c);
  if (n !== undefined) {
    s.pos.push(n);
    s.posErr.push(best.r);
    s.posStd.push(Math.sqrt((c[0]! + (c.length >= 9 ? c[4]! : c[3]!)) / 2));
  }
  const v = det.velocity;
  if (v && v.reference === "ground") {
    const ex = v.value.x - best.o.velocity.x;
    const ey = v.value.y - best.o.velocity.y;
    const nv = nis2(ex, ey, v.covariance);
    if (nv !== undefined) {
      s.vel.push(nv);
      s.velErr.push(Math.hypot(ex, ey));
      s.velStd.push(Math.sqrt((v.covariance[0]! + (v.covariance.length >= 9 ? v.covariance[4]! : v.covariance[3]!)) / 2));
    }
  }
  return true;
}

/** Per sensor kind, how the stated covariances compare with the errors against the truth. */
export function covarianceConsistency(
  runs: readonly { evidence: readonly (readonly SensorEvidence[])[]; groundTruth: readonly GroundTruthFrame[] }[],
  options: ConsistencyOptions = {},
): ConsistencyRow[] {
  const gateM = options.gateM ?? 4;
  const maxDelta = BigInt(Math.round((options.maxStampDeltaMs ?? 20) * 1e6));
  const byKind = new Map<SensorKind, Samples & { paired: number }>();
  for (const run of runs)
    for (const tick of run.evidence)
      for (const ev of tick) {
        const frame = nearestFrame(run.groundTruth, ev.stamp, maxDelta);
        if (!frame) continue;
        const s = byKind.get(ev.kind) ?? { paired: 0, pos: [], posErr: [], posStd: [], vel: [], velErr: [], velStd: [] };
        byKind.set(ev.kind, s);
        for (const d of ev.detections) if (collect(d, frame, gateM, s)) s.paired++;
      }
  return [...byKind.entries()]
    .filter(([, s]) => s.paired > 0)
    .map(([kind, s]) => {
      const mp = median(s.pos);
      const mv = median(s.vel);
      return {
        kind,
        paired: s.paired,
        position: s.pos.length
          ? { medianNis: mp, scale: mp / CHI2_2_MEDIAN, medianErrorM: median(s.posErr), medianStatedStdM: median(s.posStd) }
          : null,
        velocity: s.vel.length
          ? {
              paired: s.vel.length,
              medianNis: mv,
              scale: mv / CHI2_2_MEDIAN,
              medianErrorMps: median(s.velErr),
              medianStatedStdMps: median(s.velStd),
            }
          : null,
      };
    });
}

const num = (x: number | undefined, d = 2): string => (x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(d));

/** The `eval --explain` section: per kind, the measured scales beside what the tracker applies. */
export function formatConsistencyMarkdown(
  rows: readonly ConsistencyRow[],
  applied: Partial<Record<SensorKind, { position: number; velocity: number }>>,
): string {
  const lines = [
    "## Covariance consistency (`eval --explain`)",
    "",
    "Each detection against the nearest true object (within 4 m, ground truth within 20 ms of its capture): median normalised squared error over χ²(2)'s median. A scale near 1 is an honest covariance; the tracker's `sensors.<kind>.positionCovarianceScale` / `velocityCovarianceScale` are meant to be these numbers for the rig.",
    "",
    "| kind | paired | position scale | median error (m) | median stated σ (m) | velocity scale | median error (m/s) | median stated σ (m/s) | applied (position / velocity) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of rows) {
    const a = applied[r.kind];
    lines.push(
      `| ${r.kind} | ${r.paired} | ${num(r.position?.scale)} | ${num(r.position?.medianErrorM)} | ${num(r.position?.medianStatedStdM)} | ${num(r.velocity?.scale)} | ${num(r.velocity?.medianErrorMps)} | ${num(r.velocity?.medianStatedStdMps)} | ${a ? `${a.position} / ${a.velocity}` : "–"} |`,
    );
  }
  return lines.join("\n");
}
