import * as zstd from "@foxglove/wasm-zstd";

/**
 * A McapWriter `compressChunk` that writes zstd chunks (for generated recordings). Await
 * `zstdReady` once before the first call.
 */
export const zstdReady: Promise<boolean> = zstd.isLoaded;

export function zstdCompressChunk(level = 1): (data: Uint8Array) => { compression: string; compressedData: Uint8Array } {
  return (data) => ({ compression: "zstd", compressedData: new Uint8Array(zstd.compress(data, level)) });
}
