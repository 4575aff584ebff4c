import * as os from "os";
import type { MachineInfo } from "./types";

const round2 = (v: number): number => Math.round(v * 100) / 100;

export function loadAvg(): [number, number, number] {
  const [a, b, c] = os.loadavg();
  return [round2(a ?? 0), round2(b ?? 0), round2(c ?? 0)];
}

/** CPU model, cores, load average, platform and Node version of this machine. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cores: typeof os.availableParallelism === "function" ? os.availableParallelism() : cpus.length,
    loadAvg: loadAvg(),
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    node: process.version,
    totalMemGb: round2(os.totalmem() / 2 ** 30),
  };
}

/** One line naming the machine, e.g. for report headers. */
export function formatMachine(m: MachineInfo): string {
  return `${m.cpuModel}, ${m.cores} cores, load ${m.loadAvg.join(" / ")}, ${m.platform} ${m.arch}, Node ${m.node}`;
}
