import { lastValueFrom, toArray } from "rxjs";
import { VENDOR_CLASSIFY } from "../../decode/vendorDecoders";
import type { ModelFiles } from "../../runtime/modelFiles";
import { createScenePipeline, planPipeline } from "../../pipeline";
import { Prng } from "../../sim/Prng";
import { randomScenario } from "../../sim/randomScenario";
import { validateScenario, type Scenario, type ScenarioInput } from "../../sim/scenario";
import { simulateToMcap } from "../../sim/simulate";
import { BufferReadable } from "../../sources/mcap/BufferReadable";
import { inspectRecording } from "../../sources/mcap/inspectRecording";
import { MemoryWritable } from "../../sources/mcap/MemoryWritable";
import type { EvidenceBundle, GroundTruthFrame, Nanos, ObjectClass, SensorKind } from "../../types";
import type { CandidateRefinement, FusionCandidate, FusionHead } from "../../fusion/fusionHead";

/*
 * Simulated drives for the fusion head: seeds 20000–29999 only (the named scenarios in
 * recordings/scenarios and seeds ≥ 50000 are held out for evaluation). Each drive runs the real
 * encoders through `createScenePipeline` with a capturing head (records the candidates, refines
 * nothing), and keeps per tick the candidates, the evidence (for re-running the tracker, e.g.
 * with the head in the loop) and the ground truth nearest the tick.
 */

export const FUSION_SEED_MIN = 20_000;
export const FUSION_SEED_MAX = 29_999;

export type DriveVariant = "random" | "fog" | "faults";
export type DriveSpec = { seed: number; variant: DriveVariant; durationS: number };

/** Training seeds from 20000 up; validation seeds from 29000 up (kept apart). */
export const DEFAULT_TRAIN_DRIVES = 60;

export function fusionSplit(quick: boolean, trainDrives = DEFAULT_TRAIN_DRIVES): { train: DriveSpec[]; validation: DriveSpec[] } {
  if (!Number.isInteger(trainDrives) || trainDrives < 1 || trainDrives > 9000)
    throw new RangeError(`training drives ${trainDrives}: expected an integer 1..9000`);
  const variants: DriveVariant[] = ["random", "fog", "faults"];
  const mk = (from: number, n: number, durationS: number): DriveSpec[] =>
    Array.from({ length: n }, (_, i) => ({ seed: from + i, variant: variants[(from + i) % 3]!, durationS }));
  return quick
    ? { train: mk(20_000, 2, 2), validation: mk(29_000, 1, 2) }
    : { train: mk(20_000, trainDrives, 15), validation: mk(29_000, 12, 15) };
}

/**
 * `randomScenario(seed)` (half in fog, a few faults), or with forced dense fog (30–150 m), or with
 * forced whole-sensor dropouts of 2–6 s (camera, LiDAR or radar) on top of its own faults.
 */
export function fusionTrainingScenario(spec: DriveSpec): Scenario {
  const { seed, variant, durationS } = spec;
  if (!Number.isInteger(seed) || seed < FUSION_SEED_MIN || seed > FUSION_SEED_MAX) {
    throw new RangeError(
      `fusion training seed ${seed}: expected an integer ${FUSION_SEED_MIN}..${FUSION_SEED_MAX} (other seeds are held out)`,
    );
  }
  const base = randomScenario(seed, durationS);
  const rng = new Prng(seed).fork("fusion-training");
  const input: ScenarioInput = { ...base, name: `fusion-${variant}-${seed}` };
  if (variant === "fog") {
    input.weather = { visibilityM: Math.round(Math.exp(rng.uniform(Math.log(30), Math.log(150)))), night: base.weather.night };
  } else if (variant === "faults") {
    const faults: NonNullable<ScenarioInput["faults"]> = [...base.faults];
    const n = rng.int(1, 2);
    for (let i = 0; i < n; i++) {
      const sensor = rng.pick(["camera", "lidar", "radar"] as const);
      const fromS = rng.uniform(0, Math.max(0, durationS - 3));
      faults.push({ type: "dropout", sensor, fromS, toS: Math.min(durationS, fromS + rng.uniform(2, 6)) });
    }
    input.faults = faults;
  }
  return validateScenario(input, `fusion training ${variant} seed ${seed}`);
}

/** A ground-truth object as the labels need it (ego frame at the GT stamp). */
export type GtObject = {
  id: number;
  cls: ObjectClass;
  x: number;
  y: number;
  vx: number;
  vy: number;
  visibility: Partial<Record<SensorKind, number>>;
};
export type GtTick = { stamp: Nanos; egoSpeedMps: number; visibilityM: number; objects: GtObject[] };

export type DriveTick = {
  stamp: Nanos;
  candidates: FusionCandidate[];
  /** Ground truth nearest the tick stamp (within 60 ms), or null. */
  gt: GtTick | null;
};

export type FusionDrive = {
  version: 1;
  spec: DriveSpec;
  scenario: string;
  visibilityM: number | null;
  ticks: DriveTick[];
  /** The encoders' evidence per tick (embeddings dropped), to re-run the tracker offline. */
  evidence: EvidenceBundle[];
};

/** Records every tick's candidates; never refines. */
export class CapturingHead implements FusionHead {
  readonly captured = new Map<Nanos, FusionCandidate[]>();
  refine(stamp: Nanos, candidates: readonly FusionCandidate[]): (CandidateRefinement | undefined)[] {
    this.captured.set(
      stamp,
      candidates.map((c) => structuredClone(c)),
    );
    return candidates.map(() => undefined);
  }
}

const GT_TOLERANCE_NS = 60_000_000n;

function gtTick(gt: GroundTruthFrame): GtTick {
  return {
    stamp: gt.stamp,
    egoSpeedMps: gt.egoSpeedMps,
    visibilityM: gt.visibilityM,
    objects: gt.objects.map((o) => ({
      id: o.id,
      cls: o.classification,
      x: o.position.x,
      y: o.position.y,
      vx: o.velocity.x,
      vy: o.velocity.y,
      visibility: { ...o.visibility },
    })),
  };
}

/** The GT frame nearest `stamp` within the tolerance (frames sorted by stamp). */
export function nearestGt(frames: readonly GtTick[], stamp: Nanos): GtTick | null {
  let lo = 0;
  let hi = frames.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (frames[mid]!.stamp < stamp) lo = mid + 1;
    else hi = mid;
  }
  let best: GtTick | null = null;
  let bestD = GT_TOLERANCE_NS + 1n;
  for (const i of [lo - 1, lo]) {
    const f = frames[i];
    if (f === undefined) continue;
    const d = f.stamp > stamp ? f.stamp - stamp : stamp - f.stamp;
    if (d < bestD) {
      bestD = d;
      best = f;
    }
  }
  return best;
}

/** Simulates one drive in memory and runs the whole pipeline with the capturing head. */
export async function generateDrive(spec: DriveSpec, models: { files: ModelFiles; dir?: string }): Promise<FusionDrive> {
  const scenario = fusionTrainingScenario(spec);
  const out = new MemoryWritable();
  await simulateToMcap(scenario, out);
  const source = new BufferReadable(out.bytes());
  const plan = planPipeline(await inspectRecording(source, { classify: VENDOR_CLASSIFY }));
  const head = new CapturingHead();
  const gts: GtTick[] = [];
  const run = createScenePipeline(source, plan, {
    read: { pacing: { mode: "lossless" } },
    models: { files: models.files, ...(models.dir !== undefined ? { dir: models.dir } : {}) },
    fusionHead: head,
    // Scene health plays no part in the head's data: monitor the sensors without rate expectations
    // (a drive with a long dropout measures odd rates).
    scene: { health: { sensors: plan.sensors.map((s) => ({ id: s.sensorId, kind: s.kind })) } },
    onGroundTruth: (gt) => gts.push(gtTick(gt)),
  });
  try {
    const ticks = await lastValueFrom(run.ticks.pipe(toArray()));
    gts.sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : 0));
    return {
      version: 1,
      spec,
      scenario: scenario.name,
      visibilityM: scenario.weather.visibilityM ?? null,
      ticks: ticks.map((t) => ({
        stamp: t.evidence.stamp,
        candidates: head.captured.get(t.evidence.stamp) ?? [],
        gt: nearestGt(gts, t.evidence.stamp),
      })),
      evidence: ticks.map((t) => ({ ...t.evidence, evidence: t.evidence.evidence.map(({ embedding: _e, ...rest }) => rest) })),
    };
  } finally {
    await run.dispose();
  }
}

// --- a JSON form that keeps bigint and non-finite numbers ----------------------------------------

export function encodeDrive(drive: FusionDrive): Uint8Array {
  const text = JSON.stringify(drive, (_k, v: unknown) => {
    if (typeof v === "bigint") return `${v}n`;
    if (typeof v === "number" && !Number.isFinite(v)) return `#${v}`;
    return v;
  });
  return new TextEncoder().encode(text);
}

export function decodeDrive(bytes: Uint8Array, where: string): FusionDrive {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes), (_k, v: unknown) => {
      if (typeof v === "string") {
        if (/^-?\d+n$/.test(v)) return BigInt(v.slice(0, -1));
        if (v === "#Infinity") return Infinity;
        if (v === "#-Infinity") return -Infinity;
        if (v === "#NaN") return NaN;
      }
      return v;
    });
  } catch (err) {
    throw new RangeError(`fusion drive ${where}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const d = value as Partial<FusionDrive> | null;
  if (!d || d.version !== 1 || !Array.isArray(d.ticks) || !Array.isArray(d.evidence) || !d.spec) {
    throw new RangeError(`fusion drive ${where}: expected version 1 with spec, ticks and evidence`);
  }
  return d as FusionDrive;
}

export const driveFileName = (spec: DriveSpec): string => `drive-${spec.seed}-${spec.variant}-${spec.durationS}s.json`;
