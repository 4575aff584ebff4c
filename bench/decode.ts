// Decode-stage throughput per schema: every message of a recording through createDecoder,
// repeated, timed per schema. Prints messages/s and MB/s per schema and the decoded point rate.
//   node --require ./bench/register.js bench/decode.ts [recordings/default.mcap ...]
import { lastValueFrom, toArray } from "rxjs";
import { createDecoder } from "../src/decode/createDecoder";
import { VENDOR_DECODERS } from "../src/decode/vendorDecoders";
import { FileReadable } from "../src/sources/mcap/FileReadable";
import { readRecording } from "../src/sources/mcap/readRecording";
import type { SensorMessage } from "../src/types";
import { cpus } from "node:os";

async function load(file: string): Promise<SensorMessage[]> {
  const source = await FileReadable.open(file);
  try {
    // Copy each message: the reader hands out views into its chunk buffers.
    const msgs = await lastValueFrom(readRecording(source).pipe(toArray()));
    return msgs.map((m) => ({ ...m, data: m.data.slice() }));
  } finally {
    await source.close();
  }
}

async function main(): Promise<void> {
  const files = process.argv.slice(2);
  if (files.length === 0) files.push("recordings/default.mcap");
  console.log(`# bench/decode.ts — node ${process.version}, ${cpus()[0]?.model ?? "?"} x${cpus().length}`);
  console.log("| file | schema | messages | ms/message (median of 5 passes) | messages/s | MB/s | points/s |");
  console.log("|---|---|---:|---:|---:|---:|---:|");
  for (const file of files) {
    const msgs = await load(file);
    const bySchema = new Map<string, SensorMessage[]>();
    for (const m of msgs) bySchema.set(m.schemaName, [...(bySchema.get(m.schemaName) ?? []), m]);
    for (const [schema, list] of bySchema) {
      const passes: number[] = [];
      let points = 0;
      for (let pass = 0; pass < 5; pass++) {
        const decoder = createDecoder({ vendor: VENDOR_DECODERS }); // fresh: schema compilation is in pass 0 only
        decoder.decode(list[0]); // compile the channel's schema outside the timing
        points = 0;
        const t = performance.now();
        for (const m of list) {
          const r = decoder.decode(m);
          if ("messages" in r) for (const f of r.messages) if (f.kind === "lidar") points += f.count;
        }
        passes.push(performance.now() - t);
      }
      passes.sort((a, b) => a - b);
      const ms = passes[2];
      const bytes = list.reduce((n, m) => n + m.data.byteLength, 0);
      const perS = list.length / (ms / 1000);
      console.log(
        `| ${file} | ${schema} | ${list.length} | ${(ms / list.length).toFixed(3)} | ${Math.round(perS).toLocaleString("en")} | ` +
          `${(bytes / 1e6 / (ms / 1000)).toFixed(0)} | ${points > 0 ? Math.round(points / (ms / 1000)).toLocaleString("en") : "-"} |`,
      );
    }
  }
}

void main();
