import type { AvfusionConfig } from "../config/configSchema";
import { classifyTopic, resolveSensor, type TopicMapping } from "../config/topicMapping";
import { roleFromContent } from "../decode/contentRole";
import { VENDOR_CLASSIFY } from "../decode/vendorDecoders";
import { NOMINAL_RATE_HZ, planPipeline, type CatalogueTopic, type PipelinePlan, type TopicCatalogue } from "../pipeline";
import { BadInputError, isBadInput, SENSOR_KINDS, type DecodedMessage, type Nanos, type SensorKind, type SensorMessage } from "../types";
import { sourceTimeOfEvent, topicOfEvent, type LiveDataEvent } from "./liveInputs";

/** What a topic is, as the catalogue says: role, sensor id, whether the pipeline can take it. */
export type TopicIdentity = Omit<CatalogueTopic, "rateHz" | "topic">;

/**
 * One topic seen during the warm-up: what it is (`known`: declared by the input or read from a
 * decoded frame; else classified from its `first` message), and how many arrived over which span
 * of source time.
 */
export type TopicSeen = { first?: SensorMessage; known?: TopicIdentity; count: number; firstLog: Nanos; lastLog: Nanos };

export const isSensorKind = (role: string | null): role is SensorKind =>
  role !== null && (SENSOR_KINDS as readonly string[]).includes(role);

/**
 * The rate measured in the warm-up, or null (planPipeline then takes the kind's nominal rate) when
 * fewer than 5 messages came or it is off the nominal rate by more than 2× (a sender that stalled
 * during the warm-up). 2 % under the measured value: a window is half a period wide, and a 15 Hz
 * camera on 10 Hz ticks has its nearest frame exactly half a period away on every other tick, so a
 * warm-up that measured the rate a hair fast would exclude it (replay measures over the whole file).
 */
export function warmupRate(count: number, spanSec: number, role: string | null): number | null {
  if (count < 5 || !(spanSec > 0)) return null;
  const rate = (0.98 * (count - 1)) / spanSec;
  const nominal = isSensorKind(role) ? NOMINAL_RATE_HZ[role] : undefined;
  if (nominal !== undefined && (rate < nominal / 2 || rate > nominal * 2)) return null;
  return rate;
}

/** What a raw message's topic is: its schema classified, then the topic mapping applied. */
export function identifyMessage(message: SensorMessage, mapping: TopicMapping): TopicIdentity {
  const resolved = resolveSensor(message.topic, classifyTopic(message, VENDOR_CLASSIFY), mapping);
  const identity: TopicIdentity = {
    // A PointCloud2's fields may say radar; the decode stage asks the same of the topic's first message.
    sensor: roleFromContent(message, mapping) ?? resolved.role,
    sensorId: resolved.sensorId,
    supported: resolved.supported && !resolved.ignored,
  };
  if (resolved.ignored) identity.reason = "ignored by the topic mapping";
  else if (resolved.reason !== undefined) identity.reason = resolved.reason;
  return identity;
}

/** What a decoded entry's topic is: a sensor frame names its sensor; calibration and ground truth are side channels. */
export function identifyFrame(frame: DecodedMessage): TopicIdentity {
  if (isSensorKind(frame.kind)) return { sensor: frame.kind, sensorId: (frame as { sensorId: string }).sensorId, supported: true };
  return { sensor: frame.kind === "groundTruth" ? "groundTruth" : "calibration", sensorId: "", supported: true };
}

/** The catalogue `planPipeline` wants, from the topics a live input declared and delivered during the warm-up. */
export function catalogueFromTopics(topics: ReadonlyMap<string, TopicSeen>, mapping: TopicMapping): TopicCatalogue {
  const list: CatalogueTopic[] = [];
  for (const [topic, t] of topics) {
    const identity = t.known ?? (t.first ? identifyMessage(t.first, mapping) : undefined);
    if (!identity) continue;
    const spanSec = Number(t.lastLog - t.firstLog) / 1e9;
    list.push({ topic, ...identity, rateHz: warmupRate(t.count, spanSec, identity.sensor) });
  }
  return { topics: list };
}

/** Rough bytes a data event holds (messages: their data; frames: their sample buffers). */
function bytesOf(e: LiveDataEvent): number {
  if (e.type === "message") return e.message.data.byteLength;
  const f = e.frame;
  if (f.kind === "lidar") return f.points.byteLength + (f.ring?.byteLength ?? 0);
  if (f.kind === "camera") return f.data.byteLength;
  if (f.kind === "audio") return f.samples.byteLength;
  if (f.kind === "radar") return 128 * (f.detections.length + f.objects.length);
  return 0;
}

/**
 * The warm-up: counts each topic's data (count, first and last source time) for the plan, and keeps
 * the data itself (at most `maxBytes`, oldest dropped and counted) to feed the pipeline once it starts.
 */
export function createWarmup(declared: readonly CatalogueTopic[], maxBytes: number) {
  const topics = new Map<string, TopicSeen>();
  // Topics the input knows before any data (UDP sensors): planned even if silent in the warm-up.
  for (const d of declared)
    topics.set(d.topic, { known: { sensor: d.sensor, sensorId: d.sensorId, supported: d.supported }, count: 0, firstLog: 0n, lastLog: 0n });
  let kept: LiveDataEvent[] = [];
  let bytes = 0;
  let dropped = 0;
  return {
    topics: topics as ReadonlyMap<string, TopicSeen>,
    dropped: () => dropped,
    add(e: LiveDataEvent): void {
      const topic = topicOfEvent(e);
      const at = sourceTimeOfEvent(e);
      const t = topics.get(topic);
      if (t && t.count > 0) {
        t.count++;
        if (at < t.firstLog) t.firstLog = at;
        if (at > t.lastLog) t.lastLog = at;
      } else {
        const seen: TopicSeen = { ...t, count: 1, firstLog: at, lastLog: at };
        if (e.type === "message") seen.first = e.message;
        else seen.known ??= identifyFrame(e.frame);
        topics.set(topic, seen);
      }
      kept.push(e);
      bytes += bytesOf(e);
      while (bytes > maxBytes && kept.length > 1) {
        bytes -= bytesOf(kept.shift()!);
        dropped++;
      }
    },
    /** The kept data, in arrival order; the warm-up holds none after. */
    take(): LiveDataEvent[] {
      const out = kept;
      kept = [];
      bytes = 0;
      return out;
    },
  };
}

export type Warmup = ReturnType<typeof createWarmup>;

/** The plan from the warm-up's catalogue, and topic → sensor id of its sensor topics. */
export type WarmupPlan = { plan: PipelinePlan; topicSensor: Map<string, string> };

/**
 * Plans the pipeline from what the warm-up saw, as `replay` plans from a recording. Bad input
 * (no sensor avfusion can decode, a config that does not fit) is one `BadInputError` naming the
 * input (`live <input>: ...`).
 */
export function planFromWarmup(
  inputName: string,
  topics: ReadonlyMap<string, TopicSeen>,
  mapping: TopicMapping,
  options: { tickHz?: number | undefined; config?: AvfusionConfig | undefined },
): WarmupPlan {
  const where = `live ${inputName}`;
  const catalogue = catalogueFromTopics(topics, mapping);
  let plan: PipelinePlan;
  try {
    plan = planPipeline(
      { ...catalogue, file: where },
      {
        ...(options.tickHz !== undefined ? { tickHz: options.tickHz } : {}),
        ...(options.config ? { config: options.config } : {}),
      },
    );
  } catch (err) {
    if (isBadInput(err) && err.where === where) throw err;
    throw new BadInputError({ where, what: (err as Error).message.split("\n")[0]!, ...(isBadInput(err) ? { code: err.code } : {}) });
  }
  const topicSensor = new Map<string, string>();
  for (const t of catalogue.topics) if (t.supported && isSensorKind(t.sensor)) topicSensor.set(t.topic, t.sensorId);
  return { plan, topicSensor };
}
