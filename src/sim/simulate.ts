import type { IWritable } from "@mcap/core";
import { McapSink, type McapSinkOptions } from "../sinks/mcap/McapSink";
import type { SimMessage } from "./MessageQueue";
import type { Scenario } from "./scenario";
import { SimulationRun, type SimulationStats, type Stream } from "./SimulationRun";

export { SIM_START_NS, type SimulationStats } from "./SimulationRun";
export type { SimMessage } from "./MessageQueue";

export type SimulateOptions = {
  /** Called after each simulated step with the simulated time reached (s). */
  onProgress?: (simulatedS: number, totalS: number) => void;
};

/**
 * Runs a scenario and hands every message to `emit` in log-time order. Everything random comes
 * from the scenario's seed, so the same scenario gives the same messages.
 */
export async function runSimulation(
  scenario: Scenario,
  emit: (m: SimMessage) => Promise<void>,
  options: SimulateOptions = {},
): Promise<SimulationStats> {
  const run = new SimulationRun(scenario, emit);
  const T = scenario.durationS;
  for (let next = nextDue(run.streams, T); next !== undefined; next = nextDue(run.streams, T)) {
    const t = next.k * next.period;
    next.k++;
    await run.step(next, t);
    options.onProgress?.(t, T);
  }
  await run.flushUpTo(undefined);
  options.onProgress?.(T, T);
  return run.stats();
}

/** The stream whose next sample is due first before T (ties to the earlier stream in the list), or undefined when all are done. */
function nextDue(streams: readonly Stream[], T: number): Stream | undefined {
  let next: Stream | undefined;
  let nextT = Infinity;
  for (const s of streams) {
    const t = s.k * s.period;
    if (t < T - 1e-9 && t < nextT - 1e-12) {
      next = s;
      nextT = t;
    }
  }
  return next;
}

/** Simulates a scenario into an MCAP file (zstd chunks, indexed) on `writable`. */
export async function simulateToMcap(
  scenario: Scenario,
  writable: IWritable,
  options: SimulateOptions & { sink?: McapSinkOptions } = {},
): Promise<SimulationStats> {
  const sink = await McapSink.open(writable, { library: "avfusion simulate", ...options.sink });
  await sink.writeMetadata("scenario", { name: scenario.name, seed: String(scenario.seed), json: JSON.stringify(scenario) });
  const stats = await runSimulation(scenario, (m) => sink.write(m.topic, m.typeName, m.logTime, m.publishTime, m.data), options);
  await sink.close();
  return stats;
}
