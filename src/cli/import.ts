import path from "node:path";
import type { Command } from "commander";
import { importKitti } from "../importers/kitti/importKitti";
import { FileWritable } from "../sinks/mcap/FileWritable";
import { McapSink } from "../sinks/mcap/McapSink";
import { BadInputError } from "../types/errors";
import type { CliContext, CommandRegistrar } from "./context";

type ImportFlags = { output?: string; frames?: string; repeat: string; hz: string };

function positive(flag: string, text: string, integer: boolean): number {
  const v = Number(text);
  if (!(Number.isFinite(v) && v > 0 && (!integer || Number.isInteger(v))))
    throw new BadInputError({
      where: `${flag} ${text}`,
      what: "",
      expected: integer ? "an integer ≥ 1" : "a positive number",
      code: "usage",
    });
  return v;
}

async function run(format: string, dir: string, flags: ImportFlags, ctx: CliContext): Promise<void> {
  if (format !== "kitti") throw new BadInputError({ where: `import ${format}`, what: "unknown format", expected: "kitti", code: "usage" });
  const output = flags.output ?? `${path.basename(path.resolve(dir))}.mcap`;
  if (path.extname(output) === "")
    throw new BadInputError({ where: `-o ${output}`, what: "", expected: "a file name ending in .mcap", code: "usage" });
  const repeat = positive("--repeat", flags.repeat, true);
  const hz = positive("--hz", flags.hz, false);
  const frames = flags.frames?.split(",").map((f) => f.trim());
  const file = await FileWritable.create(output, { label: `-o ${output}` });
  let stats;
  try {
    const sink = await McapSink.open(file, { library: "avfusion import kitti" });
    stats = await importKitti(dir, sink, { repeat, hz, ...(frames ? { frames } : {}) });
    await sink.close();
    await file.close();
  } catch (err) {
    await file.abort();
    throw err;
  }
  const without = stats.withoutLabels.length ? `; no labels for ${stats.withoutLabels.join(", ")}` : "";
  ctx.stdout(
    `wrote ${output}: ${stats.frames.length} KITTI frame(s) (${stats.frames.join(", ")}) × ${repeat} at ${hz} Hz, ` +
      `${stats.messages} messages, ${stats.objects} labelled objects${without}\n`,
  );
}

export const registerImport: CommandRegistrar = (program: Command, ctx: CliContext) => {
  program
    .command("import")
    .description("convert a dataset to an MCAP recording with Foxglove schemas, calibration, transforms and ground truth")
    .argument("<format>", "the dataset's format: kitti (the KITTI object format: image_2, velodyne, calib, label_2)")
    .argument("<dir>", "the dataset folder (KITTI: the split folder, or the folder holding training/)")
    .option("-o, --output <file>", "output MCAP file (default: <dir name>.mcap)")
    .option("--frames <ids>", "comma-separated frame ids, e.g. 000008 (default: every frame)")
    .option("--repeat <n>", "emit each frame n times in a row: a still scene the tracker can confirm", "1")
    .option("--hz <rate>", "frame rate of the stamps (KITTI object frames carry no time)", "10")
    .action((format: string, dir: string, flags: ImportFlags) => run(format, dir, flags, ctx));
};
