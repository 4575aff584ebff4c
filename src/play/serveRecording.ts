import { openIndexed } from "../sources/mcap/openIndexed";
import { readMessageBatches } from "../sources/mcap/readRecording";
import type { RecordingReadable } from "../sources/mcap/types";
import type { Nanos, SensorMessage } from "../types";
import type { FoxgloveWsServer, PublishRecord } from "../sinks/foxglove/FoxgloveWsServer";
import { BadInputError } from "../types/errors";

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
};

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
};

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
  const rate = options.rate ?? 1;
  if (!(Number.isFinite(rate) && rate > 0)) {
    throw new BadInputError({ where: "rate", what: "", expected: `a positive finite number, got ${rate}`, code: "usage" });
  }
  let wall0 = 0;
  let log0: Nanos | undefined;
  let passOffset = 0n;
  let lastLog: Nanos | undefined;
  for (;;) {
    let first: Nanos | undefined;
    for await (const batch of readMessageBatches(source, { topics: options.topics })) {
      for (const m of batch) {
        if (options.signal?.aborted) return;
        first ??= m.logTime;
        const logTime = m.logTime + passOffset;
        if (log0 === undefined) {
          log0 = logTime;
          wall0 = performance.now();
        }
        const due = wall0 + Number(logTime - log0) / 1e6 / rate;
        const wait = due - performance.now();
        if (wait >= 1) await sleep(wait, options.signal);
        else if (-wait > stats.maxLagMs) stats.maxLagMs = -wait;
        if (options.signal?.aborted) return;
        await send(m, logTime, Math.max(0, performance.now() - due));
        lastLog = logTime;
      }
    }
    stats.passes++;
    options.onPass?.(stats.passes, stats);
    if (!options.loop || first === undefined || lastLog === undefined || options.signal?.aborted) return;
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
 * the server's limits.
 */
export async function serveRecording(
  source: RecordingReadable,
  server: FoxgloveWsServer,
  options: ServeRecordingOptions = {},
): Promise<PlaybackStats> {
  const stats = options.stats ?? createPlaybackStats();
  const channels = await recordingChannels(source, options.topics);
  for (const ch of channels) server.advertise(ch);
  const waitFor = options.waitFor ?? "any";
  if (waitFor === "all") {
    await server.waitForSubscribers(channels.map((c) => c.topic));
  } else if (waitFor === "any" && channels.length > 0) {
    while (!options.signal?.aborted && !channels.some((c) => server.isSubscribed(c.topic))) await sleep(20, options.signal);
    await sleep(options.settleMs ?? 200, options.signal);
  }
  const highWater = options.highWaterBytes ?? 1 << 20;
  const maxWaitMs = options.slowClientWaitMs ?? 1000;
  await pacedPlayback(
    source,
    options,
    async (m, logTime, lagMs) => {
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
