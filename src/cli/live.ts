import type { Command } from "commander";
import type { Subscription } from "rxjs";
import { createDecoder } from "../decode/createDecoder";
import { FoxgloveWsServer } from "../sinks/foxglove/FoxgloveWsServer";
import { VENDOR_DECODERS } from "../decode/vendorDecoders";
import { createBridgeStats, foxgloveWebSocketSource, type ConnectionStatus } from "../sources/bridge/foxgloveWebSocketSource";
import { createUdpStats, parseUdpListen, udpSource } from "../sources/bridge/udpSource";
import type { SensorKind } from "../types";
import type { CliContext, CommandRegistrar } from "./context";
import { UsageError } from "./errors";
import { stopSignal } from "./play";

type LiveFlags = { frames?: string; connect?: string; udp?: string; serve?: string; host: string; duration?: string; json?: boolean; interval: string };

/** One sensor in a per-interval summary. */
export type LiveSensorLine = {
  sensorId: string;
  kind: SensorKind;
  /** Frames decoded in this interval. */
  frames: number;
  /** Frames per second over the interval. */
  rate: number;
  /** No frame this interval, or the connection is down. */
  missing: boolean;
};

/** What `live` prints each interval (one JSON line with --json). */
export type LiveSummary = {
  /** Seconds since start. */
  t: number;
  /** `connected`, `connecting`, `disconnected`, `failed` (WebSocket) or `listening` (UDP). */
  state: string;
  sensors: LiveSensorLine[];
  /** Counters since start: dropped (slow consumer / flood), malformed (skipped), decode errors. */
  dropped: number;
  malformed: number;
  decodeErrors: number;
};

export function formatLiveSummary(s: LiveSummary): string {
  const sensors = s.sensors.length
    ? s.sensors.map((x) => `${x.sensorId} ${x.kind} ${x.missing ? "MISSING" : `${x.rate.toFixed(1)}/s`}`).join(", ")
    : "no sensors yet";
  return `[${s.t.toFixed(0).padStart(4)} s] ${s.state.padEnd(12)} ${sensors} | dropped ${s.dropped}, malformed ${s.malformed}, decode errors ${s.decodeErrors}`;
}

type Counter = { kind: SensorKind; total: number; interval: number };

async function run(flags: LiveFlags, ctx: CliContext): Promise<void> {
  if ((flags.connect === undefined) === (flags.udp === undefined)) throw new UsageError("live: give exactly one of --connect ws://HOST:PORT or --udp SENSORS");
  const duration = flags.duration === undefined ? undefined : Number(flags.duration);
  if (duration !== undefined && !(Number.isFinite(duration) && duration > 0)) throw new UsageError(`--duration ${flags.duration}: expected a positive number of seconds`);
  const intervalSec = Number(flags.interval);
  if (!(Number.isFinite(intervalSec) && intervalSec >= 0.1 && intervalSec <= 3600)) throw new UsageError(`--interval ${flags.interval}: expected seconds in [0.1, 3600]`);
  if (flags.connect !== undefined && !/^wss?:\/\/[^/\s]+/.test(flags.connect)) throw new UsageError(`--connect ${flags.connect}: expected ws://HOST:PORT`);
  const maxFrames = flags.frames === undefined ? Infinity : Number(flags.frames);
  if (!(Number.isInteger(maxFrames) && maxFrames > 0) && maxFrames !== Infinity) throw new UsageError(`--frames ${flags.frames}: expected a positive integer`);
  const udpSpecs = flags.udp !== undefined ? parseUdpListen(flags.udp) : undefined;
  let servePort: number | undefined;
  if (flags.serve !== undefined) {
    servePort = Number(flags.serve);
    if (!Number.isInteger(servePort) || servePort < 0 || servePort > 65535) throw new UsageError(`--serve ${flags.serve}: expected a port 0..65535 (0 = any free port)`);
    if (udpSpecs) throw new UsageError("--serve: only with --connect for now (UDP frames are not re-published yet)");
  }
  const server = servePort === undefined ? undefined : await FoxgloveWsServer.listen({ host: flags.host, port: servePort });
  if (server) ctx.stderr(`live: passing input topics through on ${server.url}\n`);

  const counters = new Map<string, Counter>();
  let frames = 0;
  const count = (sensorId: string, kind: SensorKind): void => {
    let c = counters.get(sensorId);
    if (!c) counters.set(sensorId, (c = { kind, total: 0, interval: 0 }));
    c.total++;
    c.interval++;
    if (++frames >= maxFrames) stop.abort();
  };
  let state = udpSpecs ? "listening" : "connecting";
  let dropped = (): number => 0;
  let malformed = (): number => 0;
  let decodeErrors = (): number => 0;
  const stop = stopSignal(duration);
  let failure: Error | undefined;
  let subscription: Subscription;

  const started = performance.now();
  let lastReport = started;
  const report = (): void => {
    const now = performance.now();
    const elapsed = (now - started) / 1000;
    // Rates over the time that really passed: a busy event loop stretches the interval.
    const spanSec = Math.max(1e-3, (now - lastReport) / 1000);
    lastReport = now;
    const summary: LiveSummary = {
      t: Math.round(elapsed * 10) / 10,
      state,
      sensors: [...counters.entries()].map(([sensorId, c]) => ({
        sensorId,
        kind: c.kind,
        frames: c.interval,
        rate: c.interval / spanSec,
        missing: c.interval === 0 || (state !== "connected" && state !== "listening"),
      })),
      dropped: dropped(),
      malformed: malformed(),
      decodeErrors: decodeErrors(),
    };
    for (const c of counters.values()) c.interval = 0;
    ctx.stdout(`${flags.json ? JSON.stringify(summary) : formatLiveSummary(summary)}\n`);
  };
  const onStatus = (s: ConnectionStatus): void => {
    state = s.state;
    if (flags.json) return;
    if (s.state === "connected") ctx.stderr(`live: connected to ${s.url} (${s.serverName})${s.downtimeNs !== undefined ? ` after ${(Number(s.downtimeNs) / 1e9).toFixed(1)} s down` : ""}\n`);
    else if (s.state === "disconnected") ctx.stderr(`live: ${s.url}: ${s.reason}; retrying in ${s.retryInMs} ms\n`);
  };

  if (udpSpecs) {
    const stats = createUdpStats();
    dropped = () => [...stats.sensors.values()].reduce((n, s) => n + s.droppedRate + s.droppedQueue, 0);
    malformed = () => [...stats.sensors.values()].reduce((n, s) => n + s.malformed, 0);
    subscription = udpSource({
      sensors: udpSpecs,
      stats,
      onListening: (s, a) => {
        ctx.stderr(`live: ${s.driver} listening on ${a.address}:${a.port} (${s.sensorId})\n`);
      },
    }).subscribe({ next: (f) => count(f.sensorId, f.kind), error: (e: Error) => (failure = e) });
  } else {
    const stats = createBridgeStats();
    const decoder = createDecoder({ vendor: VENDOR_DECODERS });
    dropped = () => stats.dropped;
    malformed = () => stats.malformed;
    decodeErrors = () => decoder.stats.errors;
    subscription = foxgloveWebSocketSource({ url: flags.connect!, stats }).subscribe({
      next: (e) => {
        if (e.type === "status") onStatus(e.status);
        else if (e.type === "message") {
          server?.publish({ ...e.message, logTime: e.message.publishTime });
          const result = decoder.decode(e.message);
          if (!("messages" in result)) return;
          for (const m of result.messages) {
            if (m.kind === "camera" || m.kind === "lidar" || m.kind === "radar" || m.kind === "audio") count(m.sensorId, m.kind);
          }
        }
      },
      error: (e: Error) => (failure = e),
    });
  }

  const timer = setInterval(report, intervalSec * 1000);
  try {
    await new Promise<void>((resolve) => {
      if (stop.signal.aborted) return resolve();
      stop.signal.addEventListener("abort", () => resolve(), { once: true });
      // A fatal source error (port in use, reconnects exhausted) ends the run too.
      const poll = setInterval(() => {
        if (failure) {
          clearInterval(poll);
          resolve();
        }
      }, 50);
      stop.signal.addEventListener("abort", () => clearInterval(poll), { once: true });
    });
  } finally {
    clearInterval(timer);
    subscription.unsubscribe();
    stop.dispose();
    await server?.close();
  }
  if (failure) throw failure;
  // The last, partial interval too, so the lines add up to every frame seen.
  report();
  if (!flags.json) {
    const totals = [...counters.entries()].map(([id, c]) => `${id} ${c.total}`).join(", ");
    ctx.stdout(`live: frames per sensor: ${totals || "none"}; dropped ${dropped()}, malformed ${malformed()}, decode errors ${decodeErrors()}\n`);
  }
}

export const registerLive: CommandRegistrar = (program: Command, ctx: CliContext) => {
  program
    .command("live")
    .description("consume live sensors (Foxglove WebSocket or UDP) and print a per-second summary of decoded frames per sensor and the connection status")
    .option("--connect <url>", "Foxglove WebSocket server, ws://HOST:PORT")
    .option("--udp <sensors>", "listen for UDP packets: velodyne[:[HOST:]PORT],ars548[:[HOST:]PORT] (defaults 2368, 42102)")
    .option("--serve <port>", "with --connect: re-serve the input topics as a Foxglove WebSocket server on PORT (0 = any free port)")
    .option("--host <host>", "address for --serve", "127.0.0.1")
    .option("--duration <sec>", "stop after SEC seconds (default: until Ctrl-C)")
    .option("--frames <n>", "stop after N decoded frames (all sensors together)")
    .option("--interval <sec>", "summary interval", "1")
    .option("--json", "one JSON line per interval instead of text")
    .action((flags: LiveFlags) => run(flags, ctx));
};
