import { openIndexed } from "../sources/mcap/openIndexed";
import { readMessageBatches } from "../sources/mcap/readRecording";
import type { RecordingReadable } from "../sources/mcap/types";
import type { Nanos, SensorMessage } from "../types";
import { StatusLevel, type FoxgloveWsServer, type PublishRecord } from "../sinks/foxglove/FoxgloveWsServer";
import { PlaybackClock } from "./PlaybackClock";

export type ChannelRecord = Omit<PublishRecord, "data" | "logTime">;

export type PlaybackOptions = {
  /** Speed factor over log time (2 = twice as fast); default 1. */
  rate?: number;
  /** Start again from the beginning at the end (until `signal` aborts). */
  loop?: boolean;
  /** Only these topics (exact names); default all. */
  topics?: readonly string[];
  signal?: AbortSignal;
  /** Called after each pass over the recording (pass number from 1). */
  onPass?: (pass: number, stats: PlaybackStats) => void;
  /**
   * The clock to play on, when it is to be changed while playing (rate, pause, loop: see
   * playbackParameters); it then wins over `rate` and `loop`.
   */
  clock?: PlaybackClock;
  /**
   * At the end of a pass that does not loop: resolves true to play another pass (time going on
   * from where it ended), false to end. Default: end.
   */
  onEnd?: (stats: PlaybackStats) => Promise<boolean>;
};

/** Where a served playback is: waiting for a subscriber, playing (or paused), or held at the end. */
export type ServePhase = "waiting" | "playing" | "ended";

export type ServeRecordingOptions = PlaybackOptions & {
  /**
   * Before sending the first message wait until: `all` advertised topics have a subscriber,
   * `any` one does (then `settleMs` more, default 200, for the client's other subscriptions), or
   * `none` (default `any`).
   */
  waitFor?: "all" | "any" | "none";
  settleMs?: number;
  /**
   * Lossless pacing: when a client has more than this many bytes queued, playback waits for it
   * (falls behind real time) instead of the server dropping messages. Default 1 MiB.
   */
  highWaterBytes?: number;
  /**
   * The most playback falls behind its schedule waiting for clients above `highWaterBytes` (ms,
   * default 1000): a bound on the lag, not on one wait, so a client that reads at half speed
   * (each wait short, but one after another) cannot slow playback down for the others either.
   * A client slower than that is left to the server's limits (messages dropped, then cut off).
   */
  slowClientWaitMs?: number;
  /** Pass your own (createPlaybackStats()) to read the counters while it plays. */
  stats?: PlaybackStats;
  /**
   * At the end of the recording (not looping): `return` (default) resolves; `hold` keeps the
   * server and its clients as they are, tells them so (an info status: `end of recording: N
   * messages in P pass(es)`, then `; ` and `endNote`), and waits until `signal` aborts, or until
   * the clock's `loop` is turned on (a viewer setting `/play/loop`), when it plays on.
   */
  atEnd?: "return" | "hold";
  endNote?: string;
  /** Told each change of phase. */
  onPhase?: (phase: ServePhase) => void;
};

/** The id of the end-of-recording status, withdrawn when playback goes on. */
export const END_STATUS_ID = "avfusion.play.end";
/** Time messages (`time` capability) at most this often (ms of wall time), and at the end of each pass. */
const TIME_EVERY_MS = 10;

export type PlaybackStats = {
  passes: number;
  /** Messages (WebSocket) or datagrams (UDP) sent. */
  sent: number;
  /** Messages skipped: not a raw packet schema (UDP), or damaged packet messages. */
  skipped: number;
  /** Largest delay behind the schedule, ms. */
  maxLagMs: number;
  errors: string[];
};

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** The channels of a recording (from its summary, else by reading it once). */
export async function recordingChannels(source: RecordingReadable, topics?: readonly string[]): Promise<ChannelRecord[]> {
  const want = topics ? new Set(topics) : undefined;
  const opened = await openIndexed(source);
  const out = new Map<string, ChannelRecord>();
  if (opened.ok) {
    for (const ch of opened.reader.channelsById.values()) {
      if (want && !want.has(ch.topic)) continue;
      const schema = ch.schemaId === 0 ? undefined : opened.reader.schemasById.get(ch.schemaId);
      out.set(ch.topic, {
        topic: ch.topic,
        schemaName: schema?.name ?? "",
        schemaEncoding: schema?.encoding ?? "",
        schemaData: schema?.data ?? new Uint8Array(0),
        messageEncoding: ch.messageEncoding,
      });
    }
    return [...out.values()];
  }
  for await (const batch of readMessageBatches(source, { topics, access: "streamed" })) {
    for (const m of batch) if (!out.has(m.topic)) out.set(m.topic, channelOf(m));
  }
  return [...out.values()];
}

function channelOf(m: SensorMessage): ChannelRecord {
  return {
    topic: m.topic,
    schemaName: m.schemaName,
    schemaEncoding: m.schemaEncoding,
    schemaData: m.schemaData,
    messageEncoding: m.messageEncoding,
  };
}

/**
 * Replays a recording on log time × 1/rate and hands each message (with its time shifted by the
 * pass offset in loop mode, and how far behind its schedule it is, ms) to `send`, awaiting it.
 * `send` may wait (backpressure); the schedule then slips and `maxLagMs` says by how much.
 * Resolves when done (or aborted).
 */
export async function pacedPlayback(
  source: RecordingReadable,
  options: PlaybackOptions,
  send: (message: SensorMessage, logTime: Nanos, lagMs: number) => Promise<void> | void,
  stats: PlaybackStats,
): Promise<void> {
  const clock = options.clock ?? new PlaybackClock({ rate: options.rate, loop: options.loop });
  let passOffset = 0n;
  let lastLog: Nanos | undefined;
  for (;;) {
    let first: Nanos | undefined;
    for await (const batch of readMessageBatches(source, { topics: options.topics })) {
      for (const m of batch) {
        if (options.signal?.aborted) return;
        first ??= m.logTime;
        const logTime = m.logTime + passOffset;
        const lagMs = await clock.until(logTime, options.signal);
        if (options.signal?.aborted) return;
        if (lagMs > stats.maxLagMs) stats.maxLagMs = lagMs;
        await send(m, logTime, lagMs);
        lastLog = logTime;
      }
    }
    stats.passes++;
    options.onPass?.(stats.passes, stats);
    if (first === undefined || lastLog === undefined || options.signal?.aborted) return;
    if (!clock.loop) {
      if (!options.onEnd || !(await options.onEnd(stats)) || options.signal?.aborted) return;
      // Held at the end: the clock starts again from there, now.
      clock.anchor(lastLog);
    }
    // Next pass starts 1 ms after this one ended, so time keeps increasing for the viewer.
    passOffset = lastLog + 1_000_000n - first;
  }
}

export function createPlaybackStats(): PlaybackStats {
  return { passes: 0, sent: 0, skipped: 0, maxLagMs: 0, errors: [] };
}

/**
 * Serve a recording through a Foxglove WebSocket server at real time × `rate`: every channel is
 * advertised up front (so clients can subscribe before the first message), messages keep their
 * log time as the protocol timestamp. Lossless for clients that keep up: slow clients put
 * playback `slowClientWaitMs` behind its schedule at most (see highWaterBytes), then are left to
 * the server's limits. The server's clock (`time` capability, when it declares it) follows the
 * log time played, across loop passes.
 */
export async function serveRecording(
  source: RecordingReadable,
  server: FoxgloveWsServer,
  options: ServeRecordingOptions = {},
): Promise<PlaybackStats> {
  const stats = options.stats ?? createPlaybackStats();
  const clock = options.clock ?? new PlaybackClock({ rate: options.rate, loop: options.loop });
  const channels = await recordingChannels(source, options.topics);
  for (const ch of channels) server.advertise(ch);
  options.onPhase?.("waiting");
  const waitFor = options.waitFor ?? "any";
  if (waitFor === "all") {
    await server.waitForSubscribers(channels.map((c) => c.topic));
  } else if (waitFor === "any" && channels.length > 0) {
    while (!options.signal?.aborted && !channels.some((c) => server.isSubscribed(c.topic))) await sleep(20, options.signal);
    await sleep(options.settleMs ?? 200, options.signal);
  }
  const highWater = options.highWaterBytes ?? 1 << 20;
  const maxWaitMs = options.slowClientWaitMs ?? 1000;
  const time = timeTeller(server);
  options.onPhase?.("playing");
  const onEnd = options.atEnd === "hold" ? (s: PlaybackStats) => holdAtEnd(server, clock, s, options) : options.onEnd;
  await pacedPlayback(
    source,
    {
      ...options,
      clock,
      ...(onEnd ? { onEnd } : {}),
      onPass: (pass, s) => {
        time.flush();
        options.onPass?.(pass, s);
      },
    },
    async (m, logTime, lagMs) => {
      time.tell(logTime);
      server.publish({ ...channelOf(m), data: m.data, logTime });
      stats.sent++;
      // Called for every message, so each client's stretch above highWater ends when it drains;
      // a stretch may last only what is left of the lag budget.
      if (lagMs < maxWaitMs) await server.drained(highWater, 2, maxWaitMs - lagMs);
    },
    stats,
  );
  return stats;
}

/** Broadcasts the log time played: never backwards, at most every TIME_EVERY_MS, and the last one on `flush`. */
function timeTeller(server: FoxgloveWsServer): { tell: (t: Nanos) => void; flush: () => void } {
  let told: Nanos | undefined;
  let pending: Nanos | undefined;
  let at = -Infinity;
  const send = (t: Nanos): void => {
    told = t;
    pending = undefined;
    at = performance.now();
    server.broadcastTime(t);
  };
  return {
    tell: (t) => {
      if (told !== undefined && t <= told) return;
      if (performance.now() - at >= TIME_EVERY_MS) send(t);
      else pending = t;
    },
    flush: () => {
      if (pending !== undefined) send(pending);
    },
  };
}

/** `atEnd: "hold"`: tells the clients, then waits for the stop signal or for `loop` to be turned on. */
async function holdAtEnd(server: FoxgloveWsServer, clock: PlaybackClock, stats: PlaybackStats, options: ServeRecordingOptions) {
  options.onPhase?.("ended");
  const line = `end of recording: ${stats.sent} messages in ${stats.passes} pass(es)${options.endNote ? `; ${options.endNote}` : ""}`;
  server.sendStatus(StatusLevel.INFO, line, END_STATUS_ID);
  const signal = options.signal;
  await new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      off();
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const off = clock.onChange(() => {
      if (clock.loop) done();
    });
    signal?.addEventListener("abort", done, { once: true });
  });
  if (signal?.aborted) return false;
  server.removeStatus([END_STATUS_ID]);
  options.onPhase?.("playing");
  return true;
}
