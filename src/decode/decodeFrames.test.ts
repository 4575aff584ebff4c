import { from, lastValueFrom, toArray } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import type { SensorMessage } from "../types";
import { decodeFrames } from "./decodeFrames";
import { JPEG_BYTES, pbStamp, protoMessage } from "./testing/messages";

const tf = (child: string) => ({ parent_frame_id: "base", child_frame_id: child, rotation: { w: 1 } });

describe("decodeFrames", () => {
  it("decodes, flattens multi-transform messages, counts and skips bad ones without erroring", async () => {
    const errors: string[] = [];
    const skippedTopics: string[] = [];
    const op = decodeFrames({ onError: (e) => errors.push(e), onSkippedTopic: (t, reason) => skippedTopics.push(`${t}: ${reason}`) });
    const good = protoMessage("/cam/image", "foxglove.CompressedImage", { timestamp: pbStamp(5n), format: "jpeg", data: JPEG_BYTES }, 10n);
    const bad: SensorMessage = { ...good, logTime: 11n, data: new Uint8Array([0xff, 0xff, 0xff]) };
    const tfs = protoMessage("/tf", "foxglove.FrameTransforms", { transforms: [tf("a"), tf("b")] }, 12n);
    const unknown: SensorMessage = { ...good, topic: "/log", schemaName: "foxglove.Log", channelId: 900 };
    const out = await lastValueFrom(from([good, bad, unknown, tfs, unknown, good]).pipe(op, toArray()));
    expect(out.map((m) => m.kind)).toEqual(["camera", "transform", "transform", "camera"]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^\/cam\/image @ 11: 3 bytes do not decode as protobuf foxglove\.CompressedImage/);
    expect(skippedTopics).toEqual(["/log: unsupported schema foxglove.Log"]);
    expect(op.stats).toMatchObject({ decoded: 3, errors: 1, skipped: 2 });
    expect(op.stats.byTopic.get("/cam/image")).toMatchObject({ decoded: 2, errors: 1 });
  });

  it("keeps timing: frames come out when their messages go in (marble)", () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    const a = protoMessage("/cam/image", "foxglove.CompressedImage", { format: "jpeg", data: JPEG_BYTES }, 1n);
    const bad: SensorMessage = { ...a, logTime: 2n, data: new Uint8Array([0xff]) };
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold("  a-b-a-|", { a, b: bad });
      const expected = "     a---a-|";
      const result = source.pipe(decodeFrames());
      expectObservable(result).toBe(expected, {
        a: expect.objectContaining({ kind: "camera", topic: "/cam/image", stamp: 1n }),
      });
    });
  });
});
