// Throughput of the time-alignment operators (src/sync/): frames/s and ns per frame through
// alignByDeadline (fixed-rate and reference ticks) and approximateTimeSync, with 4 sensors at
// realistic rates and at 100x those rates, plus heap samples to show memory stays flat.
//
//   node --expose-gc --require ./bench/register.js bench/sync.ts [framesPerRun]
//
// Frames are tiny ({sensorId, stamp, receivedAt}) and generated on the fly in log-time order, so
// the input itself takes no memory; "source only" is the cost of generating them, included in
// every other figure. The recording clock is used, so figures do not depend on timers.
import * as os from "node:os";
import { Observable, type OperatorFunction } from "rxjs";
import { alignByDeadline } from "../src/sync/alignByDeadline";
import type { AlignByDeadlineOptions } from "../src/sync/alignByDeadlineSchema";
import { approximateTimeSync } from "../src/sync/approximateTimeSync";
import type { Nanos } from "../src/types/time";

type Tiny = { sensorId: string; stamp: Nanos; receivedAt: Nanos };
type SensorSpec = { id: string; rateHz: number; latencyMs: number };

const SENSORS: SensorSpec[] = [
  { id: "cam_front", rateHz: 30, latencyMs: 30 },
  { id: "lidar_top", rateHz: 10, latencyMs: 60 },
  { id: "radar_front", rateHz: 20, latencyMs: 20 },
  { id: "audio", rateHz: 50, latencyMs: 5 },
];

/** Frames of all sensors, in receivedAt order, with seeded jitter (≤ ¼ period, ≤ 2 ms). */
function source(scale: number, total: number): Observable<Tiny> {
  return new Observable<Tiny>((sub) => {
    let seed = 12345;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const specs = SENSORS.map((s) => {
      const periodNs = 1e9 / (s.rateHz * scale);
      return { id: s.id, periodNs, latencyNs: s.latencyMs * 1e6, jitterNs: Math.min(2e6, periodNs / 4), k: 0, next: 0 };
    });
    for (const s of specs) s.next = s.latencyNs;
    for (let n = 0; n < total && !sub.closed; n++) {
      let best = specs[0]!;
      for (const s of specs) if (s.next < best.next) best = s;
      const stamp = Math.round(best.k * best.periodNs + rand() * best.jitterNs);
      sub.next({ sensorId: best.id, stamp: BigInt(stamp), receivedAt: BigInt(Math.round(best.next)) });
      best.k++;
      best.next = best.k * best.periodNs + best.latencyNs;
    }
    sub.complete();
  });
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const heapMiB = (): number => process.memoryUsage().heapUsed / 2 ** 20;

type Result = { framesPerSec: number; nsPerFrame: number; cpuNsPerFrame: number; outputs: number; heapSamplesMiB: number[]; extra: string };

function run<T>(operator: OperatorFunction<Tiny, T>, scale: number, total: number, describe: (last: T | undefined) => string): Result {
  // Warm-up so the JIT has compiled the hot paths.
  source(scale, Math.min(50_000, total)).pipe(operator).subscribe();
  gc();
  const heapSamplesMiB: number[] = [heapMiB()];
  let outputs = 0;
  let last: T | undefined;
  const checkpoints = new Set([Math.floor(total / 4), Math.floor(total / 2), Math.floor((3 * total) / 4)]);
  let seen = 0;
  const counted = new Observable<Tiny>((sub) =>
    source(scale, total).subscribe({
      next: (f) => {
        if (checkpoints.has(++seen)) heapSamplesMiB.push(heapMiB());
        sub.next(f);
      },
      complete: () => sub.complete(),
    }),
  );
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  counted.pipe(operator).subscribe((x) => {
    outputs++;
    last = x;
  });
  const elapsed = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(cpu0);
  const cpuNs = (cpu.user + cpu.system) * 1000;
  heapSamplesMiB.push(heapMiB());
  gc();
  heapSamplesMiB.push(heapMiB());
  return {
    framesPerSec: (total / elapsed) * 1e9,
    nsPerFrame: elapsed / total,
    cpuNsPerFrame: cpuNs / total,
    outputs,
    heapSamplesMiB,
    extra: describe(last),
  };
}

/**
 * Fixed mode: a 10 Hz fusion tick whatever the sensor rates. Reference mode: one tick per LiDAR
 * frame (10 Hz, or 1000 Hz at x100), with windows scaled to the rate.
 */
function deadlineOptions(mode: "fixed" | "reference", scale: number): AlignByDeadlineOptions {
  const windowScale = mode === "reference" ? scale : 1;
  return {
    // In reference mode frames wait until the (60 ms late) LiDAR frame makes their tick, so the
    // queue must hold rate x latency gap frames: 64 covers x1, 256 covers x100 (3 kHz x 60 ms).
    sensors: SENSORS.map((s) => ({
      id: s.id,
      toleranceMs: (s.id === "lidar_top" ? 20 : 50) / windowScale,
      maxQueue: mode === "reference" && scale > 1 ? 256 : 64,
    })),
    tick: mode === "fixed" ? { mode: "fixed", rateHz: 10 } : { mode: "reference", sensor: "lidar_top", rateHz: 10 * scale },
    deadlineMs: 80,
    latenessBoundMs: 100,
    staleAfterMs: 500,
    clock: "recording",
  };
}

function main(): void {
  const total = Number(process.argv[2] ?? 1_000_000);
  const hasGc = typeof (globalThis as { gc?: unknown }).gc === "function";
  console.log(`# bench/sync.ts — ${total.toLocaleString("en")} frames per run, 4 sensors`);
  console.log(
    `# node ${process.version}, ${os.cpus()[0]?.model ?? "?"} x${os.cpus().length}, ${os.platform()} ${os.arch()}${hasGc ? "" : " (run with --expose-gc for settled heap figures)"}`,
  );
  console.log(`# rates: ${SENSORS.map((s) => `${s.id} ${s.rateHz} Hz`).join(", ")} (x1 and x100)`);
  console.log("");
  console.log(
    "| aligner | rates | frames/s (wall) | ns/frame (wall) | CPU ns/frame | outputs | heap MiB (start → ¼ → ½ → ¾ → end → after gc) | notes |",
  );
  console.log("|---|---|---:|---:|---:|---:|---|---|");
  for (const scale of [1, 100]) {
    const rows: [string, Result][] = [
      [
        "source only",
        run<Tiny>(
          (s) => s,
          scale,
          total,
          () => "",
        ),
      ],
      [
        "alignByDeadline fixed 10 Hz",
        run(alignByDeadline<Tiny>(deadlineOptions("fixed", scale)), scale, total, (b) =>
          b
            ? b.sensors
                .map((s) => `${s.sensorId}: incl ${s.counters.included} ovf ${s.counters.overflow} unused ${s.counters.unused}`)
                .join("; ")
            : "",
        ),
      ],
      [
        "alignByDeadline reference lidar",
        run(alignByDeadline<Tiny>(deadlineOptions("reference", scale)), scale, total, (b) =>
          b
            ? `included per tick ${(b.sensors.reduce((n, s) => n + s.counters.included, 0) / (b.seq + 1)).toFixed(2)}; pending-tick overflow ${b.diagnostics.pendingTickOverflow}`
            : "",
        ),
      ],
      ...[10, 1000].map((queueSize): [string, Result] => {
        const stats = { unknownSensor: 0, queueDrops: 0, published: 0 };
        const r = run(approximateTimeSync<Tiny>({ sensors: SENSORS.map((s) => s.id), queueSize }, stats), scale, total, () => "");
        r.extra = `queue drops ${stats.queueDrops.toLocaleString("en")}`;
        return [`approximateTimeSync (queue ${queueSize})`, r];
      }),
    ];
    for (const [name, r] of rows) {
      console.log(
        `| ${name} | x${scale} | ${Math.round(r.framesPerSec).toLocaleString("en")} | ${r.nsPerFrame.toFixed(0)} | ${r.cpuNsPerFrame.toFixed(0)} | ${r.outputs.toLocaleString("en")} | ${r.heapSamplesMiB.map((h) => h.toFixed(1)).join(" → ")} | ${r.extra} |`,
      );
    }
  }
}

main();
