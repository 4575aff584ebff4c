/**
 * An LZ4 frame decoder that writes into one buffer of the size the chunk declares and fails the
 * moment the frame would write more, so a chunk costs what it declares and nothing else.
 *
 * Why not @foxglove/wasm-lz4 (what @mcap/support uses): it keeps one decompression context for
 * the whole process and never resets it, so after one frame fails (a bomb, a lying chunk) every
 * later lz4 chunk in the process fails too; and its WebAssembly heap grows to the largest chunk
 * ever read and never shrinks. Checksums are not verified: the chunk's own CRC covers the bytes.
 */

const FRAME_MAGIC = 0x184d2204;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

function u32(b: Uint8Array, at: number): number {
  if (at + 4 > b.byteLength) throw new Error(`lz4 frame ends at byte ${b.byteLength}, expected 4 more bytes at ${at}`);
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

function tooMuch(size: number): Error {
  return new Error(`lz4 frame decompresses to more than the ${size} bytes declared`);
}

/** One compressed block `src[p, end)` into `out` at `o`; returns the new output position. */
function decodeBlock(src: Uint8Array, p: number, end: number, out: Uint8Array, o: number): number {
  const cap = out.byteLength;
  while (p < end) {
    const token = src[p++];
    let literals = token >>> 4;
    if (literals === 15) {
      let b = 255;
      while (b === 255 && p < end) literals += b = src[p++];
    }
    if (p + literals > end) throw new Error("lz4 block: literals run past the end of the block");
    if (o + literals > cap) throw tooMuch(cap);
    if (literals < 32) for (let i = 0; i < literals; i++) out[o++] = src[p++];
    else {
      out.set(src.subarray(p, p + literals), o);
      p += literals;
      o += literals;
    }
    if (p >= end) break; // the last sequence holds literals only
    if (p + 2 > end) throw new Error("lz4 block: match offset past the end of the block");
    const offset = src[p] | (src[p + 1] << 8);
    p += 2;
    if (offset === 0 || offset > o) throw new Error(`lz4 block: match offset ${offset} before the start of the output`);
    let length = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b = 255;
      while (b === 255 && p < end) length += b = src[p++];
    }
    if (o + length > cap) throw tooMuch(cap);
    if (length < 32) {
      // Short matches (most of them): a byte loop beats the calls below and handles overlap.
      for (let i = 0; i < length; i++, o++) out[o] = out[o - offset];
      continue;
    }
    // An overlapping match repeats the last `offset` bytes: copying from a fixed start, each run
    // reads only bytes already written and doubles the next one (1 GiB of zeros is 30 copies).
    const from = o - offset;
    while (length > 0) {
      const run = Math.min(length, o - from);
      out.copyWithin(o, from, from + run);
      o += run;
      length -= run;
    }
  }
  return o;
}

/** The frame descriptor at `p`: where the blocks start and which optional checksums follow. */
function descriptor(src: Uint8Array, p: number, size: number): { blocks: number; blockSum: boolean; contentSum: boolean } {
  if (p + 7 > src.byteLength) throw new Error("lz4 frame ends inside its descriptor");
  const flg = src[p + 4];
  if (flg >>> 6 !== 1) throw new Error(`lz4 frame version ${flg >>> 6}, expected 1`);
  if (flg & 0x01) throw new Error("lz4 frame needs a dictionary, expected none");
  let q = p + 6;
  if (flg & 0x08) {
    const declared = u32(src, q) + u32(src, q + 4) * 0x1_0000_0000;
    if (declared > size) throw new Error(`lz4 frame declares ${declared} bytes, expected at most ${size}`);
    q += 8;
  }
  return { blocks: q + 1 /* header checksum */, blockSum: (flg & 0x10) !== 0, contentSum: (flg & 0x04) !== 0 };
}

/** Decompresses one or more concatenated LZ4 frames into exactly `size` bytes, or throws. */
export function lz4Decompress(src: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let o = 0;
  let p = 0;
  while (p < src.byteLength) {
    const magic = u32(src, p);
    if ((magic & SKIPPABLE_MASK) === SKIPPABLE_MAGIC) {
      p += 8 + u32(src, p + 4);
      continue;
    }
    if (magic !== FRAME_MAGIC) throw new Error(`lz4 frame magic 0x${magic.toString(16)}, expected 0x${FRAME_MAGIC.toString(16)}`);
    const d = descriptor(src, p, size);
    p = d.blocks;
    for (;;) {
      const word = u32(src, p);
      p += 4;
      if (word === 0) break;
      const n = word & 0x7fffffff;
      if (p + n > src.byteLength) throw new Error(`lz4 block of ${n} bytes runs past the end of the frame`);
      if (word & 0x80000000) {
        if (o + n > size) throw tooMuch(size);
        out.set(src.subarray(p, p + n), o);
        o += n;
      } else {
        o = decodeBlock(src, p, p + n, out, o);
      }
      p += n + (d.blockSum ? 4 : 0);
    }
    if (d.contentSum) p += 4;
  }
  if (o !== size) throw new Error(`lz4 frame holds ${o} bytes, expected ${size}`);
  return out;
}
