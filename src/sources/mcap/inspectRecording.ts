import type { TypedMcapRecord, TypedMcapRecords } from "@mcap/core";
import { classifyTopic, resolveSensor, type ClassifyOptions, type TopicMapping } from "../../config/topicMapping";
import { nsToSec, type Nanos, type TopicRole } from "../../types";
import { decompressHandlers } from "./decompress";
import { isMcapReadError, mcapReadError } from "./errors";
import { PARSED_RECORDS } from "./MessageParser";
import { openIndexed } from "./openIndexed";
import { CappedReadable, maxRecordBytes } from "./recordLimits";
import { streamRecordBatches } from "./streamRecords";
import type { RecordingReadable } from "./types";
import { McapIndexedReader } from "@mcap/core";

export type TopicInspection = {
  channelId: number;
  topic: string;
  schemaName: string;
  schemaEncoding: string;
  messageEncoding: string;
  messageCount: number;
  /** (count − 1) / span; per channel after a scan, over the whole recording from a summary. */
  rateHz: number | null;
  /** The role the topic maps to; null when its schema is not one we know. */
  sensor: TopicRole | null;
  sensorId: string;
  supported: boolean;
  reason?: string;
};

/** What `inspectRecording` found: the file's profile, counts, time span and topics (`avfusion inspect`). */
export type RecordingInspection = {
  file: string;
  profile: string;
  library: string;
  /** Where the counts came from: the summary's Statistics, or a streamed scan of every record. */
  countsFrom: "summary" | "scan";
  /** Whether readRecording will use indexed (log-time ordered) reading, and why not. */
  indexed: boolean;
  indexNote?: string;
  messageCount: number;
  /** First and last message log time (ns); 0 when there are no messages. */
  startTime: Nanos;
  endTime: Nanos;
  durationSec: number;
  topics: TopicInspection[];
  attachmentCount: number;
  metadataCount: number;
  chunkCount: number;
  /** Chunk compressions seen ("" = uncompressed). */
  compression: string[];
  /** Set when a scan stopped at damage; counts cover what came before it. */
  damage?: string;
};

export type InspectOptions = {
  /** Count by a streamed scan even when the summary has Statistics (also checks every chunk). */
  scan?: boolean;
  /** Check CRCs during a scan (default true). */
  validateCrcs?: boolean;
  /** Passed to classifyTopic (e.g. vendor packet schemas that have a decoder). */
  classify?: ClassifyOptions;
  /** Per-topic overrides (role, sensor id, ignore), as in the config file's `topics`. */
  mapping?: TopicMapping;
  /**
   * The record cap, as in readRecording (default the source's, else 256 MiB): during a scan a
   * chunk, message, schema, channel or header over it is damage, passed over unread (the scan
   * goes on); an attachment or metadata record over it is counted without being read.
   */
  maxRecordBytes?: number;
};

type ChannelRec = TypedMcapRecords["Channel"];
type SchemaRec = TypedMcapRecords["Schema"];

/**
 * Profile, topics with counts and roles, time span, attachment and metadata counts. Uses the
 * summary (Statistics.channelMessageCounts) when it has one that covers every channel, otherwise
 * scans the file. Open / empty / not-MCAP errors throw an `mcapReadError`; damage found during a scan
 * after the header is returned in `damage` with the counts up to it.
 */
export async function inspectRecording(source: RecordingReadable, options: InspectOptions = {}): Promise<RecordingInspection> {
  const handlers = await decompressHandlers();
  // The summary is read whole, at whatever size the footer claims: capped like any record.
  const capped = new CappedReadable(source, maxRecordBytes(options.maxRecordBytes, source));
  const opened = await openIndexed(capped, handlers);
  let summary: McapIndexedReader | undefined = opened.ok ? opened.reader : undefined;
  if (!summary) {
    try {
      summary = await McapIndexedReader.Initialize({ readable: capped, decompressHandlers: handlers });
    } catch {
      summary = undefined;
    }
  }
  const base = {
    file: source.name,
    indexed: opened.ok,
    ...(opened.ok ? {} : { indexNote: opened.reason }),
  };
  const stats = summary?.statistics;
  if (summary && stats && !options.scan && [...stats.channelMessageCounts.keys()].every((id) => summary.channelsById.has(id))) {
    const channels = [...summary.channelsById.values()];
    const counts = new Map<number, number>();
    for (const [id, n] of stats.channelMessageCounts) counts.set(id, Number(n));
    const none = stats.messageCount === 0n;
    const compression = new Set(summary.chunkIndexes.map((c) => c.compression));
    return finish(
      {
        ...base,
        profile: summary.header.profile,
        library: summary.header.library,
        countsFrom: "summary",
        messageCount: Number(stats.messageCount),
        startTime: none ? 0n : stats.messageStartTime,
        endTime: none ? 0n : stats.messageEndTime,
        attachmentCount: stats.attachmentCount,
        metadataCount: stats.metadataCount,
        chunkCount: stats.chunkCount,
        compression: [...compression].sort(),
      },
      channels,
      summary.schemasById,
      counts,
      undefined,
      options,
    );
  }
  return scan(source, base, options, handlers);
}

/** What a scan counts, record by record. */
type ScanTally = {
  header: TypedMcapRecords["Header"] | undefined;
  schemas: Map<number, SchemaRec>;
  channels: Map<number, ChannelRec>;
  counts: Map<number, number>;
  spans: Map<number, [bigint, bigint]>;
  compression: Set<string>;
  attachmentCount: number;
  metadataCount: number;
  chunkCount: number;
  messageCount: number;
  start: bigint | undefined;
  end: bigint | undefined;
};

async function scan(
  source: RecordingReadable,
  base: Pick<RecordingInspection, "file" | "indexed" | "indexNote">,
  options: InspectOptions,
  handlers: Awaited<ReturnType<typeof decompressHandlers>>,
): Promise<RecordingInspection> {
  const t: ScanTally = {
    header: undefined,
    schemas: new Map(),
    channels: new Map(),
    counts: new Map(),
    spans: new Map(),
    compression: new Set(),
    attachmentCount: 0,
    metadataCount: 0,
    chunkCount: 0,
    messageCount: 0,
    start: undefined,
    end: undefined,
  };
  let damage: string | undefined;
  try {
    const batches = streamRecordBatches(source, {
      validateCrcs: options.validateCrcs ?? true,
      decompressHandlers: handlers,
      includeChunks: true,
      maxRecordBytes: options.maxRecordBytes,
      onSkipped: (at, opcode, text) => {
        if (opcode === 0x09) t.attachmentCount++;
        else if (opcode === 0x0c) t.metadataCount++;
        else if (opcode === 0x01 || PARSED_RECORDS.has(opcode)) damage ??= mcapReadError("corrupt", source.name, BigInt(at), text).message;
      },
    });
    for await (const { records } of batches) {
      for (const r of records) countRecord(t, r);
    }
  } catch (err) {
    if (!isMcapReadError(err) || t.header === undefined) throw err;
    damage = err.message;
  }
  const header = t.header;
  if (!header) throw mcapReadError("corrupt", source.name, 8n, "no Header record, expected a Header right after the magic");
  return finish(
    {
      ...base,
      profile: header.profile,
      library: header.library,
      countsFrom: "scan",
      messageCount: t.messageCount,
      startTime: t.start ?? 0n,
      endTime: t.end ?? 0n,
      attachmentCount: t.attachmentCount,
      metadataCount: t.metadataCount,
      chunkCount: t.chunkCount,
      compression: [...t.compression].sort(),
      ...(damage === undefined ? {} : { damage }),
    },
    [...t.channels.values()],
    t.schemas,
    t.counts,
    t.spans,
    options,
  );
}

function countRecord(t: ScanTally, r: TypedMcapRecord): void {
  switch (r.type) {
    case "Header":
      t.header = r;
      break;
    case "Schema":
      if (!t.schemas.has(r.id)) t.schemas.set(r.id, r);
      break;
    case "Channel":
      if (!t.channels.has(r.id)) t.channels.set(r.id, r);
      break;
    case "Message": {
      t.messageCount++;
      t.counts.set(r.channelId, (t.counts.get(r.channelId) ?? 0) + 1);
      const span = t.spans.get(r.channelId);
      if (!span) t.spans.set(r.channelId, [r.logTime, r.logTime]);
      else {
        if (r.logTime < span[0]) span[0] = r.logTime;
        if (r.logTime > span[1]) span[1] = r.logTime;
      }
      if (t.start === undefined || r.logTime < t.start) t.start = r.logTime;
      if (t.end === undefined || r.logTime > t.end) t.end = r.logTime;
      break;
    }
    case "Chunk":
      t.chunkCount++;
      t.compression.add(r.compression);
      break;
    case "Attachment":
      t.attachmentCount++;
      break;
    case "Metadata":
      t.metadataCount++;
      break;
    default:
      break;
  }
}

function rate(count: number, span: [bigint, bigint] | undefined): number | null {
  if (count < 2 || !span || span[1] <= span[0]) return null;
  return (count - 1) / nsToSec(span[1] - span[0]);
}

function finish(
  head: Omit<RecordingInspection, "topics" | "durationSec">,
  channels: ChannelRec[],
  schemas: ReadonlyMap<number, SchemaRec>,
  counts: ReadonlyMap<number, number>,
  spans: ReadonlyMap<number, [bigint, bigint]> | undefined,
  options: InspectOptions,
): RecordingInspection {
  const whole: [bigint, bigint] = [head.startTime, head.endTime];
  const topics = channels
    .slice()
    .sort((a, b) => a.id - b.id)
    .map((ch): TopicInspection => {
      const schema = ch.schemaId === 0 ? undefined : schemas.get(ch.schemaId);
      const info = {
        topic: ch.topic,
        schemaName: schema?.name ?? "",
        schemaEncoding: schema?.encoding ?? "",
        messageEncoding: ch.messageEncoding,
      };
      const cls = classifyTopic(info, options.classify);
      const resolved = resolveSensor(ch.topic, cls, options.mapping);
      let reason = resolved.ignored ? "ignored by the topic mapping" : resolved.reason;
      let supported = resolved.supported && !resolved.ignored;
      if (ch.schemaId !== 0 && !schema) {
        supported = false;
        reason = `schema ${ch.schemaId} is not defined in the file`;
      }
      const messageCount = counts.get(ch.id) ?? 0;
      return {
        channelId: ch.id,
        ...info,
        messageCount,
        rateHz: rate(messageCount, spans ? spans.get(ch.id) : whole),
        sensor: resolved.role,
        sensorId: resolved.sensorId,
        supported,
        ...(reason === undefined ? {} : { reason }),
      };
    });
  return { ...head, durationSec: head.messageCount > 0 ? nsToSec(head.endTime - head.startTime) : 0, topics };
}

/** The stable JSON form (`avfusion inspect --json`): times as decimal strings of ns. */
export type InspectionJson = Omit<RecordingInspection, "startTime" | "endTime"> & { startTime: string; endTime: string };

export function inspectionToJson(i: RecordingInspection): InspectionJson {
  // Fixed key order: the documented fields first, then the extras.
  return {
    file: i.file,
    profile: i.profile,
    library: i.library,
    messageCount: i.messageCount,
    startTime: i.startTime.toString(),
    endTime: i.endTime.toString(),
    durationSec: i.durationSec,
    topics: i.topics,
    attachmentCount: i.attachmentCount,
    metadataCount: i.metadataCount,
    chunkCount: i.chunkCount,
    compression: i.compression,
    countsFrom: i.countsFrom,
    indexed: i.indexed,
    ...(i.indexNote === undefined ? {} : { indexNote: i.indexNote }),
    ...(i.damage === undefined ? {} : { damage: i.damage }),
  };
}
