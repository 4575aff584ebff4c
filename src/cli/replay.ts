import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import { lastValueFrom, tap } from "rxjs";
import { createPipeline, planPipeline, type PipelinePlan } from "../pipeline";
import { loadConfig } from "../config/loadConfig";
import { planAlignByDeadline } from "../sync/alignByDeadlineSchema";
import { VENDOR_CLASSIFY } from "../decode/vendorDecoders";
import { FileReadable } from "../sources/mcap/FileReadable";
import { inspectRecording } from "../sources/mcap/inspectRecording";
import type { Pacing } from "../sources/mcap/readRecording";
import type { SyncedBundle, SyncStatus } from "../types";
import { nsToMs } from "../types/time";
import type { CliContext, CommandRegistrar } from "./context";
import { UsageError } from "./errors";

type ReplayFlags = { rate?: string; max?: boolean; tickHz: string; jsonl?: string; progress: boolean; config?: string };

const STATUSES: readonly SyncStatus[] = ["included", "late", "stale", "missing"];

/** One JSON line per tick: what the aligner decided for each sensor. */
export function bundleToJson(b: SyncedBundle): object {
  return {
    stamp: b.tick.toString(),
    seq: b.seq,
    trigger: b.trigger,
    sensors: b.sensors.map((s) => ({
      sensorId: s.sensorId,
      kind: s.frame?.kind ?? null,
      status: s.status,
      ageMs: s.age === undefined ? null : nsToMs(s.age),
      skewMs: s.skew === undefined ? null : nsToMs(s.skew),
    })),
  };
}

function parsePacing(flags: ReplayFlags): Pacing {
  if (flags.max && flags.rate !== undefined) throw new UsageError("--rate and --max exclude each other");
  if (flags.max) return { mode: "lossless" };
  const rate = flags.rate === undefined ? 1 : Number(flags.rate);
  if (!Number.isFinite(rate) || rate <= 0) throw new UsageError(`--rate ${flags.rate}: expected a positive number`);
  return { mode: "realtime", rate };
}

function summary(plan: PipelinePlan, counts: Map<string, Record<SyncStatus, number>>, ticks: number, wallMs: number): string {
  const lines = [`ticks: ${ticks} in ${(wallMs / 1000).toFixed(2)} s wall (${(ticks / Math.max(wallMs / 1000, 1e-9)).toFixed(0)} ticks/s)`];
  lines.push("sensor            kind    topics  " + STATUSES.map((s) => s.padStart(9)).join(""));
  for (const s of plan.sensors) {
    const c = counts.get(s.sensorId)!;
    lines.push(
      `${s.sensorId.padEnd(18)}${s.kind.padEnd(8)}${String(s.topics.length).padStart(6)}  ` +
        STATUSES.map((st) => String(c[st]).padStart(9)).join(""),
    );
  }
  for (const u of plan.unused) lines.push(`unused topic ${u.topic}: ${u.reason}`);
  return lines.join("\n");
}

async function run(file: string, flags: ReplayFlags, ctx: CliContext): Promise<void> {
  const pacing = parsePacing(flags);
  const tickHz = Number(flags.tickHz);
  if (!Number.isFinite(tickHz) || tickHz <= 0 || tickHz > 1000) throw new UsageError(`--tick-hz ${flags.tickHz}: expected a rate in (0, 1000] Hz`);
  const config = flags.config === undefined ? {} : await loadConfig(flags.config);
  const source = await FileReadable.open(file);
  try {
    const inspection = await inspectRecording(source, { classify: VENDOR_CLASSIFY, mapping: config.topics });
    let plan: PipelinePlan;
    try {
      plan = planPipeline(inspection, { tickHz, config });
      planAlignByDeadline(plan.sync); // the aligner's cross-field checks, before anything runs
    } catch (err) {
      throw new UsageError(`${flags.config ?? "config"}: ${(err as Error).message.split("\n")[0]}`);
    }
    if (plan.sensors.length === 0) throw new UsageError(`${file}: no camera, LiDAR, radar or audio topic that avfusion can decode`);
    ctx.stderr(`replay ${file}: ${plan.sensors.map((s) => `${s.sensorId} (${s.kind})`).join(", ")}; ${pacing.mode === "lossless" ? "as fast as possible" : `real time x${pacing.rate}`}\n`);
    const run = createPipeline(source, plan, { read: { pacing }, decode: { mapping: config.topics } });
    const counts = new Map(plan.sensors.map((s) => [s.sensorId, { included: 0, late: 0, stale: 0, missing: 0 }]));
    const expectedTicks = Math.max(1, Math.ceil(inspection.durationSec * tickHz));
    const bar = flags.progress && process.stderr.isTTY ? new SingleBar({ format: "replay [{bar}] {value}/{total} ticks {eta}s" }) : undefined;
    bar?.start(expectedTicks, 0);
    const lines: string[] = [];
    const started = performance.now();
    let ticks = 0;
    await lastValueFrom(
      run.bundles.pipe(
        tap((b) => {
          ticks++;
          for (const s of b.sensors) counts.get(s.sensorId)![s.status]++;
          if (flags.jsonl !== undefined) lines.push(JSON.stringify(bundleToJson(b)));
          bar?.update(Math.min(ticks, expectedTicks));
        }),
      ),
      { defaultValue: undefined },
    ).finally(() => bar?.stop());
    const wallMs = performance.now() - started;
    if (flags.jsonl === "-") ctx.stdout(lines.map((l) => `${l}\n`).join(""));
    else if (flags.jsonl !== undefined) {
      const { writeFile } = await import("node:fs/promises");
      await writeFile(flags.jsonl, lines.map((l) => `${l}\n`).join(""));
    }
    const d = run.decodeStats;
    const out = flags.jsonl === "-" ? ctx.stderr : ctx.stdout;
    out(`${summary(plan, counts, ticks, wallMs)}\n`);
    out(`read: ${run.readDiagnostics.messagesDelivered} messages (${run.readDiagnostics.access ?? "?"}); decode: ${d.decoded} ok, ${d.errors} errors, ${d.skipped} skipped\n`);
    out(`calibration: ${run.calibration.transforms.size} transforms, ${run.calibration.cameras.size} camera intrinsics\n`);
    if (run.readDiagnostics.damage !== undefined) {
      ctx.stderr(`avfusion: ${run.readDiagnostics.damage}\n`);
      ctx.exitCode = 2;
    }
  } finally {
    await source.close();
  }
}

export const registerReplay: CommandRegistrar = (program: Command, ctx: CliContext) => {
  program
    .command("replay")
    .description("replay a recording through the pipeline (read → decode → time alignment) and summarise each sensor's part in every tick")
    .argument("<file>", "MCAP recording")
    .option("--rate <r>", "real time × r (default 1)")
    .option("--max", "lossless, as fast as the pipeline consumes")
    .option("--tick-hz <hz>", "fusion tick rate", "10")
    .option("--jsonl <path>", "write one JSON line per tick to PATH (- for stdout)")
    .option("--config <file>", "YAML/JSON config: topic mapping, tick rate, per-sensor alignment (see README)")
    .option("--no-progress", "no progress bar")
    .action((file: string, flags: ReplayFlags) => run(file, flags, ctx));
};
