import type { Command } from "commander";
import { parsePlaybackRate } from "../config/playbackRate";
import { PlaybackClock } from "../play/PlaybackClock";
import { playbackParameters } from "../play/playbackParameters";
import { serveRecording, type PlaybackStats } from "../play/serveRecording";
import { parseUdpTargets, playRecordingUdp } from "../play/udpPlayback";
import { FileReadable } from "../sources/mcap/FileReadable";
import type { RecordingReadable } from "../sources/mcap/types";
import type { CliContext, CommandRegistrar } from "./context";
import { BadInputError } from "../types/errors";
import { SIGNAL_EXIT, watchInterrupts, type Interrupts } from "./interrupt";
import { guardSummary, listenFromFlags, withServeFlags, type ServeFlags } from "./serveFlags";
import { parseRecordCap, withRecordCapFlag, type RecordCapFlag } from "./recordFlags";

type PlayFlags = ServeFlags &
  RecordCapFlag & {
    serve?: string;
    udp?: string;
    rate: string;
    loop?: boolean;
    topics?: string;
    wait: boolean;
    /** Stop after this many seconds (tests, scripted rigs). */
    duration?: string;
    /** --serve: end at the end of the recording (clients closed with 1000) instead of holding on. */
    exitAtEnd?: boolean;
  };

/** Close reasons clients of `play --serve` see (codes 1000 at the end, 1001 when stopped). */
export const PLAY_CLOSE = {
  end: { code: 1000, reason: "end of recording" },
  stopped: { code: 1001, reason: "play stopped" },
} as const;

function positive(name: string, text: string, max = Infinity): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || value > max)
    throw new BadInputError({
      where: `${name} ${text}`,
      what: "",
      expected: `a positive number${max < Infinity ? ` up to ${max}` : ""}`,
      code: "usage",
    });
  return value;
}

/** An AbortSignal that fires on Ctrl-C / SIGTERM or after `durationSec`; `dispose` removes the handlers. */
export function stopSignal(durationSec?: number): { signal: AbortSignal; abort: () => void; dispose: () => void } {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const timer = durationSec === undefined ? undefined : setTimeout(stop, durationSec * 1000);
  return {
    signal: controller.signal,
    abort: stop,
    dispose: () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      if (timer) clearTimeout(timer);
    },
  };
}

function summary(stats: PlaybackStats, unit: string): string {
  return `${stats.sent} ${unit} sent in ${stats.passes} pass(es), ${stats.skipped} skipped, max lag ${stats.maxLagMs.toFixed(1)} ms`;
}

type Common = { rate: number; loop: boolean | undefined; topics: string[] | undefined; signal: AbortSignal };

/** Stops on Ctrl-C / SIGTERM (exit 130 / 143 after the summary) or after `--duration` (exit 0). */
function stopper(durationSec: number | undefined): { interrupts: Interrupts; signal: AbortSignal; dispose: () => void } {
  const interrupts = watchInterrupts();
  const controller = new AbortController();
  interrupts.signal.addEventListener("abort", () => controller.abort(), { once: true });
  const timer = durationSec === undefined ? undefined : setTimeout(() => controller.abort(), durationSec * 1000);
  return {
    interrupts,
    signal: controller.signal,
    dispose: () => {
      interrupts.dispose();
      if (timer) clearTimeout(timer);
    },
  };
}

type UdpTargets = ReturnType<typeof parseUdpTargets>;

async function playUdp(file: string, source: RecordingReadable, targets: UdpTargets, common: Common, ctx: CliContext): Promise<void> {
  ctx.stderr(
    `play ${file}: UDP to ${Object.entries(targets)
      .map(([d, t]) => `${d} ${t!.host}:${t!.port}`)
      .join(", ")} at real time x${common.rate}${common.loop ? ", looping" : ""}\n`,
  );
  const stats = await playRecordingUdp(source, { ...common, targets });
  const per = Object.entries(stats.byDriver)
    .map(([d, n]) => `${d} ${n}`)
    .join(", ");
  ctx.stdout(`play: ${summary(stats, "datagrams")}${per ? ` (${per})` : ""}, ${stats.untargeted} packets without a target\n`);
  for (const e of stats.errors.slice(0, 10)) ctx.stderr(`avfusion: ${e}\n`);
  if (stats.sent === 0) {
    ctx.stderr(
      `avfusion: ${file}: no raw Velodyne / ARS548 packets for the given targets, expected a recording of nebula_msgs/msg/NebulaPackets or velodyne_msgs/msg/VelodyneScan\n`,
    );
    ctx.exitCode = 2;
  }
}

/**
 * `--serve`: the recording on a Foxglove WebSocket server with its clock (`time`) and playback
 * parameters; at the end it holds the connections open (a status says so) until Ctrl-C,
 * `--duration`, or, with `--exit-at-end`, ends there, closing clients with 1000.
 */
async function playServe(file: string, source: RecordingReadable, flags: PlayFlags, common: Common, port: number, ctx: CliContext) {
  const clock = new PlaybackClock({ rate: common.rate, loop: common.loop });
  const params = playbackParameters(clock, file);
  const server = await listenFromFlags(flags, port, "avfusion", ctx, {
    time: true,
    parameters: params.store,
    metadata: { recording: file },
  });
  let ended = false;
  try {
    const end = flags.exitAtEnd ? "ends at the end" : "holds at the end";
    ctx.stderr(
      `play ${file}: serving on ${server.url} at real time x${common.rate}${flags.loop ? ", looping" : `, ${end}`}${flags.wait ? " (waiting for a client to subscribe)" : ""}\n`,
    );
    const stats = await serveRecording(source, server, {
      ...common,
      clock,
      waitFor: flags.wait ? "any" : "none",
      atEnd: flags.exitAtEnd ? "return" : "hold",
      endNote: "set /play/loop to play on; Ctrl-C to stop",
      onPhase: params.onPhase,
      onPass: params.onPass,
    });
    ended = !common.signal.aborted;
    ctx.stdout(
      `play: ${summary(stats, "messages")}, ${server.stats.connections} client(s), ${server.stats.droppedSlowClient} dropped for slow clients\n`,
    );
    const guarded = guardSummary(server);
    if (guarded) ctx.stderr(`play: ${guarded}\n`);
  } finally {
    await server.close(ended ? PLAY_CLOSE.end : PLAY_CLOSE.stopped);
  }
}

async function run(file: string, flags: PlayFlags, ctx: CliContext): Promise<void> {
  if ((flags.serve === undefined) === (flags.udp === undefined))
    throw new BadInputError({ where: "play", what: "give exactly one of --serve PORT or --udp TARGETS", code: "usage" });
  if (flags.exitAtEnd && flags.serve === undefined)
    throw new BadInputError({ where: "--exit-at-end", what: "only with --serve (--udp always ends at the end)", code: "usage" });
  const rate = parsePlaybackRate(flags.rate);
  // A timer holds at most 2^31 − 1 ms; a longer --duration would fire at once (TimeoutOverflowWarning).
  const duration = flags.duration === undefined ? undefined : positive("--duration", flags.duration, 2_147_483);
  const topics = flags.topics
    ?.split(",")
    .map((t) => t.trim())
    .filter(Boolean);
  let port = 0;
  if (flags.serve !== undefined) {
    port = Number(flags.serve);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new BadInputError({
        where: `--serve ${flags.serve}`,
        what: "",
        expected: "a port 0..65535 (0 = any free port)",
        code: "usage",
      });
  }
  const targets = flags.udp !== undefined ? parseUdpTargets(flags.udp) : undefined;
  const source = await FileReadable.open(file, { maxRecordBytes: parseRecordCap(flags) });
  const stop = stopper(duration);
  try {
    const common: Common = { rate, loop: flags.loop, topics, signal: stop.signal };
    if (targets) await playUdp(file, source, targets, common, ctx);
    else await playServe(file, source, flags, common, port, ctx);
  } finally {
    stop.dispose();
    await source.close();
  }
  const signalled = stop.interrupts.received();
  if (signalled !== undefined) ctx.exitCode = SIGNAL_EXIT[signalled];
}

export const registerPlay: CommandRegistrar = (program: Command, ctx: CliContext) => {
  const command = program
    .command("play")
    .description("serve a recording live: as a Foxglove WebSocket server (--serve) or as the sensors' UDP packets (--udp)")
    .argument("<file>", "MCAP recording")
    .option("--serve <port>", "Foxglove WebSocket server on PORT (0 = any free port, printed)")
    .option("--host <host>", "address to serve on (not loopback: needs --token, or --insecure)", "127.0.0.1")
    .option("--udp <targets>", "send raw packets as UDP: velodyne:HOST:PORT,ars548:HOST:PORT")
    .option("--rate <r>", "real time × r", "1")
    .option("--loop", "start over at the end (until Ctrl-C or --duration)")
    .option("--exit-at-end", "--serve: end at the end of the recording, closing clients (1000), instead of holding them open until Ctrl-C")
    .option("--topics <list>", "only these topics, comma-separated")
    .option("--no-wait", "start at once instead of waiting for a client to subscribe (--serve)")
    .option("--duration <sec>", "stop after SEC seconds");
  withRecordCapFlag(withServeFlags(command)).action((file: string, flags: PlayFlags) => run(file, flags, ctx));
};
