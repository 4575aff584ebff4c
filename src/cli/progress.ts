import { SingleBar } from "cli-progress";
import type { Command } from "commander";

/** `--no-progress` and `--quiet`, as `replay` and `simulate` take them. */
export type ProgressFlags = { progress: boolean; quiet?: boolean };

export function withProgressFlags(command: Command): Command {
  return command
    .option("--no-progress", "no progress bar or progress lines")
    .option("--quiet", "no progress and no start-up news (backend, plan, head); warnings, errors and the summary still print");
}

/** Progress of one long run: `total` units, counted as they are done. */
export type Progress = {
  start(total: number): void;
  update(done: number): void;
  stop(): void;
};

export type ProgressOptions = {
  /** `replay`, `simulate`: starts each line. */
  label: string;
  /** `ticks`, `s`. */
  unit: string;
  /** Where the lines go when not on a terminal (the command's stderr). */
  write: (text: string) => void;
  /** Whether stderr is a terminal: a redrawn bar there, a line every `intervalMs` elsewhere. */
  isTTY?: boolean;
  intervalMs?: number;
  now?: () => number;
};

/** No progress at all (`--no-progress`, `--quiet`). */
export const NO_PROGRESS: Progress = { start: () => {}, update: () => {}, stop: () => {} };

/** The progress a run's flags ask for: none, a bar on a terminal, or a line every few seconds (logs, CI). */
export function progressFor(flags: ProgressFlags, options: ProgressOptions): Progress {
  if (!flags.progress || flags.quiet) return NO_PROGRESS;
  const isTTY = options.isTTY ?? process.stderr.isTTY === true;
  if (isTTY) return barProgress(options);
  return lineProgress(options);
}

function barProgress({ label, unit }: ProgressOptions): Progress {
  const bar = new SingleBar({ format: `${label} [{bar}] {value}/{total} ${unit} {eta}s`, stream: process.stderr, hideCursor: true });
  let started = false;
  return {
    start: (total) => {
      started = true;
      bar.start(total, 0);
    },
    update: (done) => bar.update(done),
    stop: () => {
      if (started) bar.stop();
    },
  };
}

/**
 * A redrawn bar in a log file or a CI console is noise, and nothing at all looks like a hang:
 * off a terminal, one plain line every `intervalMs` (default 5 s), none for a run shorter than that.
 */
export function lineProgress({ label, unit, write, intervalMs = 5000, now = () => performance.now() }: ProgressOptions): Progress {
  let total = 0;
  let startedAt = 0;
  let lastLine = 0;
  return {
    start: (n) => {
      total = n;
      startedAt = lastLine = now();
    },
    update: (done) => {
      const t = now();
      if (t - lastLine < intervalMs) return;
      lastLine = t;
      const elapsed = (t - startedAt) / 1000;
      const left = done > 0 && total > done ? `, about ${Math.round((elapsed * (total - done)) / done)} s left` : "";
      const pct = total > 0 ? ` (${Math.round((100 * Math.min(done, total)) / total)}%)` : "";
      write(`${label}: ${done}/${total} ${unit}${pct}, ${Math.round(elapsed)} s${left}\n`);
    },
    stop: () => {},
  };
}
