import sharp from "sharp";
import { encodeProto } from "../schemas/protoRegistry";
import {
  cameraCalibrationProto,
  compressedImageProto,
  frameTransformsProto,
  groundTruthProto,
  pointCloudProto,
  radarScanProto,
  rawAudioProto,
} from "../schemas/protoObjects";
import { secToNs, type Nanos } from "../types";
import { AUDIO_SAMPLE_RATE, AudioSynth } from "./AudioSynth";
import { castLidarSweep, lidarModel, type LidarModel } from "./castLidarSweep";
import { FaultInjector } from "./FaultInjector";
import { extinction } from "./fog";
import { groundTruthAt, type Visibility } from "./groundTruthAt";
import { MessageQueue, type SimMessage } from "./MessageQueue";
import { Prng } from "./Prng";
import { RadarTracker } from "./RadarTracker";
import { renderCamera } from "./renderCamera";
import { CAMERA_MOUNT, FRAMES, TOPICS, cameraCalibration, cameraIntrinsics, rigTransforms, type CameraIntrinsics } from "./rig";
import type { Scenario, SensorName } from "./scenario";
import { simulateRadarScan } from "./simulateRadarScan";
import { buildWorld, snapshotAt, type World } from "./world";

/** Recordings start at this fixed epoch (2023-11-14T22:13:20Z) so that output never depends on the clock. */
export const SIM_START_NS: Nanos = 1_700_000_000n * 1_000_000_000n;

export type SimulationStats = {
  durationS: number;
  messages: number;
  perTopic: Record<string, number>;
  lidarPointsPerSweep: number;
  backscatterPointsPerSweep: number;
  radarDetectionsPerScan: number;
  /** Wall time spent per sensor model (ms), for benchmarks. */
  wallMs: Record<string, number>;
};

/** A periodic output of the simulation: its k-th sample is due at k × period (s). */
export type Stream = { name: SensorName | "tf" | "groundTruth"; period: number; k: number };

// Delay between a sample's time and when the whole message exists: a LiDAR sweep and an audio
// chunk are complete one period after their stamp; images and radar cycles need processing.
const INHERENT_DELAY_S: Record<SensorName, (period: number) => number> = {
  camera: () => 0.008,
  lidar: (p) => p,
  radar: () => 0.012,
  audio: (p) => p,
};

/** When and whether a sensor's sample at t reaches the recording (the fault injector decides). */
type Delivery = { ok: boolean; stamp: Nanos; log: Nanos; frozen: boolean };

/**
 * The state of one simulation run: the world, one random stream per sensor, the sensor models,
 * the queue that puts messages in log-time order, and the counters of the stats. `step` produces
 * one stream's sample; runSimulation (simulate.ts) decides which stream is next.
 */
export class SimulationRun {
  readonly streams: Stream[];
  private readonly world: World;
  private readonly rngCamera: Prng;
  private readonly rngLidar: Prng;
  private readonly rngRadar: Prng;
  private readonly faults: FaultInjector;
  private readonly beta: number;
  private readonly intr: CameraIntrinsics;
  private readonly lidar: LidarModel;
  private readonly tracker = new RadarTracker();
  private readonly audio: AudioSynth;
  private readonly chunkFrames: number;
  private readonly queue = new MessageQueue();
  private readonly perTopic: Record<string, number> = {};
  private readonly wallMs: Record<string, number> = {
    camera: 0,
    jpeg: 0,
    lidar: 0,
    radar: 0,
    audio: 0,
    groundTruth: 0,
    encode: 0,
    write: 0,
  };
  private readonly visibility: Visibility = { camera: new Map(), lidar: new Map(), radar: new Map() };
  private lastJpeg: Uint8Array | undefined;
  private radarCycle = 0;
  private lidarPoints = 0;
  private lidarSweeps = 0;
  private backscatter = 0;
  private radarDets = 0;
  private radarScans = 0;
  private messages = 0;

  constructor(
    private readonly scenario: Scenario,
    private readonly emit: (m: SimMessage) => Promise<void>,
  ) {
    this.world = buildWorld(scenario);
    // Fork order is part of the recording: every sensor's randomness follows from the seed.
    const master = new Prng(scenario.seed);
    this.rngCamera = master.fork("camera");
    this.rngLidar = master.fork("lidar");
    this.rngRadar = master.fork("radar");
    const rngAudio = master.fork("audio");
    this.faults = new FaultInjector(scenario.faults, master.fork("faults"), SIM_START_NS);
    this.beta = extinction(scenario.weather.visibilityM);
    const S = scenario.sensors;
    this.intr = cameraIntrinsics(S.camera);
    this.lidar = lidarModel(S.lidar);
    this.audio = new AudioSynth(this.world, rngAudio);
    this.chunkFrames = Math.round((AUDIO_SAMPLE_RATE * S.audio.chunkMs) / 1000);
    this.streams = [
      { name: "tf", period: 1, k: 0 },
      { name: "groundTruth", period: 1 / S.groundTruthRateHz, k: 0 },
      { name: "camera", period: 1 / S.camera.rateHz, k: 0 },
      { name: "lidar", period: 1 / S.lidar.rateHz, k: 0 },
      { name: "radar", period: 1 / S.radar.rateHz, k: 0 },
      { name: "audio", period: this.chunkFrames / AUDIO_SAMPLE_RATE, k: 0 },
    ];
  }

  /** The stream's sample at t (s); messages due before t have been emitted first. */
  async step(stream: Stream, t: number): Promise<void> {
    const trueNs = SIM_START_NS + secToNs(t);
    await this.flushUpTo(trueNs);
    const w0 = performance.now();
    switch (stream.name) {
      case "tf":
        return this.transforms(trueNs);
      case "groundTruth":
        return this.groundTruth(t, trueNs, w0);
      case "camera":
        return this.camera(t, stream.period, w0);
      case "lidar":
        return this.lidarSweep(t, stream.period, w0);
      case "radar":
        return this.radarScan(t, stream.period, w0);
      case "audio":
        return this.audioChunk(t, stream.period, w0);
    }
  }

  /** Emits every queued message with log time ≤ ns (all of them for undefined). */
  async flushUpTo(ns: Nanos | undefined): Promise<void> {
    const t0 = performance.now();
    for (let m = this.queue.peek(); m && (ns === undefined || m.logTime <= ns); m = this.queue.peek()) {
      this.queue.pop();
      this.perTopic[m.topic] = (this.perTopic[m.topic] ?? 0) + 1;
      this.messages++;
      await this.emit(m);
    }
    this.wallMs.write! += performance.now() - t0;
  }

  stats(): SimulationStats {
    return {
      durationS: this.scenario.durationS,
      messages: this.messages,
      perTopic: this.perTopic,
      lidarPointsPerSweep: this.lidarSweeps ? this.lidarPoints / this.lidarSweeps : 0,
      backscatterPointsPerSweep: this.lidarSweeps ? this.backscatter / this.lidarSweeps : 0,
      radarDetectionsPerScan: this.radarScans ? this.radarDets / this.radarScans : 0,
      wallMs: this.wallMs,
    };
  }

  private push(topic: string, typeName: string, obj: object, stamp: Nanos, logTime: Nanos): void {
    const t0 = performance.now();
    const data = encodeProto(typeName, obj);
    this.wallMs.encode! += performance.now() - t0;
    this.queue.push({ topic, typeName, logTime, publishTime: stamp, data });
  }

  private deliveryFor(sensor: SensorName, t: number, period: number): Delivery {
    const d = this.faults.plan(sensor, t);
    const base = secToNs(INHERENT_DELAY_S[sensor](period));
    const trueNs = SIM_START_NS + secToNs(t);
    // Log time never precedes the moment the data exists.
    const log = (d.logTime > trueNs ? d.logTime : trueNs) + base;
    return { ok: d.deliver, stamp: d.stamp, log, frozen: d.frozen };
  }

  private transforms(trueNs: Nanos): void {
    this.push(TOPICS.tf, "foxglove.FrameTransforms", frameTransformsProto(rigTransforms(trueNs)), trueNs, trueNs);
    const calibration = cameraCalibrationProto(cameraCalibration(this.scenario.sensors.camera, trueNs));
    this.push(TOPICS.cameraInfo, "foxglove.CameraCalibration", calibration, trueNs, trueNs);
  }

  private groundTruth(t: number, trueNs: Nanos, w0: number): void {
    const snap = snapshotAt(this.world, t);
    const gt = groundTruthAt(this.world, snap, trueNs, this.visibility, this.beta);
    this.push(TOPICS.groundTruth, "avfusion.GroundTruth", groundTruthProto(gt), trueNs, trueNs);
    this.wallMs.groundTruth! += performance.now() - w0;
  }

  /** Renders the frame (the visibility of each body is kept even when the frame is lost), then JPEG-encodes it unless frozen. */
  private async camera(t: number, period: number, w0: number): Promise<void> {
    const d = this.deliveryFor("camera", t, period);
    const snap = snapshotAt(this.world, t);
    const img = renderCamera(this.world, snap, this.intr, { beta: this.beta, night: this.scenario.weather.night, noise: this.rngCamera });
    this.visibility.camera.clear();
    snap.bodies.forEach((b, bi) => {
      const covered = img.coveredPixels[bi]!;
      if (covered === 0) return;
      const dist = Math.hypot(b.x - snap.ego.x - CAMERA_MOUNT.x, b.y - snap.ego.y, b.z - CAMERA_MOUNT.z);
      const v = covered < 3 ? 0 : (img.visiblePixels[bi]! / covered) * Math.exp(-this.beta * dist);
      this.visibility.camera.set(b.body.id, v);
    });
    this.wallMs.camera! += performance.now() - w0;
    if (!d.ok) return;
    const j0 = performance.now();
    let jpeg: Uint8Array;
    if (d.frozen && this.lastJpeg) {
      jpeg = this.lastJpeg;
    } else {
      const buf = await sharp(img.rgb, { raw: { width: img.width, height: img.height, channels: 3 } })
        .jpeg({ quality: this.scenario.sensors.camera.jpegQuality, chromaSubsampling: "4:2:0" })
        .toBuffer();
      jpeg = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      this.lastJpeg = jpeg;
    }
    this.wallMs.jpeg! += performance.now() - j0;
    this.push(TOPICS.camera, "foxglove.CompressedImage", compressedImageProto(d.stamp, FRAMES.camera, jpeg), d.stamp, d.log);
  }

  private lidarSweep(t: number, period: number, w0: number): void {
    const d = this.deliveryFor("lidar", t, period);
    const snap = snapshotAt(this.world, t);
    const sweep = castLidarSweep(this.world, snap, this.lidar, {
      beta: this.beta,
      rng: this.rngLidar,
      occludedSectors: this.faults.occludedSectors(t),
    });
    this.visibility.lidar.clear();
    snap.bodies.forEach((b, bi) => {
      const n = sweep.hitsPerBody[bi]!;
      if (n > 0) this.visibility.lidar.set(b.body.id, Math.min(1, n / 10));
    });
    this.lidarPoints += sweep.count;
    this.backscatter += sweep.backscatterCount;
    this.lidarSweeps++;
    this.wallMs.lidar! += performance.now() - w0;
    if (!d.ok) return;
    const cloud = { stamp: d.stamp, frameId: FRAMES.lidar, points: sweep.points, ring: sweep.ring, count: sweep.count };
    this.push(TOPICS.lidar, "foxglove.PointCloud", pointCloudProto(cloud, "compact"), d.stamp, d.log);
  }

  /** One radar cycle: detections, and the radar's own tracker fed every cycle (also those lost to faults). */
  private radarScan(t: number, period: number, w0: number): void {
    const d = this.deliveryFor("radar", t, period);
    const snap = snapshotAt(this.world, t);
    const S = this.scenario.sensors;
    const scan = simulateRadarScan(snap, {
      rng: this.rngRadar,
      visibilityM: this.scenario.weather.visibilityM,
      clutterPerScan: S.radar.clutterPerScan,
      multipathProbability: S.radar.multipathProbability,
    });
    const objects = this.tracker.update(scan.detections, t, snap.ego.speed);
    this.visibility.radar.clear();
    snap.bodies.forEach((b, bi) => {
      const n = scan.detectionsPerBody[bi]!;
      if (n > 0) this.visibility.radar.set(b.body.id, Math.min(1, n / 2));
    });
    this.radarDets += scan.detections.length;
    this.radarScans++;
    this.wallMs.radar! += performance.now() - w0;
    if (d.ok) {
      const proto = radarScanProto(d.stamp, FRAMES.radar, scan.detections, objects, this.radarCycle, snap.ego.speed);
      this.push(TOPICS.radar, "avfusion.RadarScan", proto, d.stamp, d.log);
    }
    this.radarCycle++;
  }

  private audioChunk(t: number, period: number, w0: number): void {
    const d = this.deliveryFor("audio", t, period);
    const chunk = this.audio.chunk(t, this.chunkFrames);
    this.wallMs.audio! += performance.now() - w0;
    if (d.ok) this.push(TOPICS.audio, "foxglove.RawAudio", rawAudioProto(d.stamp, chunk.samples, AUDIO_SAMPLE_RATE, 2), d.stamp, d.log);
  }
}
