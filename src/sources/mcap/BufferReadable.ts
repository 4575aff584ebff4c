import type { RecordingReadable } from "./types";

/** An in-memory recording, for tests and for bytes that arrived some other way. */
export class BufferReadable implements RecordingReadable {
  constructor(
    private readonly bytes: Uint8Array,
    readonly name = "memory",
  ) {}

  async size(): Promise<bigint> {
    return BigInt(this.bytes.byteLength);
  }

  async read(offset: bigint, size: bigint): Promise<Uint8Array> {
    const start = Number(offset);
    const end = start + Number(size);
    if (offset < 0n || size < 0n || end > this.bytes.byteLength) {
      throw new RangeError(`${this.name}: read of ${size} bytes at offset ${offset} is outside the ${this.bytes.byteLength}-byte buffer`);
    }
    return this.bytes.subarray(start, end);
  }
}
