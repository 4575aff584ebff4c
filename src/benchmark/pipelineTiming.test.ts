import * as path from "path";
import { concatMap, lastValueFrom, Observable, take, toArray } from "rxjs";
import { VENDOR_CLASSIFY } from "../decode/vendorDecoders";
import { createScenePipelineFromFeed, planPipeline, type MessageFeed } from "../pipeline";
import { nodeModelFiles } from "../runtime/nodeModelFiles";
import { selectBackend } from "../runtime/selectBackend";
import { FileReadable } from "../sources/mcap/FileReadable";
import { inspectRecording } from "../sources/mcap/inspectRecording";
import { createDiagnostics, readRecording } from "../sources/mcap/readRecording";
import type { SensorMessage } from "../types";

// The instrumentation the bench reads from the pipeline (decode timing, onAligned, tick timing),
// and the lossless back-pressure it relies on, on the shipped 6 s recording with the shipped models.
const DEFAULT = path.resolve(__dirname, "../../recordings/default.mcap");
const ROOT = path.resolve(__dirname, "../..");

describe("pipeline instrumentation for the bench", () => {
  it("times every decode, stamps each tick's way through the stages, and bounds the ticks waiting in lossless mode", async () => {
    await selectBackend({ log: () => undefined }); // wasm here; tfjs's default (pure JS) is ~30× slower
    const source = await FileReadable.open(DEFAULT);
    try {
      const inspection = await inspectRecording(source, { classify: VENDOR_CLASSIFY });
      const plan = planPipeline(inspection);
      const messages = await lastValueFrom(readRecording(source).pipe(toArray()));
      let delivered = 0;
      let aligned = 0;
      let finished = 0;
      let mostWaiting = 0;
      // Lossless feed in batches of 5 messages, pausing while the pipeline says it is full.
      const feed: MessageFeed = {
        mode: "lossless",
        readDiagnostics: createDiagnostics("memory"),
        messages: (waitForRoom) =>
          new Observable<SensorMessage>((subscriber) => {
            void (async () => {
              for (let i = 0; i < messages.length; i += 5) {
                for (const m of messages.slice(i, i + 5)) {
                  delivered++;
                  subscriber.next(m);
                }
                await waitForRoom();
              }
              subscriber.complete();
            })();
          }),
      };
      const timings: number[] = [];
      const run = createScenePipelineFromFeed(feed, plan, {
        models: { files: nodeModelFiles(ROOT), dir: "models" },
        maxTicksInFlight: 1,
        decode: { onTiming: (ms) => timings.push(ms) },
        onAligned: () => {
          aligned++;
          mostWaiting = Math.max(mostWaiting, aligned - finished);
        },
      });
      try {
        const ticks = await lastValueFrom(
          run.ticks.pipe(
            concatMap(async (t) => {
              finished++;
              return t;
            }),
            toArray(),
          ),
        );
        expect(ticks.length).toBe(aligned);
        expect(ticks.length).toBeGreaterThan(50);
        // Every message is decoded and timed, except ground truth: nobody listens for it here.
        const groundTruth = messages.filter((m) => m.schemaName === "avfusion.GroundTruth").length;
        expect(groundTruth).toBeGreaterThan(0);
        expect(delivered).toBe(messages.length);
        expect(timings).toHaveLength(delivered - groundTruth);
        expect(timings.every((ms) => ms >= 0 && Number.isFinite(ms))).toBe(true);
        for (const { timing, scene } of ticks) {
          expect(timing).toBeDefined();
          expect(timing!.alignedMs).toBeLessThanOrEqual(timing!.encodeStartMs);
          expect(timing!.encodeStartMs).toBeLessThanOrEqual(timing!.encodeEndMs);
          expect(timing!.encodeEndMs).toBeLessThanOrEqual(timing!.sceneMs);
          // The encoders' own timing is inside the wall span the pipeline stamped.
          expect(scene.latencyMs.encode!).toBeLessThanOrEqual(timing!.encodeEndMs - timing!.encodeStartMs + 0.01);
        }
        // At most 1 tick in flight: the feed waits, so a batch of 5 messages (under a tick's worth)
        // adds at most 2 bundles. Counting only the running tick let all 60 pile up.
        expect(mostWaiting).toBeLessThanOrEqual(4);
      } finally {
        await run.dispose();
      }
    } finally {
      await source.close();
    }
  });

  it("lets a lossless feed that waits for room go when the output is unsubscribed (the waiting ticks never settle)", async () => {
    await selectBackend({ log: () => undefined });
    const source = await FileReadable.open(DEFAULT);
    try {
      const plan = planPipeline(await inspectRecording(source, { classify: VENDOR_CLASSIFY }));
      const messages = await lastValueFrom(readRecording(source).pipe(toArray()));
      let released: (() => void) | undefined;
      const feedEnded = new Promise<void>((r) => (released = r));
      let waits = 0;
      const feed: MessageFeed = {
        mode: "lossless",
        readDiagnostics: createDiagnostics("memory"),
        messages: (waitForRoom) =>
          new Observable<SensorMessage>((subscriber) => {
            let stopped = false;
            void (async () => {
              // Batches of 60 messages (about a second: several ticks each), as the recording reader
              // delivers chunks: several ticks queue behind the running one before the feed waits.
              for (let i = 0; i < messages.length && !stopped; i += 60) {
                for (const m of messages.slice(i, i + 60)) subscriber.next(m);
                waits++;
                await waitForRoom();
              }
              released!();
            })();
            return () => {
              stopped = true;
            };
          }),
      };
      const run = createScenePipelineFromFeed(feed, plan, { models: { files: nodeModelFiles(ROOT), dir: "models" }, maxTicksInFlight: 1 });
      try {
        const first = await lastValueFrom(run.ticks.pipe(take(2), toArray()));
        expect(first).toHaveLength(2);
        await feedEnded; // hangs (test timeout) if the feed stays parked in waitForRoom
        expect(waits).toBeLessThan(Math.ceil(messages.length / 60));
      } finally {
        await run.dispose();
      }
    } finally {
      await source.close();
    }
  });
});
