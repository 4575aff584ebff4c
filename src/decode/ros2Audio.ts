import { AUDIO_SAMPLE_FORMATS, type AudioSampleFormat, type AudioTopicFormat } from "../config/topicMapping";
import type { AudioFrame } from "../types";
import { BadInputError } from "../types/errors";
import { asFields, bytesField, type DecodeContext, type Fields, type RosHeader, strField, uintField } from "./common";

/*
 * audio_common_msgs (ros-drivers/audio_common, ROS 2): AudioData is bare bytes (`uint8[] data`),
 * AudioDataStamped the same with a header, AudioInfo the format (channels, sample_rate,
 * sample_format, coding_format) that audio_capture publishes once, latched, on `audio_info` next
 * to `audio`. The PCM layout of an AudioData topic is, in this order: the config's
 * `topics.<topic>.audio`, else the latest AudioInfo of the same namespace (`/mic/audio` ↔
 * `/mic/audio_info`). Without either, or with a compressed coding (audio_capture's default is
 * mp3), each message is refused with one line saying so.
 */

/** What is known about a namespace's audio: its PCM layout, or why it cannot be decoded. */
export type AudioFormatEntry = AudioTopicFormat | { refused: string; expected: string };

/** Formats from AudioInfo topics, by namespace (the topic without its last segment). Shared by one decoder's channels. */
export type AudioFormats = Map<string, AudioFormatEntry>;

/** `/mic/audio` → `/mic`; `/audio` → `` (the root namespace). */
export const namespaceOf = (topic: string): string => topic.slice(0, Math.max(0, topic.lastIndexOf("/")));

/** Coding formats that are raw PCM (audio_capture: `wave`; others write none). */
const PCM_CODINGS = new Set(["", "wave", "wav", "raw", "pcm"]);

/** audio_common_msgs/msg/AudioInfo → the namespace's format (or why it is refused); no frame. */
export function audioInfo(o: Fields, ctx: DecodeContext, formats: AudioFormats): [] {
  const what = "audio_common_msgs/msg/AudioInfo";
  const coding = strField(o, "coding_format", what);
  const sampleFormat = strField(o, "sample_format", what).toUpperCase();
  const channels = uintField(o, "channels", what);
  const sampleRate = uintField(o, "sample_rate", what);
  const ns = namespaceOf(ctx.topic);
  const format = AUDIO_SAMPLE_FORMATS.find((f) => f === sampleFormat);
  if (!PCM_CODINGS.has(coding.toLowerCase())) {
    formats.set(ns, {
      refused: `${ctx.topic} says coding_format "${coding}" (compressed audio)`,
      expected: "coding_format wave (raw PCM)",
    });
  } else if (format === undefined) {
    formats.set(ns, {
      refused: `${ctx.topic} says sample_format "${sampleFormat}"`,
      expected: `one of ${AUDIO_SAMPLE_FORMATS.join(", ")}`,
    });
  } else if (channels === 0 || sampleRate === 0) {
    formats.set(ns, { refused: `${ctx.topic} says ${channels} channels at ${sampleRate} Hz`, expected: "≥ 1 channel and a rate > 0" });
  } else {
    formats.set(ns, { sampleRate, channels, format });
  }
  return [];
}

const BYTES: Readonly<Record<AudioSampleFormat, number>> = { S16LE: 2, S16BE: 2, U8: 1, S8: 1, S32LE: 4, S32BE: 4, F32LE: 4, F32BE: 4 };

/** One sample as signed 16-bit, by layout (wider samples keep their top 16 bits, floats are scaled and clipped). */
function sampleReader(view: DataView, format: AudioSampleFormat): (offset: number) => number {
  switch (format) {
    case "S16LE":
    case "S16BE":
      return (o) => view.getInt16(o, format === "S16LE");
    case "U8":
      return (o) => (view.getUint8(o) - 128) << 8;
    case "S8":
      return (o) => view.getInt8(o) << 8;
    case "S32LE":
    case "S32BE":
      return (o) => view.getInt32(o, format === "S32LE") >> 16;
    case "F32LE":
    case "F32BE":
      return (o) => {
        const v = view.getFloat32(o, format === "F32LE");
        return Number.isFinite(v) ? Math.round(Math.max(-1, Math.min(1, v)) * 32767) : 0;
      };
  }
}

/**
 * audio_capture with `wave` coding sends the stream's RIFF header in its first chunk: skip to the
 * `data` chunk's payload (the header's own format is not read: the layout comes from AudioInfo).
 */
function withoutWavHeader(data: Uint8Array): Uint8Array {
  const tag = (at: number): string => String.fromCharCode(...data.subarray(at, at + 4));
  if (data.length < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") return data;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let at = 12; at + 8 <= data.length; at += 8 + view.getUint32(at + 4, true)) {
    if (tag(at) === "data") return data.subarray(at + 8);
  }
  return new Uint8Array(0);
}

/** Where an AudioData channel's layout comes from: the config's, or the decoder's AudioInfo table. */
export type AudioChannel = { formats: AudioFormats; configured?: AudioTopicFormat | undefined };

function formatFor(channel: AudioChannel, ctx: DecodeContext, what: string): AudioTopicFormat {
  const f = channel.configured ?? channel.formats.get(namespaceOf(ctx.topic));
  const infoTopic = `${namespaceOf(ctx.topic)}/audio_info`;
  if (f === undefined)
    throw new BadInputError({
      where: what,
      what: `no sample rate, channels or sample format: no AudioInfo on ${infoTopic} yet and no topics.${ctx.topic}.audio in the config`,
      expected: `an AudioInfo on ${infoTopic} or topics.${ctx.topic}.audio: { sampleRate, channels, format }`,
    });
  if ("refused" in f)
    throw new BadInputError({ where: what, what: f.refused, expected: `${f.expected}, or topics.${ctx.topic}.audio in the config` });
  return f;
}

/** audio_common_msgs AudioData (stamp: the log time) or AudioDataStamped (its header) → an AudioFrame of 16-bit PCM. */
export function audioData(o: Fields, ctx: DecodeContext, channel: AudioChannel, h: RosHeader | undefined): AudioFrame {
  const what = h ? "audio_common_msgs/msg/AudioDataStamped" : "audio_common_msgs/msg/AudioData";
  const body = h ? (o.audio == null ? {} : asFields(o.audio, `${what}.audio`)) : o;
  const f = formatFor(channel, ctx, what);
  const data = withoutWavHeader(bytesField(body, "data", what));
  const frameBytes = BYTES[f.format] * f.channels;
  if (data.length % frameBytes !== 0)
    throw new BadInputError({
      where: what,
      what: `data is ${data.length} bytes`,
      expected: `a multiple of ${BYTES[f.format]} bytes (${f.format}) × ${f.channels} channels`,
    });
  const read = sampleReader(new DataView(data.buffer, data.byteOffset, data.byteLength), f.format);
  const samples = new Int16Array(data.length / BYTES[f.format]);
  for (let i = 0; i < samples.length; i++) samples[i] = read(i * BYTES[f.format]);
  return {
    kind: "audio",
    sensorId: ctx.sensorId,
    topic: ctx.topic,
    frameId: h?.frameId ?? "",
    stamp: h?.stamp ?? ctx.logTime,
    receivedAt: ctx.logTime,
    sampleRate: f.sampleRate,
    channels: f.channels,
    samples,
  };
}
