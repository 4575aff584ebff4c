import type { Command } from "commander";
import type { Subscription } from "rxjs";
import { loadConfig } from "../config/loadConfig";
import type { AvfusionConfig } from "../config/configSchema";
import { wsInput, type LiveInput } from "../live/liveInputs";
import { udpInput, type Mounting } from "../live/udpInput";
import { publishLiveTick, SCENE_TOPIC, SCENE_UPDATE_TOPIC } from "../live/liveOutputs";
import { startLive, type LiveTick } from "../live/liveSession";
import { parseFusionHeadChoice, selectFusionHead } from "../fusion/head";
import { nodeModelFiles } from "../runtime/nodeModelFiles";
import { parseBackendChoice, selectBackend } from "../runtime/selectBackend";
import { FoxgloveWsServer } from "../sinks/foxglove/FoxgloveWsServer";
import { openSceneOutputs } from "../sinks/sceneOutputs";
import { loadQualityCurves } from "../scene/qualityCurves";
import { parseUdpListen } from "../sources/bridge/udpSource";
import type { SensorHealthStatus, SensorKind } from "../types";
import type { CliContext, CommandRegistrar } from "./context";
import { BadInputError } from "../types/errors";
import { stopSignal } from "./play";

type LiveFlags = {
  frames?: string;
  connect?: string;
  udp?: string;
  serve?: string;
  host: string;
  duration?: string;
  json?: boolean;
  interval: string;
  jsonl?: string;
  out?: string;
  config?: string;
  backend: string;
  models: string;
  tickHz?: string;
  warmup: string;
  queue: string;
  mount: string[];
  fusionHead?: string;
};

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
  /** The scene's health status of the sensor at the last tick of the interval (absent before the first tick). */
  status?: SensorHealthStatus;
};

/** What `live` prints each interval (one JSON line with --json). */
export type LiveSummary = {
  /** Seconds since start. */
  t: number;
  /** `connected`, `connecting`, `disconnected`, `failed` (WebSocket) or `listening` (UDP). */
  state: string;
  sensors: LiveSensorLine[];
  /** Bridge counters since start: dropped (slow consumer / flood), malformed (skipped); decode errors of the decode stage. */
  dropped: number;
  malformed: number;
  decodeErrors: number;
  /** Scene figures (absent when no tick came yet): scene ticks in the interval, ticks dropped while busy (since start), objects and degradation at the last tick. */
  ticks?: number;
  droppedTicks?: number;
  objects?: number;
  degradation?: string;
  reconnects?: number;
};

export function formatLiveSummary(s: LiveSummary): string {
  const sensors = s.sensors.length
    ? s.sensors
        .map(
          (x) =>
            `${x.sensorId} ${x.kind} ${x.missing ? (x.status === "STALE" ? "STALE" : "MISSING") : `${x.rate.toFixed(1)}/s${x.status !== undefined && x.status !== "OK" ? ` ${x.status}` : ""}`}`,
        )
        .join(", ")
    : "no sensors yet";
  const scene =
    s.ticks === undefined
      ? ""
      : ` | scene ${s.ticks} ticks, ${s.objects ?? 0} objects, ${s.degradation ?? "?"}, ${s.droppedTicks ?? 0} ticks dropped`;
  const reconnects = s.reconnects ? `, reconnects ${s.reconnects}` : "";
  return `[${s.t.toFixed(0).padStart(4)} s] ${s.state.padEnd(12)} ${sensors}${scene} | dropped ${s.dropped}, malformed ${s.malformed}, decode errors ${s.decodeErrors}${reconnects}`;
}

/** `--mount SENSOR=X,Y,Z[,YAW_DEG]` (m, degrees) → mounting. */
export function parseMount(text: string): [string, Mounting] {
  const m = /^([A-Za-z0-9_]+)=(.+)$/.exec(text.trim());
  const nums = m ? m[2]!.split(",").map(Number) : [];
  if (!m || (nums.length !== 3 && nums.length !== 4) || !nums.every(Number.isFinite)) {
    throw new BadInputError({
      where: `--mount ${text}`,
      what: "",
      expected: "SENSOR=X,Y,Z[,YAW_DEG] (metres in base_link, yaw in degrees), e.g. velodyne_2368=1.2,0,1.9",
      code: "usage",
    });
  }
  return [m[1]!, { x: nums[0]!, y: nums[1]!, z: nums[2]!, yawRad: ((nums[3] ?? 0) * Math.PI) / 180 }];
}

function positiveNumber(name: string, text: string, min: number, max: number): number {
  const v = Number(text);
  if (!(Number.isFinite(v) && v >= min && v <= max))
    throw new BadInputError({ where: `${name} ${text}`, what: "", expected: `a number in [${min}, ${max}]`, code: "usage" });
  return v;
}

type Counter = { kind: SensorKind; seen: number; interval: number };

async function run(flags: LiveFlags, ctx: CliContext): Promise<void> {
  if ((flags.connect === undefined) === (flags.udp === undefined))
    throw new BadInputError({ where: "live", what: "give exactly one of --connect ws://HOST:PORT or --udp SENSORS", code: "usage" });
  const duration = flags.duration === undefined ? undefined : Number(flags.duration);
  if (duration !== undefined && !(Number.isFinite(duration) && duration > 0))
    throw new BadInputError({ where: `--duration ${flags.duration}`, what: "", expected: "a positive number of seconds", code: "usage" });
  const intervalSec = Number(flags.interval);
  if (!(Number.isFinite(intervalSec) && intervalSec >= 0.1 && intervalSec <= 3600))
    throw new BadInputError({ where: `--interval ${flags.interval}`, what: "", expected: "seconds in [0.1, 3600]", code: "usage" });
  if (flags.connect !== undefined && !/^wss?:\/\/[^/\s]+/.test(flags.connect))
    throw new BadInputError({ where: `--connect ${flags.connect}`, what: "", expected: "ws://HOST:PORT", code: "usage" });
  const maxFrames = flags.frames === undefined ? Infinity : Number(flags.frames);
  if (!(Number.isInteger(maxFrames) && maxFrames > 0) && maxFrames !== Infinity)
    throw new BadInputError({ where: `--frames ${flags.frames}`, what: "", expected: "a positive integer", code: "usage" });
  const tickHz = flags.tickHz === undefined ? undefined : positiveNumber("--tick-hz", flags.tickHz, 0.1, 1000);
  const warmupMs = positiveNumber("--warmup", flags.warmup, 0.05, 60) * 1000;
  const perTopic = positiveNumber("--queue", flags.queue, 1, 10_000);
  if (!Number.isInteger(perTopic))
    throw new BadInputError({ where: `--queue ${flags.queue}`, what: "", expected: "an integer", code: "usage" });
  const udpSpecs = flags.udp !== undefined ? parseUdpListen(flags.udp) : undefined;
  const mountings = new Map(flags.mount.map(parseMount));
  if (mountings.size > 0 && !udpSpecs)
    throw new BadInputError({ where: "--mount", what: "only with --udp (WebSocket sources send their own /tf)", code: "usage" });
  let servePort: number | undefined;
  if (flags.serve !== undefined) {
    servePort = Number(flags.serve);
    if (!Number.isInteger(servePort) || servePort < 0 || servePort > 65535)
      throw new BadInputError({
        where: `--serve ${flags.serve}`,
        what: "",
        expected: "a port 0..65535 (0 = any free port)",
        code: "usage",
      });
  }
  const backend = parseBackendChoice(flags.backend);
  const config: AvfusionConfig = flags.config === undefined ? {} : await loadConfig(flags.config);
  if (udpSpecs) {
    const ids = udpSpecs.map((s) => s.sensorId ?? `${s.driver}_${s.port}`);
    for (const id of mountings.keys())
      if (!ids.includes(id))
        throw new BadInputError({
          where: `--mount ${id}`,
          what: "no such UDP sensor",
          expected: `one of ${ids.join(", ")}`,
          code: "usage",
        });
  }
  const headChoice = flags.fusionHead === undefined ? undefined : parseFusionHeadChoice(flags.fusionHead);
  await selectBackend({ backend, log: (line) => ctx.stderr(`${line}\n`) });
  const head = await selectFusionHead(nodeModelFiles(), flags.models, headChoice);
  ctx.stderr(`live: ${head.line}\n`);

  const server =
    servePort === undefined ? undefined : await FoxgloveWsServer.listen({ host: flags.host, port: servePort, name: "avfusion live" });
  if (server)
    ctx.stderr(
      `live: serving the scene (${SCENE_TOPIC}, ${SCENE_UPDATE_TOPIC}, /avfusion/health) and passing input topics through on ${server.url}\n`,
    );

  const warnedMount = new Set<string>();
  let input: LiveInput;
  if (udpSpecs) {
    input = udpInput({
      sensors: udpSpecs,
      mountings,
      onListening: (s, a) => {
        ctx.stderr(`live: ${s.driver} listening on ${a.address}:${a.port} (${s.sensorId})\n`);
      },
    });
    for (const s of udpSpecs) {
      const id = s.sensorId ?? `${s.driver}_${s.port}`;
      if (mountings.has(id)) continue;
      warnedMount.add(id);
      ctx.stderr(`avfusion: warning: ${id}: no mounting (--mount ${id}=X,Y,Z[,YAW_DEG]); the encoder's default mounting is used\n`);
    }
  } else {
    input = wsInput({ url: flags.connect!, perTopic, ...(config.topics ? { mapping: config.topics } : {}) });
  }

  const outputs = await openSceneOutputs(flags, ctx.stdout, "avfusion live");
  // Summaries go to stderr when the scene JSON lines take stdout.
  const out = flags.jsonl === "-" ? ctx.stderr : ctx.stdout;

  const stop = stopSignal(duration);
  let failure: Error | undefined;
  const fromQuality = await loadQualityCurves(nodeModelFiles(), flags.models, (line) => ctx.stderr(`live: ${line}\n`));
  const session = startLive({
    input,
    models: { files: nodeModelFiles(), dir: flags.models },
    scene: { visibility: { fromQuality } },
    config,
    ...(head.head ? { fusionHead: head.head } : {}),
    ...(tickHz !== undefined ? { tickHz } : {}),
    warmupMs,
    onMessage: server ? (m) => server.publish(m) : undefined,
    onNotice: (line) => {
      const mountWarning = /^warning: (\S+): no transform for frame/.exec(line);
      if (mountWarning && warnedMount.has(mountWarning[1]!)) return;
      if (!flags.json || line.startsWith("warning")) ctx.stderr(`live: ${line}\n`);
    },
    onPlan: (plan) =>
      ctx.stderr(
        `live: plan ${plan.sensors.map((s) => `${s.sensorId} (${s.kind}${s.rateHz !== null ? ` ${s.rateHz.toFixed(1)} Hz` : ""})`).join(", ")}; ticks at ${plan.sync.tick.rateHz} Hz, deadline ${plan.sync.deadlineMs} ms\n`,
      ),
  });

  const counters = new Map<string, Counter>();
  let intervalTicks = 0;
  let lastTick: LiveTick | undefined;
  let writing: Promise<void> = Promise.resolve();
  const writeTick = async (tick: LiveTick): Promise<void> => {
    await outputs.write(tick.scene);
  };
  const subscription: Subscription = session.ticks.subscribe({
    next: (tick) => {
      intervalTicks++;
      lastTick = tick;
      if (server) publishLiveTick(server, tick, session.stats().droppedTicks);
      if (flags.jsonl !== undefined || flags.out !== undefined)
        writing = writing.then(() => writeTick(tick)).catch((e: Error) => void (failure ??= e));
    },
    error: (e: Error) => {
      failure = e;
      stop.abort();
    },
  });

  const started = performance.now();
  let lastReport = started;
  const report = (): LiveSummary => {
    const now = performance.now();
    const spanSec = Math.max(1e-3, (now - lastReport) / 1000);
    lastReport = now;
    const st = session.stats();
    const plan = session.plan();
    for (const s of plan?.sensors ?? []) if (!counters.has(s.sensorId)) counters.set(s.sensorId, { kind: s.kind, seen: 0, interval: 0 });
    for (const [id, n] of st.decodedBySensor) {
      const c = counters.get(id);
      if (!c) continue;
      c.interval = n - c.seen;
      c.seen = n;
    }
    const bridge = input.counters();
    const health = new Map(lastTick?.scene.health.sensors.map((h) => [h.sensorId, h.status]) ?? []);
    const summary: LiveSummary = {
      t: Math.round(((now - started) / 1000) * 10) / 10,
      state: st.connection,
      sensors: [...counters.entries()].map(([sensorId, c]) => ({
        sensorId,
        kind: c.kind,
        frames: c.interval,
        rate: c.interval / spanSec,
        missing: c.interval === 0 || (st.connection !== "connected" && st.connection !== "listening"),
        ...(health.has(sensorId) ? { status: health.get(sensorId)! } : {}),
      })),
      dropped: bridge.dropped,
      malformed: bridge.malformed,
      decodeErrors: st.decodeErrors,
      ...(lastTick
        ? {
            ticks: intervalTicks,
            droppedTicks: st.droppedTicks,
            objects: lastTick.scene.objects.length,
            degradation: lastTick.scene.health.degradation,
            reconnects: bridge.reconnects,
          }
        : {}),
    };
    intervalTicks = 0;
    for (const c of counters.values()) c.interval = 0;
    out(`${flags.json ? JSON.stringify(summary) : formatLiveSummary(summary)}\n`);
    return summary;
  };
  const framePoll =
    maxFrames === Infinity
      ? undefined
      : setInterval(() => {
          let n = 0;
          for (const v of session.stats().decodedBySensor.values()) n += v;
          if (n >= maxFrames) stop.abort();
        }, 20);

  const timer = setInterval(report, intervalSec * 1000);
  try {
    await new Promise<void>((resolve) => {
      if (stop.signal.aborted) return resolve();
      stop.signal.addEventListener("abort", () => resolve(), { once: true });
    });
  } finally {
    clearInterval(timer);
    if (framePoll) clearInterval(framePoll);
    subscription.unsubscribe();
    stop.dispose();
    await writing;
    await outputs.close();
    await server?.close();
    head.dispose();
  }
  if (failure) throw failure;
  // The last, partial interval too, so the lines add up to every frame seen.
  report();
  if (!flags.json) {
    const st = session.stats();
    const totals = [...st.decodedBySensor.entries()].map(([id, n]) => `${id} ${n}`).join(", ");
    const b = input.counters();
    out(
      `live: frames per sensor: ${totals || "none"}; scene ticks ${st.ticks}, ${st.droppedTicks} dropped while busy; ` +
        `bridge dropped ${b.dropped}, malformed ${b.malformed}, reconnects ${b.reconnects}; decode errors ${st.decodeErrors}\n`,
    );
    if (flags.out !== undefined) out(`wrote ${flags.out} (${SCENE_TOPIC}, ${SCENE_UPDATE_TOPIC})\n`);
  }
}

export const registerLive: CommandRegistrar = (program: Command, ctx: CliContext) => {
  program
    .command("live")
    .description(
      "run the whole fusion pipeline on live sensors (Foxglove WebSocket or UDP), print a per-interval summary, serve / write the fused scene",
    )
    .option("--connect <url>", "Foxglove WebSocket server, ws://HOST:PORT")
    .option("--udp <sensors>", "listen for UDP packets: velodyne[:[HOST:]PORT],ars548[:[HOST:]PORT] (defaults 2368, 42102)")
    .option("--serve <port>", "serve the scene, health and the input topics as a Foxglove WebSocket server on PORT (0 = any free port)")
    .option("--host <host>", "address for --serve", "127.0.0.1")
    .option("--jsonl <path>", "write one scene state per line to PATH (- for stdout; the summaries then go to stderr)")
    .option("--out <file>", "write the scene states and foxglove.SceneUpdate boxes to an MCAP file")
    .option("--config <file>", "YAML/JSON config: topic mapping, tick rate, per-sensor alignment (see README)")
    .option("--tick-hz <hz>", "fusion tick rate (default 10)")
    .option("--backend <name>", "tfjs backend: auto|tensorflow|wasm|cpu", "auto")
    .option("--models <dir>", "directory of the shipped models", "models")
    .option("--fusion-head <head>", "learned|naive|none (default: learned when <models>/fusion/model.json exists, else none)")
    .option(
      "--mount <sensor=x,y,z[,yawDeg]>",
      "with --udp: a sensor's mounting in base_link (repeatable)",
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option("--warmup <sec>", "seconds of input watched before planning sensors and rates", "1")
    .option("--queue <n>", "with --connect: messages kept per topic while the pipeline is busy (older ones dropped)", "16")
    .option("--duration <sec>", "stop after SEC seconds (default: until Ctrl-C)")
    .option("--frames <n>", "stop after N decoded frames (all sensors together)")
    .option("--interval <sec>", "summary interval", "1")
    .option("--json", "one JSON line per interval instead of text")
    .action((flags: LiveFlags) => run(flags, ctx));
};
