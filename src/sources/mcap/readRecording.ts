import type { McapIndexedReader, TypedMcapRecords } from "@mcap/core";
import { asyncScheduler, Observable, type SchedulerLike, type Subscription } from "rxjs";
import type { Nanos, SensorMessage } from "../../types";
import { decompressHandlers } from "./decompress";
import { errorText } from "../../types/errors";
import { isMcapReadError, mcapReadError } from "./errors";
import { chunksInTimeOrder, indexedMessageBatches } from "./indexedMessageBatches";
import { noteError, noteSkipped, PARSED_RECORDS } from "./MessageParser";
import { openIndexed } from "./openIndexed";
import { CappedReadable, cappedHandlers, maxRecordBytes } from "./recordLimits";
import { streamMessageBatches } from "./streamMessageBatches";
import { streamRecordBatches } from "./streamRecords";
import type { RecordingReadable } from "./types";

/**
 * How fast messages leave the reader.
 * - `lossless`: as fast as the consumer takes them, never faster (see readRecording).
 * - `realtime`: on log time × 1/`rate` (rate 2 = twice as fast). A message more than `maxLagMs`
 *   (default 100 ms) behind its due time, because the consumer was slow, is dropped and counted.
 */
export type Pacing = { mode: "lossless" } | { mode: "realtime"; rate: number; maxLagMs?: number };

export type ReadRecordingOptions = {
  /** First log time to deliver (ns, inclusive). */
  startTime?: Nanos;
  /** Last log time to deliver (ns, inclusive). */
  endTime?: Nanos;
  /** Deliver only these topics (exact names). */
  topics?: readonly string[];
  /** Check chunk CRCs (default true); off is faster. */
  validateCrcs?: boolean;
  /** Default lossless. */
  pacing?: Pacing;
  /**
   * `auto` (default): indexed when the summary indexes every message (log-time order), else
   * streamed (file order). `streamed` forces a streamed read; `indexed` fails if there is no usable index.
   */
  access?: "auto" | "indexed" | "streamed";
  /** Bytes per read in streamed mode (default 256 KiB; a bigger record is read alone); bounds the read-ahead. */
  blockSize?: number;
  /** Messages per batch when merging overlapping chunks in indexed mode (default 256). */
  batchSize?: number;
  /**
   * `fast` (default): our MessageParser (zero-copy message views). `library`: @mcap/core's
   * McapStreamReader / McapIndexedReader.readMessages (each message copied); kept as the
   * reference the fast path is tested against.
   */
  parser?: "fast" | "library";
  /**
   * On damage: `error` (default) delivers every message before the damage, then errors with a
   * `mcapReadError`; `complete` completes instead and leaves the text in `diagnostics.damage`.
   */
  onDamage?: "error" | "complete";
  /**
   * The record cap (bytes; default the source's `maxRecordBytes`, else 256 MiB, recordLimits.ts):
   * the most the reader holds of one record — a chunk's records after decompression, or one
   * top-level record as stored. A record over it is never read or decompressed: it is damage
   * (a line in `diagnostics.errors` and `diagnostics.damage`) and the read goes on after it.
   */
  maxRecordBytes?: number;
  /** Filled in while reading; pass your own (createDiagnostics()) to look at it afterwards. */
  diagnostics?: ReadDiagnostics;
};

export type ReadDiagnostics = {
  file: string;
  /** How the file was read; undefined until opened. */
  access?: "indexed" | "streamed";
  /** Why the index was not used, when streamed. */
  indexNote?: string;
  /** Message records parsed from the file. */
  messagesRead: number;
  /** Messages handed to the consumer. */
  messagesDelivered: number;
  /** Messages left out by the topic / time filter. */
  messagesFiltered: number;
  /** Malformed messages skipped: too short, on an undeclared channel, or on a channel whose schema is missing. */
  messagesSkipped: number;
  /** Messages dropped in real-time mode because the consumer fell behind. */
  messagesDropped: number;
  /** One line per problem, `file:offset: what, expected what`; the first 100 only. */
  errors: string[];
  /** Number of problems, including those past the first 100. */
  errorCount: number;
  /**
   * The one-line damage text: of what stopped the read early, else of the first record skipped
   * over the record cap (the read went on after it). Either way the file is damaged (exit 2).
   */
  damage?: string;
};

export function createDiagnostics(file = ""): ReadDiagnostics {
  return {
    file,
    messagesRead: 0,
    messagesDelivered: 0,
    messagesFiltered: 0,
    messagesSkipped: 0,
    messagesDropped: 0,
    errors: [],
    errorCount: 0,
  };
}

type ChannelInfo = Omit<SensorMessage, "logTime" | "publishTime" | "sequence" | "data">;

const EMPTY = new Uint8Array(0);
/** Streamed read size: small records are read this many bytes at a time, bigger ones alone. */
const DEFAULT_BLOCK = 256 * 1024;

/**
 * Messages in batches, pulled: the next bytes are read from the source only when the consumer
 * asks for the next batch. Streamed batches hold the messages of one block (default 256 KiB) or of
 * one chunk; indexed batches the messages of one chunk (`batchSize` when chunks overlap in time
 * and are merged). Damage throws an `mcapReadError` after every earlier batch was yielded.
 */
export async function* readMessageBatches(
  source: RecordingReadable,
  options: ReadRecordingOptions = {},
): AsyncGenerator<SensorMessage[], void, void> {
  const diag = options.diagnostics ?? createDiagnostics(source.name);
  diag.file = source.name;
  const handlers = await decompressHandlers();
  const access = options.access ?? "auto";
  const cap = maxRecordBytes(options.maxRecordBytes, source);
  // @mcap/core's readers get the cap in their reads and decompressors; ours check it themselves.
  const capped = new CappedReadable(source, cap);
  const library = cappedHandlers(handlers, cap);
  const fast = (options.parser ?? "fast") === "fast";
  const filter = {
    topics: options.topics ? new Set(options.topics) : undefined,
    startTime: options.startTime,
    endTime: options.endTime,
  };
  const validateCrcs = options.validateCrcs ?? true;
  if (access !== "streamed") {
    const opened = await openIndexed(capped, library);
    if (opened.ok) {
      diag.access = "indexed";
      if (fast && chunksInTimeOrder(opened.reader)) {
        yield* indexedMessageBatches(source, opened.reader, { ...filter, validateCrcs, handlers, counters: diag, maxRecordBytes: cap });
      } else {
        yield* indexedBatches(capped, opened.reader, options, diag);
      }
      return;
    }
    if (access === "indexed") {
      throw mcapReadError(
        "corrupt",
        source.name,
        undefined,
        `no usable index (${opened.reason}), expected a summary with chunk and message indexes`,
      );
    }
    diag.indexNote = opened.reason;
  }
  diag.access = "streamed";
  if (fast) {
    yield* streamMessageBatches(source, {
      ...filter,
      validateCrcs,
      handlers,
      counters: diag,
      blockSize: Math.max(9, options.blockSize ?? DEFAULT_BLOCK),
      maxRecordBytes: cap,
    });
  } else {
    yield* streamedBatches(source, { ...options, maxRecordBytes: cap }, diag, library);
  }
}

function inRange(t: bigint, options: ReadRecordingOptions): boolean {
  return (options.startTime === undefined || t >= options.startTime) && (options.endTime === undefined || t <= options.endTime);
}

async function* streamedBatches(
  source: RecordingReadable,
  options: ReadRecordingOptions,
  diag: ReadDiagnostics,
  handlers: Awaited<ReturnType<typeof decompressHandlers>>,
): AsyncGenerator<SensorMessage[], void, void> {
  const schemas = new Map<number, TypedMcapRecords["Schema"]>();
  const channels = new Map<number, ChannelInfo | null>();
  const topics = options.topics ? new Set(options.topics) : undefined;
  const batches = streamRecordBatches(source, {
    validateCrcs: options.validateCrcs,
    blockSize: options.blockSize,
    decompressHandlers: handlers,
    maxRecordBytes: options.maxRecordBytes,
    onSkipped: (at, opcode, text) => {
      if (PARSED_RECORDS.has(opcode)) noteSkipped(diag, source.name, at, text);
    },
  });
  for await (const batch of batches) {
    const out: SensorMessage[] = [];
    const { records, offsets } = batch;
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      if (r.type === "Message") {
        diag.messagesRead++;
        const ch = channels.get(r.channelId);
        if (ch === null || ch === undefined) {
          // McapStreamReader rejects messages on undeclared channels, so this is a bad schema ref.
          diag.messagesSkipped++;
          continue;
        }
        if ((topics && !topics.has(ch.topic)) || !inRange(r.logTime, options)) {
          diag.messagesFiltered++;
          continue;
        }
        out.push({ ...ch, logTime: r.logTime, publishTime: r.publishTime, sequence: r.sequence, data: r.data });
      } else if (r.type === "Schema") {
        schemas.set(r.id, r);
      } else if (r.type === "Channel") {
        if (channels.has(r.id)) continue;
        const schema = r.schemaId === 0 ? undefined : schemas.get(r.schemaId);
        if (r.schemaId !== 0 && !schema) {
          noteError(
            diag,
            `${source.name}:${offsets[i]}: channel ${r.id} (${r.topic}) refers to schema ${r.schemaId}, expected a Schema record before it; its messages are skipped`,
          );
          channels.set(r.id, null);
          continue;
        }
        channels.set(r.id, channelInfo(r, schema));
      }
    }
    if (out.length > 0) yield out;
  }
}

function channelInfo(channel: TypedMcapRecords["Channel"], schema: TypedMcapRecords["Schema"] | undefined): ChannelInfo {
  return {
    topic: channel.topic,
    schemaName: schema?.name ?? "",
    schemaEncoding: schema?.encoding ?? "",
    messageEncoding: channel.messageEncoding,
    schemaData: schema?.data ?? EMPTY,
    channelId: channel.id,
  };
}

async function* indexedBatches(
  tracking: CappedReadable,
  indexed: McapIndexedReader,
  options: ReadRecordingOptions,
  diag: ReadDiagnostics,
): AsyncGenerator<SensorMessage[], void, void> {
  const channels = new Map<number, ChannelInfo>();
  for (const ch of indexed.channelsById.values()) {
    channels.set(ch.id, channelInfo(ch, ch.schemaId === 0 ? undefined : indexed.schemasById.get(ch.schemaId)));
  }
  const batchSize = Math.max(1, options.batchSize ?? 256);
  let out: SensorMessage[] = [];
  const messages = indexed.readMessages({
    topics: options.topics,
    startTime: options.startTime,
    endTime: options.endTime,
    validateCrcs: options.validateCrcs ?? true,
  });
  try {
    for await (const m of messages) {
      diag.messagesRead++;
      const ch = channels.get(m.channelId);
      if (!ch) {
        diag.messagesSkipped++;
        continue;
      }
      out.push({ ...ch, logTime: m.logTime, publishTime: m.publishTime, sequence: m.sequence, data: m.data });
      if (out.length >= batchSize) {
        yield out;
        out = [];
      }
    }
  } catch (err) {
    if (out.length > 0) yield out;
    throw mcapReadError("corrupt", tracking.name, tracking.lastOffset, `indexed read: ${errorText(err)}`);
  }
  if (out.length > 0) yield out;
}

/**
 * The recording as an Observable of SensorMessage.
 *
 * Backpressure (lossless mode): a plain Observable cannot ask its producer to slow down, so the
 * reader is pull-driven instead. Messages of one batch are emitted synchronously with
 * `subscriber.next`; only after the last `next` of a batch returns does the loop ask the
 * generator for the next batch, and only then are more bytes read. A consumer that does its work
 * inside `next` (synchronous operators, synchronous inference) therefore holds the reader back,
 * and at most one batch (≤ one block or one chunk of messages) is in memory at a time. A consumer
 * that hands work off asynchronously should iterate `readMessageBatches` itself with `for await`.
 *
 * Damage: every message before the damage is emitted, then the Observable errors with a
 * `mcapReadError` (one-line message `file:offset: what, expected what`), or completes when
 * `onDamage: "complete"`; in both cases `diagnostics.damage` holds the text.
 *
 * Real-time pacing sleeps with `scheduler.schedule`, so a VirtualTimeScheduler drives it in tests.
 *
 * Order: indexed reads are in log-time order (equal times keep file order); streamed reads are in
 * file order. `data` is a view into the chunk (or block) the message was read from: decode it or
 * copy it (`data.slice()`) before keeping it, or the whole chunk stays in memory with it.
 */
export function readRecording(
  source: RecordingReadable,
  options: ReadRecordingOptions = {},
  scheduler: SchedulerLike = asyncScheduler,
): Observable<SensorMessage> {
  return new Observable<SensorMessage>((subscriber) => {
    const diag = options.diagnostics ?? createDiagnostics(source.name);
    const pacing = options.pacing ?? { mode: "lossless" };
    if (pacing.mode === "realtime" && !(Number.isFinite(pacing.rate) && pacing.rate > 0)) {
      subscriber.error(new RangeError(`pacing.rate: expected a positive finite number, got ${pacing.rate}`));
      return;
    }
    let closed = false;
    let sleeping: Subscription | undefined;
    let wake: (() => void) | undefined;
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        wake = resolve;
        sleeping = scheduler.schedule(() => resolve(), ms);
      });

    const run = async () => {
      const batches = readMessageBatches(source, { ...options, diagnostics: diag });
      let wall0 = 0;
      let log0: bigint | undefined;
      try {
        for await (const batch of batches) {
          for (const m of batch) {
            if (closed) return;
            if (pacing.mode === "realtime") {
              if (log0 === undefined) {
                log0 = m.logTime;
                wall0 = scheduler.now();
              }
              const due = wall0 + Number(m.logTime - log0) / 1e6 / pacing.rate;
              const wait = due - scheduler.now();
              if (wait > 0) {
                await sleep(wait);
                if (closed) return;
              } else if (-wait > (pacing.maxLagMs ?? 100)) {
                diag.messagesDropped++;
                continue;
              }
            }
            diag.messagesDelivered++;
            subscriber.next(m);
          }
        }
        if (!closed) subscriber.complete();
      } catch (err) {
        if (isMcapReadError(err)) diag.damage = err.message;
        else noteError(diag, errorText(err));
        if (closed) return;
        if (isMcapReadError(err) && options.onDamage === "complete") subscriber.complete();
        else subscriber.error(err);
      } finally {
        await batches.return();
      }
    };
    void run();
    return () => {
      closed = true;
      sleeping?.unsubscribe();
      wake?.();
    };
  });
}
