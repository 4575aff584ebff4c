import type { Command } from "commander";
import { tap, type Subscription } from "rxjs";
import { loadConfig } from "../config/loadConfig";
import type { AvfusionConfig } from "../config/configSchema";
import { parseFusionHeadChoice, selectFusionHead, type SelectedHead } from "../fusion/head";
import { wsInput, type LiveInput } from "../live/liveInputs";
import { liveParameters, publishLiveTick, SCENE_TOPIC, SCENE_UPDATE_TOPIC } from "../live/liveOutputs";
import type { PipelinePlan } from "../pipeline/types";
import { startLive, type LiveSession } from "../live/liveSession";
import { udpInput } from "../live/udpInput";
import { describePlan } from "../pipeline/describePlan";
import { nodeModelFiles } from "../runtime/nodeModelFiles";
import { parseBackendChoice, selectBackend } from "../runtime/selectBackend";
import { loadQualityCurves } from "../scene/qualityCurves";
import type { FoxgloveWsServer } from "../sinks/foxglove/FoxgloveWsServer";
import { openSceneOutputs, type SceneOutputs } from "../sinks/sceneOutputs";
import { sceneContextOf } from "../sinks/sceneContext";
import type { CliContext, CommandRegistrar } from "./context";
import { parseLiveFlags, type LiveFlags, type LiveSettings } from "./liveFlags";
import { SIGNAL_EXIT, watchInterrupts } from "./interrupt";
import { BadInputError } from "../types/errors";
import { createLiveReporter } from "./liveSummary";
import { stopSignal } from "./play";
import { guardSummary, listenFromFlags, withServeFlags, type ServeFlags } from "./serveFlags";
import { withConfigFlag, withFusionHeadFlag, withInferenceFlags, withModelChoiceFlag, withSceneOutputFlags } from "./sharedFlags";
import { resolveModelChoices } from "../runtime/modelChoices";

export { parseMount } from "./liveFlags";
export { formatLiveSummary, type LiveSensorLine, type LiveSummary } from "./liveSummary";

/** The input the flags name; UDP sensors without a mounting are warned about once, here. */
function openInput(flags: LiveFlags, settings: LiveSettings, config: AvfusionConfig, ctx: CliContext) {
  const warnedMount = new Set<string>();
  const { udpSpecs, mountings } = settings;
  if (!udpSpecs) {
    const ws = wsInput({ url: flags.connect!, perTopic: settings.perTopic, ...(config.topics ? { mapping: config.topics } : {}) });
    // The client retries for ever (a bridge may come up late); whether it ever got through decides the exit code.
    const link = { connected: false, last: "" };
    const events = ws.events.pipe(
      tap((e) => {
        if (e.type !== "status") return;
        link.connected ||= e.state === "connected";
        link.last = e.line;
      }),
    );
    return { input: { ...ws, events }, warnedMount, link };
  }
  const input = udpInput({
    sensors: udpSpecs,
    mountings,
    onListening: (s, a) => ctx.stderr(`live: ${s.driver} listening on ${a.address}:${a.port} (${s.sensorId})\n`),
  });
  for (const s of udpSpecs) {
    const id = s.sensorId ?? `${s.driver}_${s.port}`;
    if (mountings.has(id)) continue;
    warnedMount.add(id);
    ctx.stderr(`avfusion: warning: ${id}: no mounting (--mount ${id}=X,Y,Z[,YAW_DEG]); the encoder's default mounting is used\n`);
  }
  return { input, warnedMount };
}

/** `--serve`: the server, with the pipeline's clock (`time`) and its settings and plan as read-only parameters. */
async function openServer(
  settings: LiveSettings,
  flags: LiveFlags & ServeFlags,
  run: { config: AvfusionConfig; head: SelectedHead },
  ctx: CliContext,
): Promise<{ server: FoxgloveWsServer; onPlan: (plan: PipelinePlan) => void } | undefined> {
  if (settings.servePort === undefined) return undefined;
  const params = liveParameters({
    input: flags.connect ?? `udp ${flags.udp ?? ""}`,
    clock: settings.clockMode,
    warmupS: settings.warmupMs / 1000,
    queue: settings.perTopic,
    fusionHead: run.head.choice,
    config: run.config,
    configFile: flags.config ?? "",
  });
  const server = await listenFromFlags(flags, settings.servePort, "avfusion live", ctx, { time: true, parameters: params.store });
  ctx.stderr(
    `live: serving the scene (${SCENE_TOPIC}, ${SCENE_UPDATE_TOPIC}, /avfusion/health) and passing input topics through on ${server.url}\n`,
  );
  return { server, onPlan: params.onPlan };
}

type LiveRun = {
  input: LiveInput;
  warnedMount: Set<string>;
  /** `--connect` only: whether the client ever connected, and its last status line. */
  link?: { connected: boolean; last: string };
  server: FoxgloveWsServer | undefined;
  /** The server's parameters take the plan. */
  onPlan?: (plan: PipelinePlan) => void;
  head: SelectedHead;
  config: AvfusionConfig;
};

async function startSession(flags: LiveFlags, settings: LiveSettings, run: LiveRun, ctx: CliContext): Promise<LiveSession> {
  const fromQuality = await loadQualityCurves(nodeModelFiles(), flags.models, (line) => ctx.stderr(`live: ${line}\n`));
  const { server } = run;
  return startLive({
    input: run.input,
    models: { files: nodeModelFiles(), dir: flags.models, byKind: resolveModelChoices(flags.model, run.config.models, flags.models) },
    scene: { visibility: { fromQuality } },
    config: run.config,
    ...(run.head.head ? { fusionHead: run.head.head } : {}),
    ...(settings.tickHz !== undefined ? { tickHz: settings.tickHz } : {}),
    warmupMs: settings.warmupMs,
    clockMode: settings.clockMode,
    onMessage: server ? (m) => server.publish(m) : undefined,
    onNotice: (line) => {
      const mountWarning = /^warning: (\S+): no transform for frame/.exec(line);
      if (mountWarning && run.warnedMount.has(mountWarning[1]!)) return;
      // Clock offsets are news even beside --json: without them a whole rig reads MISSING unexplained.
      if (!flags.json || line.startsWith("warning") || line.startsWith("clock:")) ctx.stderr(`live: ${line}\n`);
    },
    onPlan: (plan) => {
      run.onPlan?.(plan);
      ctx.stderr(
        `live: ${describePlan(plan, { rates: true })}; ticks at ${plan.sync.tick.rateHz} Hz, deadline ${plan.sync.deadlineMs} ms\n`,
      );
    },
  });
}

/** Stops the run once `maxFrames` frames were decoded (all sensors together). */
function stopAfterFrames(session: LiveSession, maxFrames: number, stop: () => void): () => void {
  if (maxFrames === Infinity) return () => undefined;
  const poll = setInterval(() => {
    let n = 0;
    for (const v of session.stats().decodedBySensor.values()) n += v;
    if (n >= maxFrames) stop();
  }, 20);
  return () => clearInterval(poll);
}

/** Runs the session until the stop signal, writing and serving every tick and reporting each interval. */
async function runUntilStopped(
  flags: LiveFlags,
  settings: LiveSettings,
  run: LiveRun,
  session: LiveSession,
  outputs: SceneOutputs,
  ctx: CliContext,
) {
  // Summaries go to stderr when the scene JSON lines take stdout.
  const out = flags.jsonl === "-" ? ctx.stderr : ctx.stdout;
  const reporter = createLiveReporter(session, run.input, out, !!flags.json);
  const stop = stopSignal(settings.duration);
  // A reader that closed our stdout (`--jsonl - | head`) ends the run like Ctrl-C, quietly.
  ctx.stdoutClosed?.addEventListener("abort", () => stop.abort(), { once: true });
  // Which signal stopped the run, if one did: the exit code says so (130 / 143) after the summary.
  const interrupts = watchInterrupts();
  let failure: Error | undefined;
  let writing: Promise<void> = Promise.resolve();
  const subscription: Subscription = session.ticks.subscribe({
    next: (tick) => {
      reporter.onTick(tick);
      if (run.server) publishLiveTick(run.server, tick, session.stats().droppedTicks);
      if (flags.jsonl !== undefined || flags.out !== undefined)
        writing = writing
          .then(() => {
            // The sensors' mountings and calibrations: /tf and the camera annotations in --out.
            const calibration = session.calibration();
            return outputs.write(tick.scene, calibration && sceneContextOf(calibration, tick.synced.frames));
          })
          .catch((e: Error) => {
            // A failed output ends the run: nothing more can be kept.
            failure ??= e;
            stop.abort();
          });
    },
    error: (e: Error) => {
      failure = e;
      stop.abort();
    },
  });
  const stopPolling = stopAfterFrames(session, settings.maxFrames, () => stop.abort());
  const timer = setInterval(reporter.report, settings.intervalSec * 1000);
  try {
    await new Promise<void>((resolve) => {
      if (stop.signal.aborted) return resolve();
      stop.signal.addEventListener("abort", () => resolve(), { once: true });
    });
  } finally {
    clearInterval(timer);
    stopPolling();
    subscription.unsubscribe();
    stop.dispose();
    interrupts.dispose();
    await writing;
  }
  return { failure, reporter, out, signalled: interrupts.received() };
}

async function closeServer(server: FoxgloveWsServer | undefined, ctx: CliContext): Promise<void> {
  if (!server) return;
  const guarded = guardSummary(server);
  if (guarded) ctx.stderr(`live: ${guarded}\n`);
  await server.close();
}

async function run(flags: LiveFlags & ServeFlags, ctx: CliContext): Promise<void> {
  const settings = parseLiveFlags(flags);
  const backend = parseBackendChoice(flags.backend);
  const config: AvfusionConfig = flags.config === undefined ? {} : await loadConfig(flags.config);
  resolveModelChoices(flags.model, config.models, flags.models); // a bad --model fails before connecting
  const headChoice = flags.fusionHead === undefined ? undefined : parseFusionHeadChoice(flags.fusionHead);
  await selectBackend({ backend, log: (line) => ctx.stderr(`${line}\n`) });
  const head = await selectFusionHead(nodeModelFiles(), flags.models, headChoice);
  ctx.stderr(`live: ${head.line}\n`);
  const served = await openServer(settings, flags, { config, head }, ctx);
  const server = served?.server;
  const liveRun: LiveRun = {
    ...openInput(flags, settings, config, ctx),
    server,
    head,
    config,
    ...(served ? { onPlan: served.onPlan } : {}),
  };
  let result;
  let outputs: SceneOutputs | undefined;
  try {
    // Checked and created before any input is read: an output that is the config, a directory, or in a missing directory is refused.
    outputs = await openSceneOutputs(flags, ctx.stdout, "avfusion live", flags.config === undefined ? [] : [flags.config]);
    const session = await startSession(flags, settings, liveRun, ctx);
    result = await runUntilStopped(flags, settings, liveRun, session, outputs, ctx);
  } finally {
    try {
      // Finished as valid files when the run ended well (or by a signal); removed after a failure.
      await (result && !result.failure ? outputs?.close() : outputs?.abort());
    } finally {
      await closeServer(server, ctx);
      head.dispose();
    }
  }
  if (result.failure) throw result.failure;
  // The last, partial interval too, so the lines add up to every frame seen.
  result.reporter.report();
  if (!flags.json) {
    result.out(result.reporter.totals());
    if (flags.out !== undefined) result.out(`wrote ${flags.out} (${SCENE_TOPIC}, ${SCENE_UPDATE_TOPIC})\n`);
  }
  // Never connected: nothing was fused, whatever stopped the run (docs/live.md, exit codes).
  if (liveRun.link && !liveRun.link.connected)
    throw new BadInputError({
      where: `--connect ${flags.connect}`,
      what: `never connected (${liveRun.link.last || "no answer"})`,
      code: "open",
    });
  if (result.signalled !== undefined) ctx.exitCode = SIGNAL_EXIT[result.signalled];
}

export const registerLive: CommandRegistrar = (program: Command, ctx: CliContext) => {
  const command = program
    .command("live")
    .description(
      "run the whole fusion pipeline on live sensors (Foxglove WebSocket or UDP), print a per-interval summary, serve / write the fused scene",
    )
    .option("--connect <url>", "Foxglove WebSocket server, ws://HOST:PORT")
    .option("--udp <sensors>", "listen for UDP packets: velodyne[:[HOST:]PORT],ars548[:[HOST:]PORT] (defaults 2368, 42102)")
    .option("--serve <port>", "serve the scene, health and the input topics as a Foxglove WebSocket server on PORT (0 = any free port)")
    .option("--host <host>", "address for --serve (not loopback: needs --token, or --insecure)", "127.0.0.1")
    .option("--tick-hz <hz>", "fusion tick rate (default 10)")
    .option(
      "--mount <sensor=x,y,z[,yawDeg]>",
      "with --udp: a sensor's mounting in base_link (repeatable)",
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option("--warmup <sec>", "seconds of input watched before planning sensors and rates", "1")
    .option("--queue <n>", "with --connect: messages kept per topic while the pipeline is busy (older ones dropped)", "16")
    .option(
      "--clock <clock>",
      "align on the sources' stamps (stamp), on receive time (receive), or on stamps moved by a per-sensor offset estimated when they disagree with receive time beyond the window (auto)",
      "auto",
    )
    .option("--duration <sec>", "stop after SEC seconds (default: until Ctrl-C)")
    .option("--frames <n>", "stop after N decoded frames (all sensors together)")
    .option("--interval <sec>", "summary interval", "1")
    .option("--json", "one JSON line per interval instead of text");
  withServeFlags(withFusionHeadFlag(withModelChoiceFlag(withInferenceFlags(withConfigFlag(withSceneOutputFlags(command)))))).action(
    (flags: LiveFlags & ServeFlags) => run(flags, ctx),
  );
};
