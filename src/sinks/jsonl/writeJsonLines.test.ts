import { Writable } from "stream";
import { from, lastValueFrom, Observable, toArray } from "rxjs";
import { toSceneJson } from "../sceneJson";
import { fullSceneState } from "../../scene/testing/fullSceneState";
import { writeSceneJsonLines } from "./index";
import { JsonLinesSink } from "./JsonLinesSink";
import { writeJsonLines } from "./writeJsonLines";

/** A writable that takes each chunk a few event-loop turns later, with a tiny buffer; records violations of backpressure. */
class SlowWritable extends Writable {
  readonly chunks: string[] = [];
  writesWhileFull = 0;
  constructor(
    private readonly delayTurns = 2,
    highWaterMark = 64,
  ) {
    super({ highWaterMark, decodeStrings: false });
  }
  override write(chunk: unknown, ...rest: unknown[]): boolean {
    if (this.writableNeedDrain) this.writesWhileFull++;
    return (super.write as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest);
  }
  override _write(chunk: string, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    let turns = this.delayTurns;
    const later = (): void => {
      if (turns-- > 0) setImmediate(later);
      else {
        this.chunks.push(chunk);
        done();
      }
    };
    later();
  }
}

/** Never finishes a write: after the first chunk it is full for good. */
class StuckWritable extends Writable {
  constructor() {
    super({ highWaterMark: 1, decodeStrings: false });
  }
  override _write(): void {}
}

describe("writeJsonLines", () => {
  it("writes N lines in order under backpressure, never writing while the stream is full", async () => {
    const out = new SlowWritable();
    const values = Array.from({ length: 200 }, (_, i) => ({ i, stamp: 1_000_000_000_000_000_000n + BigInt(i), text: "x".repeat(i % 7) }));
    const op = writeJsonLines<(typeof values)[number]>(out, { maxQueuedLines: 1000 });
    const echoed = await lastValueFrom(from(values).pipe(op, toArray()));
    expect(echoed).toEqual(values);
    // Completion waits for the last line to reach the writable; the slow stream then drains.
    await new Promise<void>((resolve) => (out.writableLength === 0 ? resolve() : out.once("drain", () => resolve())));
    const lines = out.chunks.join("").split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toHaveLength(200);
    expect(lines.map((l) => JSON.parse(l) as { i: number; stamp: string })).toEqual(
      values.map((v) => ({ ...v, stamp: v.stamp.toString() })),
    );
    expect(out.writesWhileFull).toBe(0);
    expect(op.stats.lines).toBe(200);
    expect(op.stats.drainWaits).toBeGreaterThan(10);
    expect(op.stats.maxQueued).toBeGreaterThan(1);
    expect(op.stats.bytes).toBe(Buffer.byteLength(out.chunks.join("")));
  });

  it("writes scene states in the JSON-lines shape and ends the writable on request", async () => {
    const out = new SlowWritable(1, 256);
    const finished = new Promise<void>((resolve) => out.on("finish", () => resolve()));
    const states = [fullSceneState(), { ...fullSceneState(), tick: 43, stamp: 1_700_000_000_223_456_789n }];
    await lastValueFrom(from(states).pipe(writeSceneJsonLines(out, { end: true }), toArray()));
    await finished;
    const lines = out.chunks.join("").trimEnd().split("\n");
    expect(lines.map((l) => JSON.parse(l))).toEqual(states.map((s) => JSON.parse(JSON.stringify(toSceneJson(s)))));
    expect((JSON.parse(lines[1]!) as { stamp: string }).stamp).toBe("1700000000223456789");
  });

  it("errors with one line when the output falls more than maxQueuedLines behind", async () => {
    const op = writeJsonLines<number>(new StuckWritable(), { maxQueuedLines: 2 });
    await expect(lastValueFrom(from([1, 2, 3, 4, 5]).pipe(op))).rejects.toThrow(
      "jsonl sink: 2 lines already wait for the output to drain (maxQueuedLines 2); the output is slower than the pipeline",
    );
  });

  it("errors with one line when the stream fails", async () => {
    const broken = new Writable({
      write(_chunk, _enc, done) {
        done(new Error("EPIPE: broken pipe"));
      },
    });
    const src = new Observable<number>((sub) => {
      sub.next(1);
      setImmediate(() => {
        sub.next(2);
        sub.complete();
      });
    });
    await expect(lastValueFrom(src.pipe(writeJsonLines<number>(broken)))).rejects.toThrow(
      "jsonl sink: output failed after 1 lines: EPIPE: broken pipe",
    );
  });
});

describe("JsonLinesSink", () => {
  it("rejects a value JSON cannot hold with the line number, and keeps going", async () => {
    const out = new SlowWritable(0, 1024);
    const sink = new JsonLinesSink<unknown>(out);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await sink.write({ a: 1n });
    await expect(sink.write(cyclic)).rejects.toThrow(/^jsonl sink: line 2: cannot serialize: /);
    await sink.write({ b: 2 });
    await sink.end();
    expect(out.chunks.join("")).toBe('{"a":"1"}\n{"b":2}\n');
    await expect(sink.write({ c: 3 })).rejects.toThrow("jsonl sink: the output is closed (after 2 lines)");
  });
});
