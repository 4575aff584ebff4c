import { Observable } from "rxjs";
import { createDiagnostics, readMessageBatches, readRecording } from "../sources/mcap/readRecording";
import type { RecordingReadable } from "../sources/mcap/types";
import type { SensorMessage } from "../types";
import type { MessageFeed, PipelineOptions } from "./types";

/**
 * A recording as the scene pipeline's feed. Lossless: batches are pulled from the reader, and
 * after each batch the reader waits until the pipeline has room. Real time: the reader's own
 * pacing, never waiting for the pipeline.
 */
export function recordingFeed(source: RecordingReadable, read: PipelineOptions["read"] = {}): MessageFeed {
  const readDiagnostics = createDiagnostics(source.name);
  const options = { ...read, diagnostics: readDiagnostics };
  if ((read.pacing ?? { mode: "lossless" }).mode !== "lossless") {
    return { mode: "latest", readDiagnostics, messages: () => readRecording(source, options) };
  }
  const messages = (waitForRoom: () => Promise<void>): Observable<SensorMessage> =>
    new Observable<SensorMessage>((subscriber) => {
      let stopped = false;
      (async () => {
        for await (const batch of readMessageBatches(source, options)) {
          for (const m of batch) {
            if (stopped) return;
            readDiagnostics.messagesDelivered++;
            subscriber.next(m);
          }
          await waitForRoom();
          if (stopped) return;
        }
        subscriber.complete();
      })().catch((err: unknown) => subscriber.error(err));
      return () => {
        stopped = true;
      };
    });
  return { mode: "lossless", readDiagnostics, messages };
}
