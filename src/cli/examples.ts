import type { Command } from "commander";

/**
 * The examples each `--help` ends with, kept in one place so that every command has some
 * (main.ts adds them; test: src/cli/main.test.ts) and they read alike.
 */
export const EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  avfusion: [
    "avfusion replay recordings/default.mcap --max",
    "avfusion inspect drive.mcap --json",
    "avfusion live --connect ws://127.0.0.1:8765 --serve 8766",
    "avfusion <command> --help",
  ],
  inspect: ["avfusion inspect drive.mcap", "avfusion inspect drive.mcap --json --scan"],
  replay: [
    "avfusion replay recordings/default.mcap --max",
    "avfusion replay drive.mcap --max --json > summary.json",
    "avfusion replay drive.mcap --rate 2 --out scene.mcap --quiet",
    "avfusion replay drive.mcap --max --jsonl - | head -1",
    "cat drive.mcap | avfusion replay - --max",
  ],
  eval: ["avfusion eval fog.mcap clear.mcap --pipelines fused,camera", "avfusion eval --suite --json --report out/eval"],
  simulate: [
    "avfusion simulate --scenario highway-clear -o drive.mcap",
    "avfusion simulate --scenario random --seed 7 --fog 50 -o fog.mcap",
  ],
  import: [
    "avfusion import kitti ../shared/data/real-frames/kitti -o kitti.mcap --repeat 20",
    "avfusion import kitti kitti/object --frames 000008 -o 000008.mcap",
  ],
  train: ["avfusion train --modality radar --out models", "avfusion train --fusion --quick --out tmp/models"],
  play: ["avfusion play drive.mcap --serve 8765 --loop", "avfusion play drive.mcap --udp velodyne:127.0.0.1:2368 --rate 1"],
  live: [
    "avfusion live --connect ws://127.0.0.1:8765 --duration 10",
    "avfusion live --udp velodyne:2368 --mount velodyne_2368=0,0,1.8 --jsonl -",
  ],
  bench: ["avfusion bench", "avfusion bench --scenario all --json --report out/bench"],
};

/** Appends `Examples:` to a command's help; commands without an entry get none. */
export function addExamples(command: Command): void {
  const lines = EXAMPLES[command.name()];
  if (lines === undefined) return;
  command.addHelpText("after", `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`);
}
