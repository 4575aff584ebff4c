import { AUDIO_SAMPLE_RATE, AudioSynth } from "../sim/AudioSynth";
import { Prng } from "../sim/Prng";
import { RadarTracker } from "../sim/RadarTracker";
import { FRAMES, MIC_ARRAY_MOUNT, TOPICS } from "../sim/rig";
import type { Scenario } from "../sim/scenario";
import { simulateRadarScan } from "../sim/simulateRadarScan";
import { buildWorld, snapshotAt, type WorldSnapshot } from "../sim/world";
import { secToNs, type AudioFrame, type Nanos, type RadarFrame } from "../types";

/**
 * The simulator's fixed start epoch (SIM_START_NS in src/sim/simulate.ts, not imported: that module
 * pulls in the MCAP writer, sharp and the proto registry). test/encoderSimStreams.test.ts checks
 * that the stamps agree with a recording.
 */
const SIM_START_NS: Nanos = 1_700_000_000n * 1_000_000_000n;

/*
 * Radar and audio frames with their ground truth, straight from the simulator's sensor models and
 * in memory: no camera rendering, no LiDAR ray casting, no MCAP round trip. The random streams are
 * forked from the scenario seed in the same order as `runSimulation`, so a fault-free scenario
 * yields the same radar scans and audio chunks as a recording of it (test/encoderSimStreams.test.ts
 * checks this against the decoded MCAP). Faults (delivery timing) are not applied: training wants
 * every frame. Labels come from the world snapshot at each frame's time (exact positions), not
 * from the 10 Hz ground-truth topic.
 */

export const SIM_RADAR_SENSOR_ID = "radar_front";
export const SIM_AUDIO_SENSOR_ID = "mic_array";

export type RadarSample = {
  frame: RadarFrame;
  /** The world at the scan time. */
  snapshot: WorldSnapshot;
  visibilityM: number;
};

export type AudioSample = {
  frame: AudioFrame;
  /** The world at the middle of the chunk. */
  snapshot: WorldSnapshot;
};

function forks(scenario: Scenario): { radar: Prng; audio: Prng } {
  const master = new Prng(scenario.seed);
  master.fork("camera");
  master.fork("lidar");
  const radar = master.fork("radar");
  const audio = master.fork("audio");
  return { radar, audio };
}

/** Every radar cycle of a scenario, in order, as decoded `RadarFrame`s in the radar frame. */
export function* simulateRadarFrames(scenario: Scenario): Generator<RadarSample> {
  const world = buildWorld(scenario);
  const rng = forks(scenario).radar;
  const tracker = new RadarTracker();
  const period = 1 / scenario.sensors.radar.rateHz;
  for (let k = 0; k * period < scenario.durationS - 1e-9; k++) {
    const t = k * period;
    const snap = snapshotAt(world, t);
    const scan = simulateRadarScan(snap, {
      rng,
      visibilityM: scenario.weather.visibilityM,
      clutterPerScan: scenario.sensors.radar.clutterPerScan,
      multipathProbability: scenario.sensors.radar.multipathProbability,
    });
    const objects = tracker.update(scan.detections, t, snap.ego.speed);
    const stamp = SIM_START_NS + secToNs(t);
    yield {
      frame: {
        kind: "radar",
        sensorId: SIM_RADAR_SENSOR_ID,
        topic: TOPICS.radar,
        frameId: FRAMES.radar,
        stamp,
        receivedAt: stamp,
        detections: scan.detections,
        objects,
      },
      snapshot: snap,
      visibilityM: scenario.weather.visibilityM ?? Infinity,
    };
  }
}

/** Every audio chunk of a scenario, in order, as decoded 2-channel `AudioFrame`s. */
export function* simulateAudioFrames(scenario: Scenario): Generator<AudioSample> {
  const world = buildWorld(scenario);
  const synth = new AudioSynth(world, forks(scenario).audio);
  const frames = Math.round((AUDIO_SAMPLE_RATE * scenario.sensors.audio.chunkMs) / 1000);
  const period = frames / AUDIO_SAMPLE_RATE;
  for (let k = 0; k * period < scenario.durationS - 1e-9; k++) {
    const t = k * period;
    const chunk = synth.chunk(t, frames);
    const stamp = SIM_START_NS + secToNs(t);
    const snap = snapshotAt(world, t + period / 2);
    yield {
      frame: {
        kind: "audio",
        sensorId: SIM_AUDIO_SENSOR_ID,
        topic: TOPICS.audio,
        frameId: FRAMES.audio,
        stamp,
        receivedAt: stamp,
        sampleRate: AUDIO_SAMPLE_RATE,
        channels: 2,
        samples: chunk.samples,
      },
      snapshot: snap,
    };
  }
}

/** Where the microphone array sits in the ego frame (m), for ground-truth bearings. */
export const SIM_MIC_ARRAY_MOUNT = MIC_ARRAY_MOUNT;
