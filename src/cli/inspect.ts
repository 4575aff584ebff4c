import type { Command } from "commander";
import { VENDOR_CLASSIFY } from "../decode/vendorDecoders";
import { loadConfig } from "../config/loadConfig";
import { FileReadable } from "../sources/mcap/FileReadable";
import { inspectRecording, inspectionToJson, type RecordingInspection } from "../sources/mcap/inspectRecording";
import { withContentRoles } from "../replay/contentRoles";
import type { CliContext, CommandRegistrar } from "./context";
import { parseRecordCap, withRecordCapFlag, type RecordCapFlag } from "./recordFlags";
import { inputFile, shownError } from "./stdinFile";

type InspectFlags = RecordCapFlag & { json?: boolean; scan?: boolean; crc: boolean; config?: string };

function formatNs(ns: bigint): string {
  return `${ns} ns (${new Date(Number(ns / 1_000_000n)).toISOString()})`;
}

function pad(cells: string[][]): string {
  const widths = cells[0].map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return cells
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function formatInspection(i: RecordingInspection): string {
  const lines = [
    `file:        ${i.file}`,
    `profile:     ${i.profile || "(none)"}`,
    `library:     ${i.library || "(none)"}`,
    `messages:    ${i.messageCount} (counts from ${i.countsFrom})`,
    `start:       ${i.messageCount > 0 ? formatNs(i.startTime) : "-"}`,
    `end:         ${i.messageCount > 0 ? formatNs(i.endTime) : "-"}`,
    `duration:    ${i.durationSec.toFixed(3)} s`,
    `chunks:      ${i.chunkCount}${i.compression.length ? ` (${i.compression.map((c) => c || "none").join(", ")})` : ""}`,
    `indexed:     ${i.indexed ? "yes" : `no (${i.indexNote ?? ""})`}`,
    `attachments: ${i.attachmentCount}`,
    `metadata:    ${i.metadataCount}`,
    "",
  ];
  const rows = [["topic", "schema", "encoding", "msgs", "Hz", "sensor", "supported"]];
  for (const t of i.topics) {
    rows.push([
      t.topic,
      `${t.schemaName || "(none)"}${t.schemaEncoding ? ` [${t.schemaEncoding}]` : ""}`,
      t.messageEncoding,
      String(t.messageCount),
      t.rateHz === null ? "-" : t.rateHz.toFixed(2),
      t.sensor ?? "-",
      t.supported ? "yes" : `no: ${t.reason ?? ""}`,
    ]);
  }
  lines.push(pad(rows));
  return `${lines.join("\n")}\n`;
}

async function run(file: string, flags: InspectFlags, ctx: CliContext): Promise<void> {
  const maxRecordBytes = parseRecordCap(flags);
  const config = flags.config === undefined ? {} : await loadConfig(flags.config);
  const input = await inputFile(file);
  try {
    const source = await FileReadable.open(input.path, { maxRecordBytes });
    try {
      // Same classification as the decode stage, vendor packet decoders included.
      // Point clouds classified by their first message's fields too (a radar cloud), as replay plans them.
      const result = await withContentRoles(
        await inspectRecording(source, { scan: flags.scan, validateCrcs: flags.crc, classify: VENDOR_CLASSIFY, mapping: config.topics }),
        source,
        config.topics,
      );
      const shown = flags.json ? `${JSON.stringify(inspectionToJson(result), null, 2)}\n` : formatInspection(result);
      ctx.stdout(input.shown(shown));
      if (result.damage !== undefined) {
        ctx.stderr(`avfusion: ${input.shown(result.damage)}\n`);
        ctx.exitCode = 2;
      }
    } finally {
      await source.close();
    }
  } catch (err) {
    throw shownError(err, input);
  } finally {
    await input.dispose();
  }
}

export const registerInspect: CommandRegistrar = (program: Command, ctx: CliContext) => {
  const command = program
    .command("inspect")
    .description("summarize an MCAP recording: profile, topics, counts, rates, time span, sensor roles")
    .argument("<file>", "MCAP recording, or - to read one from stdin")
    .option("--json", "print the stable JSON form")
    .option("--scan", "count by reading every record even when the summary has statistics")
    .option("--no-crc", "skip chunk CRC checks while scanning")
    .option("--config <file>", "YAML/JSON config whose `topics` map topics to sensors (see README)");
  withRecordCapFlag(command).action(async (file: string, flags: InspectFlags) => run(file, flags, ctx));
};
