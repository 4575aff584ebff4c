import { createDecoder } from "../src/decode/createDecoder";
import { simulateAudioFrames, simulateRadarFrames } from "../src/train/simStreams";
import type { AudioFrame, DecodedMessage, RadarFrame, SensorMessage } from "../src/types";
import { readMessages, scenario, simulateBytes } from "./simHelpers";

/**
 * The encoders train on radar scans and audio chunks generated in memory (no camera, no LiDAR,
 * no MCAP). This checks that they are the very frames a recording of the same scenario decodes to,
 * so that training data and replayed data do not drift apart.
 */
describe("in-memory training frames = decoded simulator recording", () => {
  const sc = scenario({
    durationS: 0.6,
    seed: 77,
    ego: { speedMps: 12 },
    clutter: { poleSpacingM: 30, guardRails: true, parkedCars: 1 },
    actors: [
      { class: "car", motion: { type: "lane", lane: 0, startX: 30, speedMps: 10 } },
      { class: "pedestrian", motion: { type: "crossing", startX: 25, startY: -5, headingDeg: 90, speedMps: 1.4 } },
      { class: "emergency_vehicle", motion: { type: "lane", lane: 1, startX: -30, speedMps: 15 }, siren: { mode: "yelp" } },
    ],
  });

  let decoded: DecodedMessage[] = [];
  beforeAll(async () => {
    const { bytes } = await simulateBytes(sc);
    const { messages } = await readMessages(bytes);
    const d = createDecoder();
    decoded = messages.flatMap((m) => {
      const r = d.decode(m as SensorMessage);
      return "messages" in r ? r.messages : [];
    });
  });

  it("radar: same detections and tracks, scan by scan", () => {
    const recorded = decoded.filter((m): m is RadarFrame => m.kind === "radar");
    const mine = [...simulateRadarFrames(sc)].map((s) => s.frame);
    expect(recorded.length).toBe(12);
    expect(mine.length).toBe(recorded.length);
    mine.forEach((f, i) => {
      const r = recorded[i]!;
      expect(f.stamp).toBe(r.stamp);
      expect(f.frameId).toBe(r.frameId);
      expect(f.detections.length).toBe(r.detections.length);
      f.detections.forEach((d, j) => {
        // the recording stores float32
        expect(r.detections[j]!.rangeM).toBeCloseTo(d.rangeM, 4);
        expect(r.detections[j]!.rangeRateMps).toBeCloseTo(d.rangeRateMps, 4);
        expect(r.detections[j]!.rcsDbsm).toBeCloseTo(d.rcsDbsm, 4);
      });
      expect(f.objects.map((o) => o.id)).toEqual(r.objects.map((o) => o.id));
      f.objects.forEach((o, j) => expect(r.objects[j]!.position.x).toBeCloseTo(o.position.x, 3));
    });
    expect(mine.some((f) => f.objects.length > 0)).toBe(true);
  });

  it("audio: identical samples, chunk by chunk", () => {
    const recorded = decoded.filter((m): m is AudioFrame => m.kind === "audio");
    const mine = [...simulateAudioFrames(sc)].map((s) => s.frame);
    expect(recorded.length).toBe(6);
    expect(mine.length).toBe(recorded.length);
    mine.forEach((f, i) => {
      expect(f.stamp).toBe(recorded[i]!.stamp);
      expect(f.channels).toBe(recorded[i]!.channels);
      expect(f.sampleRate).toBe(recorded[i]!.sampleRate);
      expect(Array.from(f.samples)).toEqual(Array.from(recorded[i]!.samples));
    });
  });
});
