import type { DecompressHandlers } from "@mcap/core";
import * as zstd from "@foxglove/wasm-zstd";
import { loadDecompressHandlers } from "@mcap/support";
import { lz4Decompress } from "./lz4Frame";

let handlers: Promise<DecompressHandlers> | undefined;

/**
 * zstd, lz4 and bz2 chunk decompressors (WebAssembly, loaded once per process). Each writes into
 * one buffer of the size the chunk declares and fails when the frame would produce more, so a
 * chunk costs what it declares (checked against the record cap before the call, recordLimits.ts).
 * Uncompressed chunks need no handler.
 *
 * zstd is called directly: @mcap/support's handler copies the output once more, a third chunk-sized
 * buffer at the peak. lz4 is @mcap/support's WebAssembly decoder until it first fails: it never
 * resets its one decompression context, so after one bad frame every later lz4 chunk in the
 * process would fail; from then on (and for the reason of that failure) lz4Frame.ts decodes.
 */
export function decompressHandlers(): Promise<DecompressHandlers> {
  handlers ??= load();
  return handlers;
}

async function load(): Promise<DecompressHandlers> {
  const base = await loadDecompressHandlers();
  await zstd.isLoaded;
  let wasmLz4 = true;
  return {
    ...base,
    zstd: (buffer, size) => {
      // A plain view, not the Buffer: Buffer's slice() is a view, and callers copy with slice().
      let out;
      try {
        out = zstd.decompress(buffer, Number(size));
      } catch (err) {
        // The decoder writes into a buffer of the declared size: a frame that holds more (or is
        // damaged) fails here; say which size was expected, the decoder's own words after it.
        throw new Error(`zstd frame does not decompress to the ${size} bytes declared (${(err as Error).message})`);
      }
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    },
    lz4: (buffer, size) => {
      if (wasmLz4) {
        try {
          return base.lz4(buffer, size);
        } catch {
          wasmLz4 = false;
        }
      }
      return lz4Decompress(buffer, Number(size));
    },
  };
}
