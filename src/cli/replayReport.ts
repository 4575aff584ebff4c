import type { ReplayResult } from "../replay";
import { SCENE_TOPIC, SCENE_UPDATE_TOPIC } from "../sinks/sceneOutputs";
import type { CliContext } from "./context";

/** How a replay ends at the command line: its exit code and the lines that say why it is not 0. */
export type ReplayOutcome = { exitCode: number; problems: string[] };

type Shown = {
  file: string;
  out?: string | undefined;
  ros2Out?: string | undefined;
  jsonl?: string | undefined;
  json?: boolean | undefined;
};

/** Damage and "produced nothing" are exit 2 (docs/pipeline.md, "What ends non-zero"). */
export function replayOutcome({ run, verdict }: ReplayResult, shown: (text: string) => string): ReplayOutcome {
  const problems = [run.readDiagnostics.damage, verdict.failure].filter((p): p is string => p !== undefined).map(shown);
  return { exitCode: problems.length > 0 ? 2 : 0, problems };
}

/** `replay --json`: one object with the summary's figures and what the text summary says besides. */
export function replayJson(result: ReplayResult, flags: Shown, outcome: ReplayOutcome): object {
  const { plan, summary, wallMs, run, verdict, stopped } = result;
  const d = run.decodeStats;
  return {
    file: flags.file,
    ...summary.figures(wallMs),
    read: { messages: run.readDiagnostics.messagesDelivered, access: run.readDiagnostics.access ?? null },
    decode: { decoded: d.decoded, errors: d.errors, skipped: d.skipped },
    droppedTicks: run.droppedTicks(),
    unusedTopics: plan.unused.map((u) => ({ topic: u.topic, reason: u.reason })),
    outputs: { out: flags.out ?? null, ros2Out: flags.ros2Out ?? null, jsonl: flags.jsonl ?? null },
    stopped,
    warnings: verdict.warnings,
    problems: outcome.problems,
    exitCode: outcome.exitCode,
  };
}

/**
 * The end-of-run summary, text or `--json`: on stdout, or on stderr when stdout carries
 * `--jsonl -`. The problems (damage, nothing produced) are also one line each on stderr.
 */
export function printReplaySummary(result: ReplayResult, flags: Shown, outcome: ReplayOutcome, ctx: CliContext): void {
  const out = flags.jsonl === "-" ? ctx.stderr : ctx.stdout;
  if (flags.json) {
    out(`${JSON.stringify(replayJson(result, flags, outcome))}\n`);
  } else {
    const { plan, summary, wallMs, run } = result;
    const d = run.decodeStats;
    out(`${summary.format(wallMs)}\n`);
    out(
      `read: ${run.readDiagnostics.messagesDelivered} messages (${run.readDiagnostics.access ?? "?"}); ` +
        `decode: ${d.decoded} ok, ${d.errors} errors, ${d.skipped} skipped; ticks dropped while busy: ${run.droppedTicks()}\n`,
    );
    for (const u of plan.unused) out(`unused topic ${u.topic}: ${u.reason}\n`);
    if (flags.out !== undefined) out(`wrote ${flags.out} (${SCENE_TOPIC}, ${SCENE_UPDATE_TOPIC})\n`);
  }
  for (const p of outcome.problems) ctx.stderr(`avfusion: ${p}\n`);
}
