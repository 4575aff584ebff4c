import type { DecompressHandlers } from "@mcap/core";
import { loadDecompressHandlers } from "@mcap/support";

/**
 * zstd, lz4 and bz2 chunk decompressors (WebAssembly, loaded once per process by @mcap/support).
 * Uncompressed chunks need no handler.
 */
export function decompressHandlers(): Promise<DecompressHandlers> {
  return loadDecompressHandlers();
}
