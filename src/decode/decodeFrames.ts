import { mergeMap, type Observable, type OperatorFunction } from "rxjs";
import type { DecodedMessage, SensorMessage } from "../types";
import { createDecoder, type DecodeStats, type DecoderOptions } from "./createDecoder";

export type DecodeFramesOptions = DecoderOptions & {
  /** Called with each one-line error (bad bytes, wrong sizes, ...); the message is skipped. */
  onError?: (error: string, msg: SensorMessage) => void;
  /** Called once per topic the first time it is skipped (unsupported schema, ignored). */
  onSkippedTopic?: (topic: string, reason: string) => void;
  /** Instrumentation: called after each message with the wall time its decode took (ms); unset = not timed. */
  onTiming?: (ms: number, msg: SensorMessage) => void;
};

export type DecodeFramesOperator = OperatorFunction<SensorMessage, DecodedMessage> & {
  /** Live counters of every subscription made through this operator. */
  readonly stats: DecodeStats;
};

/**
 * Decode stage: `SensorMessage` → `DecodedMessage` (frames, calibration, ground truth).
 * Synchronous and never fatal: bad messages are counted in `stats` and skipped; a message holding
 * several transforms emits several items.
 */
export function decodeFrames(options: DecodeFramesOptions = {}): DecodeFramesOperator {
  const decoder = createDecoder(options);
  const reported = new Set<string>();
  const onTiming = options.onTiming;
  const operator = (source: Observable<SensorMessage>): Observable<DecodedMessage> =>
    source.pipe(
      mergeMap((msg) => {
        const started = onTiming ? performance.now() : 0;
        const result = decoder.decode(msg);
        if (onTiming) onTiming(performance.now() - started, msg);
        if ("messages" in result) return result.messages;
        if ("error" in result) options.onError?.(result.error, msg);
        else if (!reported.has(msg.topic)) {
          reported.add(msg.topic);
          options.onSkippedTopic?.(msg.topic, result.skipped);
        }
        return [];
      }),
    );
  return Object.assign(operator, { stats: decoder.stats });
}
