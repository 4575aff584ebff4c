import type { Mounting } from "../live/udpInput";
import { parseUdpListen } from "../sources/bridge/udpSource";
import { CLOCK_MODES, type ClockMode } from "../sync/clockSync";
import { BadInputError } from "../types/errors";
import type { ConfigFlag, FusionHeadFlag, InferenceFlags, ModelChoiceFlag, SceneOutputFlags } from "./sharedFlags";

export type LiveFlags = InferenceFlags &
  ModelChoiceFlag &
  FusionHeadFlag &
  SceneOutputFlags &
  ConfigFlag & {
    frames?: string;
    connect?: string;
    udp?: string;
    serve?: string;
    host: string;
    duration?: string;
    json?: boolean;
    interval: string;
    tickHz?: string;
    warmup: string;
    queue: string;
    mount: string[];
    clock: string;
  };

/** The flags of `live`, checked once at start-up. */
export type LiveSettings = {
  duration: number | undefined;
  intervalSec: number;
  maxFrames: number;
  tickHz: number | undefined;
  warmupMs: number;
  perTopic: number;
  udpSpecs: ReturnType<typeof parseUdpListen> | undefined;
  mountings: Map<string, Mounting>;
  servePort: number | undefined;
  /** `--clock`: which clock the frames are aligned on. */
  clockMode: ClockMode;
};

const usage = (where: string, expected: string, what = ""): BadInputError => new BadInputError({ where, what, expected, code: "usage" });

/** `--mount SENSOR=X,Y,Z[,YAW_DEG]` (m, degrees) → mounting. */
export function parseMount(text: string): [string, Mounting] {
  const m = /^([A-Za-z0-9_]+)=(.+)$/.exec(text.trim());
  const nums = m ? m[2]!.split(",").map(Number) : [];
  if (!m || (nums.length !== 3 && nums.length !== 4) || !nums.every(Number.isFinite)) {
    throw usage(`--mount ${text}`, "SENSOR=X,Y,Z[,YAW_DEG] (metres in base_link, yaw in degrees), e.g. velodyne_2368=1.2,0,1.9");
  }
  return [m[1]!, { x: nums[0]!, y: nums[1]!, z: nums[2]!, yawRad: ((nums[3] ?? 0) * Math.PI) / 180 }];
}

function numberIn(name: string, text: string, min: number, max: number): number {
  const v = Number(text);
  if (!(Number.isFinite(v) && v >= min && v <= max)) throw usage(`${name} ${text}`, `a number in [${min}, ${max}]`);
  return v;
}

/** How long and how much: --duration, --interval, --frames. */
function parseLimits(flags: LiveFlags): Pick<LiveSettings, "duration" | "intervalSec" | "maxFrames"> {
  const duration = flags.duration === undefined ? undefined : Number(flags.duration);
  if (duration !== undefined && !(Number.isFinite(duration) && duration > 0))
    throw usage(`--duration ${flags.duration}`, "a positive number of seconds");
  const intervalSec = Number(flags.interval);
  if (!(Number.isFinite(intervalSec) && intervalSec >= 0.1 && intervalSec <= 3600))
    throw usage(`--interval ${flags.interval}`, "seconds in [0.1, 3600]");
  const maxFrames = flags.frames === undefined ? Infinity : Number(flags.frames);
  if (!(Number.isInteger(maxFrames) && maxFrames > 0) && maxFrames !== Infinity)
    throw usage(`--frames ${flags.frames}`, "a positive integer");
  return { duration, intervalSec, maxFrames };
}

/** Where from and where to: --connect / --udp with --mount, --serve. */
function parseEndpoints(flags: LiveFlags): Pick<LiveSettings, "udpSpecs" | "mountings" | "servePort"> {
  if ((flags.connect === undefined) === (flags.udp === undefined))
    throw new BadInputError({ where: "live", what: "give exactly one of --connect ws://HOST:PORT or --udp SENSORS", code: "usage" });
  if (flags.connect !== undefined && !/^wss?:\/\/[^/\s]+/.test(flags.connect)) throw usage(`--connect ${flags.connect}`, "ws://HOST:PORT");
  const udpSpecs = flags.udp !== undefined ? parseUdpListen(flags.udp) : undefined;
  const mountings = new Map(flags.mount.map(parseMount));
  if (mountings.size > 0 && !udpSpecs)
    throw new BadInputError({ where: "--mount", what: "only with --udp (WebSocket sources send their own /tf)", code: "usage" });
  if (udpSpecs) {
    const ids = udpSpecs.map((s) => s.sensorId ?? `${s.driver}_${s.port}`);
    for (const id of mountings.keys())
      if (!ids.includes(id)) throw usage(`--mount ${id}`, `one of ${ids.join(", ")}`, "no such UDP sensor");
  }
  let servePort: number | undefined;
  if (flags.serve !== undefined) {
    servePort = Number(flags.serve);
    if (!Number.isInteger(servePort) || servePort < 0 || servePort > 65535)
      throw usage(`--serve ${flags.serve}`, "a port 0..65535 (0 = any free port)");
  }
  return { udpSpecs, mountings, servePort };
}

/** Every flag of `live` but the config file and the models, which need IO. */
export function parseLiveFlags(flags: LiveFlags): LiveSettings {
  const endpoints = parseEndpoints(flags);
  const limits = parseLimits(flags);
  const tickHz = flags.tickHz === undefined ? undefined : numberIn("--tick-hz", flags.tickHz, 0.1, 1000);
  const warmupMs = numberIn("--warmup", flags.warmup, 0.05, 60) * 1000;
  const perTopic = numberIn("--queue", flags.queue, 1, 10_000);
  if (!Number.isInteger(perTopic)) throw usage(`--queue ${flags.queue}`, "an integer");
  const clockMode = CLOCK_MODES.find((m) => m === flags.clock);
  if (clockMode === undefined) throw usage(`--clock ${flags.clock}`, CLOCK_MODES.join(", "), "unknown clock");
  return { ...limits, ...endpoints, tickHz, warmupMs, perTopic, clockMode };
}
