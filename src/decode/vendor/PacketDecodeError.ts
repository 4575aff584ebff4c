/**
 * A vendor packet (or the message that carries it) is malformed: wrong size, unknown id, a count
 * beyond what the packet can hold. Callers count and skip these; anything else thrown by a decoder
 * is a bug. The message is one line naming what was decoded, where, and what was expected.
 */
export class PacketDecodeError extends Error {
  override name = "PacketDecodeError";
  constructor(
    message: string,
    /** Byte offset in the packet where the problem was found (0 for size mismatches). */
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Throw a PacketDecodeError unless `bytes` has exactly one of `sizes` bytes. */
export function expectSize(what: string, bytes: Uint8Array, sizes: readonly number[]): void {
  if (!sizes.includes(bytes.byteLength)) {
    const expected = sizes.length === 1 ? `${sizes[0]}` : `one of ${sizes.join(", ")}`;
    throw new PacketDecodeError(
      `${what}: packet is ${bytes.byteLength} bytes, expected ${expected} bytes`,
      Math.min(bytes.byteLength, ...sizes),
    );
  }
}
