import type { SensorMessage } from "../../types";
import type { MessageParser } from "./MessageParser";

/**
 * Messages per batch out of one chunk. A chunk within the record cap can still hold millions of
 * tiny messages (256 MiB of 31-byte records is 8.7 million), and each one as an object costs
 * about ten times its record: handed out in slices, only one slice of objects is alive at a time.
 */
export const CHUNK_BATCH = 4096;

function viewOf(records: Uint8Array): DataView {
  return new DataView(records.buffer, records.byteOffset, records.byteLength);
}

/** A decompressed chunk's messages in file order, CHUNK_BATCH at a time. */
export function* chunkInFileOrder(parser: MessageParser, records: Uint8Array, fileOffset: number): Generator<SensorMessage[], void, void> {
  const view = viewOf(records);
  for (let pos = 0; pos < records.byteLength;) {
    const out: SensorMessage[] = [];
    pos = parser.walkChunk(records, view, fileOffset, pos, (at) => out.push(parser.messageAt(records, view, at)) >= CHUNK_BATCH);
    if (out.length > 0) yield out;
  }
}

/**
 * The same in log-time order (equal times keep file order), for indexed reads. The chunk is walked
 * once in file order (schemas, channels, counts, filters) keeping only where each delivered
 * message starts and its log time, 12 bytes a message; the messages are then built in order, a
 * slice at a time. Sorted only when the chunk is not in order already (the usual case).
 */
export function* chunkInTimeOrder(parser: MessageParser, records: Uint8Array, fileOffset: number): Generator<SensorMessage[], void, void> {
  const view = viewOf(records);
  let starts = new Uint32Array(1024);
  let times = new BigUint64Array(1024);
  let n = 0;
  let sorted = true;
  parser.walkChunk(records, view, fileOffset, 0, (at) => {
    if (n === starts.length) {
      starts = grow(starts, new Uint32Array(n * 2));
      times = grow(times, new BigUint64Array(n * 2));
    }
    starts[n] = at;
    times[n] = view.getBigUint64(at + 9 + 6, true);
    if (n > 0 && times[n] < times[n - 1]) sorted = false;
    n++;
    return false;
  });
  let order: Uint32Array | undefined;
  if (!sorted) {
    order = new Uint32Array(n).map((_, i) => i);
    order.sort((a, b) => (times[a] < times[b] ? -1 : times[a] > times[b] ? 1 : a - b));
  }
  for (let i = 0; i < n; i += CHUNK_BATCH) {
    const out: SensorMessage[] = [];
    for (let j = i; j < Math.min(n, i + CHUNK_BATCH); j++) out.push(parser.messageAt(records, view, starts[order ? order[j] : j]));
    yield out;
  }
}

function grow<T extends Uint32Array | BigUint64Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}
