import type { IWritable } from "@mcap/core";

/** Collects what McapWriter writes, for building recordings in memory (tests, generators). */
export class MemoryWritable implements IWritable {
  private parts: Uint8Array[] = [];
  private length = 0;

  async write(buffer: Uint8Array): Promise<void> {
    // McapWriter may reuse its buffer after write() resolves, so keep a copy.
    this.parts.push(buffer.slice());
    this.length += buffer.byteLength;
  }

  position(): bigint {
    return BigInt(this.length);
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    return out;
  }
}
