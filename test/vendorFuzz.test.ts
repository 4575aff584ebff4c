/**
 * Corrupted real recordings through the raw-packet registry: truncated CDR messages (views into
 * the larger chunk buffer, as an MCAP reader hands them out), flipped bytes and zeroed runs. The
 * decoders must never throw, every error is one line, and no frame carries a non-finite position.
 */
import { existsSync } from "fs";
import path from "path";
import { POINT_STRIDE, type SensorFrame, type SensorMessage } from "../src/types";
import { createRawPacketDecoder } from "../src/decode/vendor/rawPacketDecoders";
import { readAllMessages } from "./readAllMessages";

const DIR = path.resolve(__dirname, "../../shared/data/recordings-external/nebula-mcap");
const haveData = existsSync(DIR);
if (!haveData) console.warn(`vendorFuzz.test: skipped, ${DIR} not found (shared data absent)`);
const describeData = haveData ? describe : describe.skip;

const messagesOf = (name: string): Promise<SensorMessage[]> => readAllMessages(path.join(DIR, name), "indexed");

function allFinite(frame: SensorFrame): boolean {
  if (frame.kind === "lidar") {
    for (let i = 0; i < frame.count * POINT_STRIDE; i++) if (!Number.isFinite(frame.points[i]!)) return false;
    return true;
  }
  if (frame.kind === "radar") {
    return (
      frame.detections.every((d) => Number.isFinite(d.rangeM) && Number.isFinite(d.azimuthRad)) &&
      frame.objects.every((o) => Number.isFinite(o.position.x) && Number.isFinite(o.position.y))
    );
  }
  return true;
}

const FILES = [
  "continental-ars548-radar.mcap",
  "continental-srr520-radar.mcap",
  "velodyne-vlp16.mcap",
  "velodyne-vlp32c.mcap",
  "hesai-pandarxt32.mcap",
];

describeData("corrupted recordings", () => {
  it.each(FILES)("%s: truncated, flipped and zeroed messages never crash the decoder", async (file) => {
    const messages = await messagesOf(file);
    let seed = 0x5eed;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const decoder = createRawPacketDecoder(messages[0]!.schemaName, { sensorId: "s", topic: messages[0]!.topic });
    let malformed = 0;
    for (let round = 0; round < 12; round++) {
      for (const message of messages) {
        let data: Uint8Array;
        if (round % 3 === 0) {
          data = message.data.subarray(0, rand(message.data.byteLength));
        } else {
          data = message.data.slice();
          if (round % 3 === 1) for (let k = 0; k < 40; k++) data[rand(data.length)] ^= 1 + rand(255);
          else data.fill(0, rand(data.length), rand(data.length) + 1 + rand(2000));
        }
        const result = decoder.decodeMessage({ ...message, data });
        malformed += result.malformed;
        for (const e of result.errors) expect(e).not.toContain("\n");
        for (const f of result.frames) expect(allFinite(f)).toBe(true);
      }
    }
    // the damage was noticed, not silently decoded
    expect(malformed).toBeGreaterThan(0);
    expect(decoder.stats.malformed).toBe(malformed);
  });
});
