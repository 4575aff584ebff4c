import * as fs from "fs";
import * as path from "path";
import { nodeModelFiles } from "../src/cli/train";
import { createAudioEncoder, loadAudioEncoder } from "../src/encoders/audio/encoder";
import { AudioHistory, classifierFrames, DEFAULT_AUDIO_WINDOW } from "../src/encoders/audio/features";
import type { AudioModelMetadata } from "../src/encoders/audio/metadata";
import { AUDIO_CLASSES, buildAudioModel } from "../src/encoders/audio/model";
import { memoryModelFiles, saveModel } from "../src/runtime/modelFiles";
import { BadInputError } from "../src/types/errors";
import { audioLabel } from "../src/train/audio/audioLabels";
import { simulateAudioFrames } from "../src/train/simStreams";
import { trainAudio } from "../src/train/audio/trainAudio";
import { selectBackend } from "../src/runtime/selectBackend";
import { tensorGrowth } from "../src/runtime/tensors";
import { loadScenario } from "../src/sim/loadScenario";
import { MIC_ARRAY_MOUNT } from "../src/sim/rig";
import type { AudioFrame } from "../src/types";
import { scenario } from "./simHelpers";

const FRAMES = classifierFrames(DEFAULT_AUDIO_WINDOW);
const MELS = DEFAULT_AUDIO_WINDOW.frontEnd.logMel.numMels;
const DEG = Math.PI / 180;

function meta(): AudioModelMetadata {
  const o = DEFAULT_AUDIO_WINDOW;
  return {
    kind: "audio",
    modelVersion: "test",
    classes: [...AUDIO_CLASSES],
    date: "2026-01-01T00:00:00Z",
    command: "test",
    input: {
      sampleRate: 16000,
      channels: 2,
      classifierMs: o.classifierMs,
      bearingMs: o.bearingMs,
      frames: FRAMES,
      mels: MELS,
      logMel: { ...o.frontEnd.logMel },
      micSpacingM: o.frontEnd.micSpacingM,
      speedOfSoundMps: o.frontEnd.speedOfSoundMps,
      normalization: "test",
    },
    sirenThreshold: 0.5,
    hornThreshold: 0.5,
  };
}

/** Audio of a parked ambulance with its siren on, `rangeM` from the array at `bearingDeg`, ego stopped. */
function sirenAt(bearingDeg: number, rangeM = 20, durationS = 1.5, mode: "wail" | "yelp" = "wail"): AudioFrame[] {
  const b = bearingDeg * DEG;
  const sc = scenario({
    durationS,
    seed: 5,
    ego: { speedMps: 0 },
    clutter: { poleSpacingM: 0, guardRails: false, parkedCars: 0 },
    road: { lanesLeft: 4, lanesRight: 4, laneWidthM: 3.5, shoulderM: 2.5 },
    actors: [
      {
        class: "emergency_vehicle",
        motion: { type: "static", x: MIC_ARRAY_MOUNT.x + rangeM * Math.cos(b), y: rangeM * Math.sin(b), yawDeg: 0 },
        siren: { mode },
      },
    ],
  });
  return [...simulateAudioFrames(sc)].map((s) => s.frame);
}

function quietFrame(stamp: bigint, n = 1600, value = 0): AudioFrame {
  return {
    kind: "audio",
    sensorId: "mic",
    topic: "/mic",
    frameId: "mic",
    stamp,
    receivedAt: stamp,
    sampleRate: 16000,
    channels: 2,
    samples: new Int16Array(2 * n).fill(value),
  };
}

beforeAll(async () => {
  await selectBackend({ backend: "wasm", log: () => undefined });
});

describe("audio encoder: bearing", () => {
  it.each([30, -45, 70])("a siren at %d° gives that bearing (every window ±5°, median ±3°)", (deg) => {
    const enc = createAudioEncoder(buildAudioModel(1, FRAMES, MELS), meta(), { sirenThreshold: 0 });
    const frames = sirenAt(deg);
    const evs = frames.map((f) => enc.encode(f));
    // after the history has filled (bearingMs = 500 ms)
    const errs: number[] = [];
    for (const ev of evs.slice(5)) {
      const h = ev.hazards!.find((z) => z.kind === "siren")!;
      errs.push(Math.abs(h.bearingRad! / DEG - deg));
      expect(Math.abs(h.mirroredBearingRad! / DEG - (deg >= 0 ? 180 - deg : -180 - deg))).toBeLessThan(5);
      expect(h.bearingConfidence).toBeGreaterThan(0.05);
    }
    errs.sort((a, b) => a - b);
    expect(errs[errs.length - 1]).toBeLessThan(5);
    expect(errs[errs.length >> 1]).toBeLessThan(3);
    enc.dispose();
  });

  it("turns bearings by the array's yaw into the ego frame", () => {
    const yaw = 10 * DEG;
    const q = { x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) };
    const enc = createAudioEncoder(buildAudioModel(1, FRAMES, MELS), meta(), {
      sirenThreshold: 0,
      extrinsics: { translation: MIC_ARRAY_MOUNT, rotation: q },
    });
    const evs = sirenAt(20).map((f) => enc.encode(f));
    const h = evs[evs.length - 1]!.hazards![0]!;
    expect(Math.abs(h.bearingRad! / DEG - 30)).toBeLessThan(3);
    enc.dispose();
  });
});

describe("audio encoder: bad input and quality", () => {
  it("rejects wrong channel count, sample rate and sample count with one-line errors", () => {
    const enc = createAudioEncoder(buildAudioModel(1, FRAMES, MELS), meta());
    const good = quietFrame(0n, 1600, 50);
    expect(() => enc.encode({ ...good, channels: 1 })).toThrow(BadInputError);
    expect(() => enc.encode({ ...good, channels: 1 })).toThrow(
      "audio frame on /mic (sensor mic, stamp 0 ns): expected 2-channel pcm-s16 audio (left, right), got 1 channel(s)",
    );
    expect(() => enc.encode({ ...good, sampleRate: 44100 })).toThrow("expected a sample rate of 16000 Hz, got 44100 Hz");
    expect(() => enc.encode({ ...good, samples: new Int16Array(0) })).toThrow(
      "expected a positive, even number of interleaved s16 samples, got 0",
    );
    expect(() => enc.encode({ ...good, samples: new Int16Array(3) })).toThrow("got 3");
    expect(() => enc.encode({ kind: "radar" } as unknown as AudioFrame)).toThrow(
      "audio encoder: expected an AudioFrame, got a radar frame",
    );
    // the rejected frames did not enter the history: a good frame still encodes
    expect(enc.encode(good).kind).toBe("audio");
    enc.dispose();
  });

  it("reports a dead array as quality 0 and one dead microphone as degraded", () => {
    const enc = createAudioEncoder(buildAudioModel(1, FRAMES, MELS), meta());
    expect(enc.encode(quietFrame(0n)).quality).toBe(0);
    const oneDead = quietFrame(100_000_000n);
    for (let i = 0; i < oneDead.samples.length; i += 2) oneDead.samples[i] = i % 4 === 0 ? 300 : -300;
    expect(enc.encode(oneDead).quality).toBeCloseTo(0.4, 6);
    const evs = sirenAt(0, 20, 0.3).map((f) => enc.encode(f));
    expect(evs[evs.length - 1]!.quality).toBe(1);
    enc.dispose();
  });

  it("starts the history afresh after a gap in the stamps", () => {
    const h = new AudioHistory(500);
    expect(h.push(quietFrame(0n)).samples.length).toBe(3200);
    expect(h.push(quietFrame(100_000_000n)).samples.length).toBe(6400);
    expect(h.push(quietFrame(500_000_000n)).samples.length).toBe(3200);
    for (let k = 6; k < 12; k++) h.push(quietFrame(BigInt(k) * 100_000_000n));
    expect(h.push(quietFrame(1_200_000_000n)).samples.length).toBe(2 * 8000);
  });
});

describe("audio encoder: tensors and model files", () => {
  it("does not grow tf.memory() over 100 calls", async () => {
    const enc = createAudioEncoder(buildAudioModel(1, FRAMES, MELS), meta());
    let k = 0n;
    const growth = await tensorGrowth(() => enc.encode(quietFrame((k += 100_000_000n), 1600, 20)), 100);
    expect(growth).toEqual({ tensors: 0, dataBuffers: 0, bytes: 0 });
    enc.dispose();
  });

  it("save → load gives identical outputs; encodeBatch = encode in order", async () => {
    const files = memoryModelFiles();
    const model = buildAudioModel(3, FRAMES, MELS);
    await saveModel(model, meta(), files, "models/audio");
    const a = createAudioEncoder(model, meta(), { sirenThreshold: 0, hornThreshold: 0 });
    const b = await loadAudioEncoder({ files, sirenThreshold: 0, hornThreshold: 0 });
    const frames = sirenAt(-20, 30, 0.5, "yelp");
    const ea = frames.map((f) => a.encode(f));
    const eb = b.encodeBatch(frames);
    expect(eb.map((e) => e.hazards)).toEqual(ea.map((e) => e.hazards));
    expect(ea[0]!.hazards!.map((h) => h.kind)).toEqual(["siren", "horn"]);
    a.dispose();
    b.dispose();
  });
});

describe("audio training (smoke)", () => {
  it("trains a few steps and records the contract and held-out metrics", async () => {
    const r = await trainAudio({
      seed: 4,
      quick: true,
      loadNamed: (n) => loadScenario(n),
      log: () => undefined,
      backend: "wasm",
      command: "test",
      epochs: 1,
      stepsPerEpoch: 2,
    });
    const m = r.metadata as AudioModelMetadata & { heldOut: { clear: { sirenWindows: number; recall: number } } };
    expect(m.input.frames).toBe(FRAMES);
    expect(m.input.micSpacingM).toBe(0.3);
    expect(m.sirenThreshold).toBeGreaterThanOrEqual(0.3);
    expect(m.heldOut.clear.sirenWindows).toBeGreaterThan(0);
    expect(m.heldOut.clear.recall).toBeGreaterThanOrEqual(0);
    r.model.dispose();
  });
});

const shipped = path.resolve(__dirname, "../models/audio/model.json");
(fs.existsSync(shipped) ? describe : describe.skip)("shipped audio model (models/audio)", () => {
  it("hears the held-out siren-approach siren and stays quiet otherwise", async () => {
    const enc = await loadAudioEncoder({ files: nodeModelFiles(path.resolve(__dirname, "..")) });
    let sirens = 0;
    let hits = 0;
    let others = 0;
    let alarms = 0;
    for (const s of simulateAudioFrames(loadScenario("siren-approach"))) {
      const ev = enc.encode(s.frame);
      const heard = ev.hazards!.some((h) => h.kind === "siren");
      const label = audioLabel(s.snapshot).label;
      if (label === "siren") {
        sirens++;
        if (heard) hits++;
      } else if (label !== "ambiguous") {
        others++;
        if (heard) alarms++;
      }
    }
    enc.dispose();
    expect(sirens).toBeGreaterThan(20);
    expect(hits / sirens).toBeGreaterThanOrEqual(0.9);
    expect(alarms / others).toBeLessThanOrEqual(0.05);
  });
});
