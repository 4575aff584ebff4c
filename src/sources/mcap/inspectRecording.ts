import type { TypedMcapRecords } from "@mcap/core";
import { classifyTopic, resolveSensor, type ClassifyOptions, type TopicMapping } from "../../config/topicMapping";
import { nsToSec, type Nanos, type TopicRole } from "../../types";
import { decompressHandlers } from "./decompress";
import { McapReadError } from "./errors";
import { openIndexed } from "./openIndexed";
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
};

type ChannelRec = TypedMcapRecords["Channel"];
type SchemaRec = TypedMcapRecords["Schema"];

/**
 * Profile, topics with counts and roles, time span, attachment and metadata counts. Uses the
 * summary (Statistics.channelMessageCounts) when it has one that covers every channel, otherwise
 * scans the file. Open / empty / not-MCAP errors throw McapReadError; damage found during a scan
 * after the header is returned in `damage` with the counts up to it.
 */
export async function inspectRecording(source: RecordingReadable, options: InspectOptions = {}): Promise<RecordingInspection> {
  const handlers = await decompressHandlers();
  const opened = await openIndexed(source, handlers);
  let summary: McapIndexedReader | undefined = opened.ok ? opened.reader : undefined;
  if (!summary) {
    try {
      summary = await McapIndexedReader.Initialize({ readable: source, decompressHandlers: handlers });
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

async function scan(
  source: RecordingReadable,
  base: Pick<RecordingInspection, "file" | "indexed" | "indexNote">,
  options: InspectOptions,
  handlers: Awaited<ReturnType<typeof decompressHandlers>>,
): Promise<RecordingInspection> {
  let header: TypedMcapRecords["Header"] | undefined;
  const schemas = new Map<number, SchemaRec>();
  const channels = new Map<number, ChannelRec>();
  const counts = new Map<number, number>();
  const spans = new Map<number, [bigint, bigint]>();
  const compression = new Set<string>();
  let attachmentCount = 0;
  let metadataCount = 0;
  let chunkCount = 0;
  let messageCount = 0;
  let start: bigint | undefined;
  let end: bigint | undefined;
  let damage: string | undefined;
  try {
    const batches = streamRecordBatches(source, {
      validateCrcs: options.validateCrcs ?? true,
      decompressHandlers: handlers,
      includeChunks: true,
    });
    for await (const { records } of batches) {
      for (const r of records) {
        switch (r.type) {
          case "Header":
            header = r;
            break;
          case "Schema":
            if (!schemas.has(r.id)) schemas.set(r.id, r);
            break;
          case "Channel":
            if (!channels.has(r.id)) channels.set(r.id, r);
            break;
          case "Message": {
            messageCount++;
            counts.set(r.channelId, (counts.get(r.channelId) ?? 0) + 1);
            const span = spans.get(r.channelId);
            if (!span) spans.set(r.channelId, [r.logTime, r.logTime]);
            else {
              if (r.logTime < span[0]) span[0] = r.logTime;
              if (r.logTime > span[1]) span[1] = r.logTime;
            }
            if (start === undefined || r.logTime < start) start = r.logTime;
            if (end === undefined || r.logTime > end) end = r.logTime;
            break;
          }
          case "Chunk":
            chunkCount++;
            compression.add(r.compression);
            break;
          case "Attachment":
            attachmentCount++;
            break;
          case "Metadata":
            metadataCount++;
            break;
          default:
            break;
        }
      }
    }
  } catch (err) {
    if (!(err instanceof McapReadError) || header === undefined) throw err;
    damage = err.message;
  }
  if (!header) throw new McapReadError("corrupt", source.name, 8n, "no Header record, expected a Header right after the magic");
  return finish(
    {
      ...base,
      profile: header.profile,
      library: header.library,
      countsFrom: "scan",
      messageCount,
      startTime: start ?? 0n,
      endTime: end ?? 0n,
      attachmentCount,
      metadataCount,
      chunkCount,
      compression: [...compression].sort(),
      ...(damage === undefined ? {} : { damage }),
    },
    [...channels.values()],
    schemas,
    counts,
    spans,
    options,
  );
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
