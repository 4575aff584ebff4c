// Simulation speed: wall time to simulate scenarios into an in-memory MCAP, per sensor model.
// Usage: node --require ./bench/register.js bench/simThroughput.ts [scenario ...]
import * as os from "os";
import { MemoryWritable } from "../src/sources/mcap/MemoryWritable";
import { loadScenario } from "../src/sim/loadScenario";
import { simulateToMcap } from "../src/sim/simulate";

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const list = names.length > 0 ? names : ["highway-clear", "fog-50m"];
  console.log(
    `machine: ${os.cpus()[0]?.model ?? "?"} x${os.cpus().length}, node ${process.version}, load average ${os.loadavg()[0]!.toFixed(1)}`,
  );
  for (const name of list) {
    const scenario = loadScenario(name);
    const out = new MemoryWritable();
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const stats = await simulateToMcap(scenario, out);
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    const bytes = out.bytes().byteLength;
    const parts = Object.entries(stats.wallMs)
      .map(([k, v]) => `${k} ${(v / 1000).toFixed(2)}s`)
      .join(", ");
    console.log(
      `${name}: ${scenario.durationS} s simulated in ${wall.toFixed(2)} s wall, ${cpuS.toFixed(2)} s CPU (${(scenario.durationS / wall).toFixed(2)}x real time); ` +
        `${stats.messages} messages, ${(bytes / 1e6).toFixed(2)} MB; LiDAR ${stats.lidarPointsPerSweep.toFixed(0)} pts/sweep ` +
        `(${stats.backscatterPointsPerSweep.toFixed(0)} backscatter); radar ${stats.radarDetectionsPerScan.toFixed(1)} det/scan\n  ${parts}`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
