// Pipeline overhead per tick without the encoders: decode + sync + fusion + scene + sink.
//   node --require ./bench/register.js bench/pipelineOverhead.ts [scenario=nominal] [durationS=10] [passes=5] [--save FILE]
// The scenario's recording is simulated once (tmp/bench-cache), read into memory, encoded once
// with the real encoders (cached evidence), then replayed `passes` times through decode → align
// → fusion stage → MCAP scene writer (into a byte counter), timing each tick. Target: p99 ≤ 1 ms.
import { promises as fsp } from "fs";
import * as path from "path";
import { lastValueFrom, toArray } from "rxjs";
import { machineInfo, formatMachine, loadAvg } from "../src/benchmark/machine";
import { encodeOnce, measurePipelineOverhead } from "../src/benchmark/overhead";
import { BENCH_SCENARIO_SPECS, cachedRecording, parseScenarioList } from "../src/benchmark/scenarios";
import { VENDOR_CLASSIFY } from "../src/decode/vendorDecoders";
import { planPipeline } from "../src/pipeline";
import { nodeModelFiles } from "../src/runtime/nodeModelFiles";
import { selectBackend } from "../src/runtime/selectBackend";
import { FileReadable } from "../src/sources/mcap/FileReadable";
import { inspectRecording } from "../src/sources/mcap/inspectRecording";
import { readRecording } from "../src/sources/mcap/readRecording";

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const saveAt = args.indexOf("--save");
  const save = saveAt >= 0 ? args[saveAt + 1] : undefined;
  const positional = args.filter((_, i) => saveAt < 0 || (i !== saveAt && i !== saveAt + 1));
  const [name = "nominal", durationArg = "10", passesArg = "5"] = positional;
  const scenario = parseScenarioList(name)[0]!;
  const durationS = Number(durationArg);
  const passes = Number(passesArg);
  if (!(durationS >= 1) || !(passes >= 1))
    throw new Error(`usage: pipelineOverhead.ts [scenario] [durationS >= 1] [passes >= 1] [--save FILE]`);
  const backend = await selectBackend({ log: (l) => console.error(l) });
  const file = await cachedRecording(BENCH_SCENARIO_SPECS[scenario].build(durationS), path.join("tmp", "bench-cache"), (l) =>
    console.error(l),
  );
  const source = await FileReadable.open(file);
  const inspection = await inspectRecording(source, { classify: VENDOR_CLASSIFY });
  const messages = await lastValueFrom(readRecording(source).pipe(toArray()));
  await source.close();
  const plan = planPipeline(inspection, { tickHz: 10 });
  const encoded = await encodeOnce(messages, plan, { files: nodeModelFiles(), dir: "models" });
  const loadBefore = loadAvg();
  const r = await measurePipelineOverhead(messages, plan, encoded, { passes });
  const loadAfter = loadAvg();
  const machine = machineInfo();
  const row = (label: string, s: { p50Ms: number; p99Ms: number; maxMs: number; meanMs: number }): string =>
    `  ${label.padEnd(22)}${s.p50Ms.toFixed(3).padStart(8)}${s.p99Ms.toFixed(3).padStart(9)}${s.maxMs.toFixed(3).padStart(9)}${s.meanMs.toFixed(3).padStart(9)}`;
  console.log(
    `pipeline overhead without encoders: ${scenario}, ${durationS} s × ${passes} passes = ${r.ticks} ticks, ${messages.length} messages a pass`,
  );
  console.log(
    `backend ${backend.backend} (encoders ran once, beforehand); ${formatMachine(machine)}; load during run ${loadBefore.join(" / ")} → ${loadAfter.join(" / ")}`,
  );
  console.log(`  ${"ms per tick".padEnd(22)}     p50      p99      max     mean`);
  console.log(row("decode + sync", r.decodeSync));
  console.log(row("fusion + scene", r.fusionScene));
  console.log(row("sink (MCAP, 2 msgs)", r.sink));
  console.log(row("total", r.total));
  console.log(`  decode by schema (wall):`);
  for (const [schema, d] of Object.entries(r.decodeBySchema).sort((a, b) => b[1].msPerTick - a[1].msPerTick)) {
    console.log(
      `    ${schema.padEnd(34)} ${String(d.messages).padStart(6)} msgs  p50 ${d.p50Ms.toFixed(3)} ms  mean ${d.meanMs.toFixed(3)} ms  p99 ${d.p99Ms.toFixed(3)} ms  ${d.msPerTick.toFixed(3)} ms/tick`,
    );
  }
  console.log(`  CPU time of this process (user + system), same ticks:`);
  console.log(row("decode + sync", r.cpu.decodeSync));
  console.log(row("fusion + scene", r.cpu.fusionScene));
  console.log(row("sink (MCAP, 2 msgs)", r.cpu.sink));
  console.log(row("total", r.cpu.total));
  console.log(
    `target p99 ≤ 1 ms per tick, wall: ${r.total.p99Ms <= 1 ? "met" : "MISSED"} (p99 ${r.total.p99Ms.toFixed(3)} ms; ${r.over1ms} of ${r.ticks} ticks over 1 ms)`,
  );
  console.log(
    `target p99 ≤ 1 ms per tick, CPU:  ${r.cpu.total.p99Ms <= 1 ? "met" : "MISSED"} (p99 ${r.cpu.total.p99Ms.toFixed(3)} ms; ${r.cpu.over1ms} of ${r.ticks} ticks over 1 ms)`,
  );
  if (save) {
    await fsp.mkdir(path.dirname(save), { recursive: true });
    const out = {
      tool: "bench/pipelineOverhead.ts",
      createdAt: new Date().toISOString(),
      scenario,
      durationS,
      backend: backend.backend,
      machine,
      loadAvgBefore: loadBefore,
      loadAvgAfter: loadAfter,
      ...r,
    };
    await fsp.writeFile(save, `${JSON.stringify(out, null, 2)}\n`);
    console.log(`saved ${save}`);
  }
}

main().catch((err: unknown) => {
  console.error(`pipelineOverhead: ${(err as Error).message}`);
  process.exitCode = 1;
});
