import sharp from "sharp";
import type { CameraFrame } from "../../types";
import { describeFrame } from "../common/types";
import { BadInputError } from "../../types/errors";

/**
 * JPEG/PNG camera frame → rgb8 frame (sharp, asynchronous), so that `encode` stays synchronous;
 * raw frames pass through unchanged. A corrupt image is a one-line BadInputError.
 */
export async function decodeCameraFrame(frame: CameraFrame): Promise<CameraFrame> {
  if (frame.format !== "jpeg" && frame.format !== "png") return frame;
  try {
    const { data, info } = await sharp(frame.data).removeAlpha().toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
    return {
      ...frame,
      format: "rgb8",
      width: info.width,
      height: info.height,
      step: info.width * 3,
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    };
  } catch (err) {
    const msg = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new BadInputError({ where: describeFrame(frame), what: `cannot decode ${frame.format} (${frame.data.length} bytes): ${msg}` });
  }
}
