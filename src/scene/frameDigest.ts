import type { SensorFrame } from "../types";

/** Bytes sampled per frame at most; a 6 MB raw image is then read at a stride of ~92. */
const MAX_SAMPLED_BYTES = 65_536;

/**
 * A 32-bit FNV-1a digest of a frame's payload, used to spot a frozen sensor (a camera that keeps
 * sending the same picture with new stamps). Large payloads are sampled at an even stride so the
 * cost stays bounded; real sensor noise changes practically every sample, so two live frames
 * practically never share a digest, while a repeated buffer always does. Undefined for kinds whose
 * payload legitimately repeats (radar with no targets, silent audio).
 */
export function frameDigest(frame: SensorFrame): number | undefined {
  switch (frame.kind) {
    case "camera":
      return digestBytes(frame.data, frame.width * 65_537 + frame.height);
    case "lidar":
      return digestBytes(new Uint8Array(frame.points.buffer, frame.points.byteOffset, frame.points.byteLength), frame.count);
    default:
      return undefined;
  }
}

export function digestBytes(bytes: Uint8Array, seed = 0): number {
  let h = (0x811c9dc5 ^ (seed >>> 0) ^ bytes.length) >>> 0;
  const stride = Math.max(1, Math.ceil(bytes.length / MAX_SAMPLED_BYTES));
  for (let i = 0; i < bytes.length; i += stride) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
