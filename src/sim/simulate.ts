import sharp from "sharp";
import type { IWritable } from "@mcap/core";
import { encodeProto } from "../schemas/protoRegistry";
import { McapSink, type McapSinkOptions } from "../sinks/mcap/McapSink";
import { secToNs, type GroundTruthFrame, type GroundTruthObject, type Nanos } from "../types";
import { AUDIO_SAMPLE_RATE, AudioSynth, HORN_AMPLITUDE, SIREN_AMPLITUDE, roadNoiseRms } from "./AudioSynth";
import { castLidarSweep, lidarModel } from "./castLidarSweep";
import { FaultInjector } from "./FaultInjector";
import { extinction } from "./fog";
import { Prng } from "./Prng";
import { RadarTracker } from "./RadarTracker";
import { renderCamera } from "./renderCamera";
import { CAMERA_MOUNT, EGO_FRAME, FRAMES, MIC_ARRAY_MOUNT, TOPICS, cameraCalibration, cameraIntrinsics, rigTransforms } from "./rig";
import type { Scenario, SensorName } from "./scenario";
import { simulateRadarScan } from "./simulateRadarScan";
import {
  cameraCalibrationProto,
  compressedImageProto,
  frameTransformsProto,
  groundTruthProto,
  pointCloudProto,
  radarScanProto,
  rawAudioProto,
} from "../schemas/protoObjects";
import { buildWorld, snapshotAt, windowActive, type World, type WorldSnapshot } from "./world";

/** Recordings start at this fixed epoch (2023-11-14T22:13:20Z) so that output never depends on the clock. */
export const SIM_START_NS: Nanos = 1_700_000_000n * 1_000_000_000n;

/** One recorded message, before it goes to a sink. */
export type SimMessage = {
  topic: string;
  typeName: string;
  logTime: Nanos;
  publishTime: Nanos;
  data: Uint8Array;
};

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

export type SimulateOptions = {
  /** Called after each simulated step with the simulated time reached (s). */
  onProgress?: (simulatedS: number, totalS: number) => void;
};

type Stream = { name: SensorName | "tf" | "groundTruth"; period: number; k: number };

// Delay between a sample's time and when the whole message exists: a LiDAR sweep and an audio
// chunk are complete one period after their stamp; images and radar cycles need processing.
const INHERENT_DELAY_S: Record<SensorName, (period: number) => number> = {
  camera: () => 0.008,
  lidar: (p) => p,
  radar: () => 0.012,
  audio: (p) => p,
};

/** A min-heap by (logTime, seq) so that messages leave in log-time order. */
class MessageQueue {
  private items: Array<{ m: SimMessage; seq: number }> = [];
  private seq = 0;

  push(m: SimMessage): void {
    const it = { m, seq: this.seq++ };
    const a = this.items;
    a.push(it);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  peek(): SimMessage | undefined {
    return this.items[0]?.m;
  }

  pop(): SimMessage | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top.m;
  }

  private less(x: { m: SimMessage; seq: number }, y: { m: SimMessage; seq: number }): boolean {
    return x.m.logTime < y.m.logTime || (x.m.logTime === y.m.logTime && x.seq < y.seq);
  }
}

type Visibility = { camera: Map<number, number>; lidar: Map<number, number>; radar: Map<number, number> };

/**
 * Runs a scenario and hands every message to `emit` in log-time order. Everything random comes
 * from the scenario's seed, so the same scenario gives the same messages.
 */
export async function runSimulation(
  scenario: Scenario,
  emit: (m: SimMessage) => Promise<void>,
  options: SimulateOptions = {},
): Promise<SimulationStats> {
  const world = buildWorld(scenario);
  const master = new Prng(scenario.seed);
  const rngCamera = master.fork("camera");
  const rngLidar = master.fork("lidar");
  const rngRadar = master.fork("radar");
  const rngAudio = master.fork("audio");
  const faults = new FaultInjector(scenario.faults, master.fork("faults"), SIM_START_NS);
  const beta = extinction(scenario.weather.visibilityM);
  const S = scenario.sensors;
  const intr = cameraIntrinsics(S.camera);
  const lidar = lidarModel(S.lidar);
  const tracker = new RadarTracker();
  const audio = new AudioSynth(world, rngAudio);
  const chunkFrames = Math.round((AUDIO_SAMPLE_RATE * S.audio.chunkMs) / 1000);
  const T = scenario.durationS;

  const streams: Stream[] = [
    { name: "tf", period: 1, k: 0 },
    { name: "groundTruth", period: 1 / S.groundTruthRateHz, k: 0 },
    { name: "camera", period: 1 / S.camera.rateHz, k: 0 },
    { name: "lidar", period: 1 / S.lidar.rateHz, k: 0 },
    { name: "radar", period: 1 / S.radar.rateHz, k: 0 },
    { name: "audio", period: chunkFrames / AUDIO_SAMPLE_RATE, k: 0 },
  ];
  const queue = new MessageQueue();
  const perTopic: Record<string, number> = {};
  const wallMs: Record<string, number> = { camera: 0, jpeg: 0, lidar: 0, radar: 0, audio: 0, groundTruth: 0, encode: 0, write: 0 };
  const visibility: Visibility = { camera: new Map(), lidar: new Map(), radar: new Map() };
  let lastJpeg: Uint8Array | undefined;
  let radarCycle = 0;
  let lidarPoints = 0;
  let lidarSweeps = 0;
  let backscatter = 0;
  let radarDets = 0;
  let radarScans = 0;
  let messages = 0;

  const push = (topic: string, typeName: string, obj: object, stamp: Nanos, logTime: Nanos): void => {
    const t0 = performance.now();
    const data = encodeProto(typeName, obj);
    wallMs.encode! += performance.now() - t0;
    queue.push({ topic, typeName, logTime, publishTime: stamp, data });
  };
  const flushUpTo = async (ns: Nanos | undefined): Promise<void> => {
    const t0 = performance.now();
    for (let m = queue.peek(); m && (ns === undefined || m.logTime <= ns); m = queue.peek()) {
      queue.pop();
      perTopic[m.topic] = (perTopic[m.topic] ?? 0) + 1;
      messages++;
      await emit(m);
    }
    wallMs.write! += performance.now() - t0;
  };
  const deliveryFor = (sensor: SensorName, t: number, period: number): { ok: boolean; stamp: Nanos; log: Nanos; frozen: boolean } => {
    const d = faults.plan(sensor, t);
    const base = secToNs(INHERENT_DELAY_S[sensor](period));
    const trueNs = SIM_START_NS + secToNs(t);
    // Log time never precedes the moment the data exists.
    const log = (d.logTime > trueNs ? d.logTime : trueNs) + base;
    return { ok: d.deliver, stamp: d.stamp, log, frozen: d.frozen };
  };

  for (;;) {
    let next: Stream | undefined;
    let nextT = Infinity;
    for (const s of streams) {
      const t = s.k * s.period;
      if (t < T - 1e-9 && t < nextT - 1e-12) {
        next = s;
        nextT = t;
      }
    }
    if (!next) break;
    const t = nextT;
    next.k++;
    const trueNs = SIM_START_NS + secToNs(t);
    await flushUpTo(trueNs);
    let w0 = performance.now();
    switch (next.name) {
      case "tf": {
        push(TOPICS.tf, "foxglove.FrameTransforms", frameTransformsProto(rigTransforms(trueNs)), trueNs, trueNs);
        push(TOPICS.cameraInfo, "foxglove.CameraCalibration", cameraCalibrationProto(cameraCalibration(S.camera, trueNs)), trueNs, trueNs);
        break;
      }
      case "groundTruth": {
        const snap = snapshotAt(world, t);
        const gt = groundTruthAt(world, snap, trueNs, visibility, beta);
        push(TOPICS.groundTruth, "avfusion.GroundTruth", groundTruthProto(gt), trueNs, trueNs);
        wallMs.groundTruth! += performance.now() - w0;
        break;
      }
      case "camera": {
        const d = deliveryFor("camera", t, next.period);
        const snap = snapshotAt(world, t);
        const img = renderCamera(world, snap, intr, { beta, night: scenario.weather.night, noise: rngCamera });
        visibility.camera.clear();
        snap.bodies.forEach((b, bi) => {
          const covered = img.coveredPixels[bi]!;
          if (covered === 0) return;
          const dist = Math.hypot(b.x - snap.ego.x - CAMERA_MOUNT.x, b.y - snap.ego.y, b.z - CAMERA_MOUNT.z);
          const v = covered < 3 ? 0 : (img.visiblePixels[bi]! / covered) * Math.exp(-beta * dist);
          visibility.camera.set(b.body.id, v);
        });
        wallMs.camera! += performance.now() - w0;
        if (!d.ok) break;
        w0 = performance.now();
        let jpeg: Uint8Array;
        if (d.frozen && lastJpeg) {
          jpeg = lastJpeg;
        } else {
          const buf = await sharp(img.rgb, { raw: { width: img.width, height: img.height, channels: 3 } })
            .jpeg({ quality: S.camera.jpegQuality, chromaSubsampling: "4:2:0" })
            .toBuffer();
          jpeg = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
          lastJpeg = jpeg;
        }
        wallMs.jpeg! += performance.now() - w0;
        push(TOPICS.camera, "foxglove.CompressedImage", compressedImageProto(d.stamp, FRAMES.camera, jpeg), d.stamp, d.log);
        break;
      }
      case "lidar": {
        const d = deliveryFor("lidar", t, next.period);
        const snap = snapshotAt(world, t);
        const sweep = castLidarSweep(world, snap, lidar, { beta, rng: rngLidar, occludedSectors: faults.occludedSectors(t) });
        visibility.lidar.clear();
        snap.bodies.forEach((b, bi) => {
          const n = sweep.hitsPerBody[bi]!;
          if (n > 0) visibility.lidar.set(b.body.id, Math.min(1, n / 10));
        });
        lidarPoints += sweep.count;
        backscatter += sweep.backscatterCount;
        lidarSweeps++;
        wallMs.lidar! += performance.now() - w0;
        if (d.ok)
          push(
            TOPICS.lidar,
            "foxglove.PointCloud",
            pointCloudProto(
              { stamp: d.stamp, frameId: FRAMES.lidar, points: sweep.points, ring: sweep.ring, count: sweep.count },
              "compact",
            ),
            d.stamp,
            d.log,
          );
        break;
      }
      case "radar": {
        const d = deliveryFor("radar", t, next.period);
        const snap = snapshotAt(world, t);
        const scan = simulateRadarScan(snap, {
          rng: rngRadar,
          visibilityM: scenario.weather.visibilityM,
          clutterPerScan: S.radar.clutterPerScan,
          multipathProbability: S.radar.multipathProbability,
        });
        const objects = tracker.update(scan.detections, t, snap.ego.speed);
        visibility.radar.clear();
        snap.bodies.forEach((b, bi) => {
          const n = scan.detectionsPerBody[bi]!;
          if (n > 0) visibility.radar.set(b.body.id, Math.min(1, n / 2));
        });
        radarDets += scan.detections.length;
        radarScans++;
        wallMs.radar! += performance.now() - w0;
        if (d.ok) {
          push(
            TOPICS.radar,
            "avfusion.RadarScan",
            radarScanProto(d.stamp, FRAMES.radar, scan.detections, objects, radarCycle, snap.ego.speed),
            d.stamp,
            d.log,
          );
        }
        radarCycle++;
        break;
      }
      case "audio": {
        const d = deliveryFor("audio", t, next.period);
        const chunk = audio.chunk(t, chunkFrames);
        wallMs.audio! += performance.now() - w0;
        if (d.ok) push(TOPICS.audio, "foxglove.RawAudio", rawAudioProto(d.stamp, chunk.samples, AUDIO_SAMPLE_RATE, 2), d.stamp, d.log);
        break;
      }
    }
    options.onProgress?.(t, T);
  }
  await flushUpTo(undefined);
  options.onProgress?.(T, T);
  return {
    durationS: T,
    messages,
    perTopic,
    lidarPointsPerSweep: lidarSweeps ? lidarPoints / lidarSweeps : 0,
    backscatterPointsPerSweep: lidarSweeps ? backscatter / lidarSweeps : 0,
    radarDetectionsPerScan: radarScans ? radarDets / radarScans : 0,
    wallMs,
  };
}

/** Static clutter further than this from the ego is left out of the ground truth. */
const GT_CLUTTER_RANGE_M = 100;

/** Ground truth at one instant, in the ego frame; per-sensor visibility from each sensor's latest output. */
export function groundTruthAt(world: World, snap: WorldSnapshot, stamp: Nanos, vis: Visibility, beta: number): GroundTruthFrame {
  const objects: GroundTruthObject[] = [];
  const ego = snap.ego;
  const noise = roadNoiseRms(ego.speed);
  let sirenActive = false;
  let sirenBearing = 0;
  let sirenDist = Infinity;
  for (const b of snap.bodies) {
    const rx = b.x - ego.x;
    const ry = b.y - ego.y;
    const dist = Math.hypot(rx, ry);
    const isActor = b.body.id < 1000;
    if (!isActor && dist > GT_CLUTTER_RANGE_M) continue;
    const sirenOn = !!b.body.siren && windowActive(b.body.siren.on, snap.t);
    const hornOn = !!b.body.horn && windowActive(b.body.horn, snap.t);
    if (sirenOn && dist < sirenDist) {
      sirenActive = true;
      sirenDist = dist;
      sirenBearing = Math.atan2(ry, rx);
    }
    const micDist = Math.max(0.5, Math.hypot(b.x - ego.x - MIC_ARRAY_MOUNT.x, b.y - ego.y));
    const level = ((sirenOn ? SIREN_AMPLITUDE : 0) + (hornOn ? HORN_AMPLITUDE : 0)) / micDist;
    objects.push({
      id: b.body.id,
      classification: b.body.classification,
      position: { x: rx, y: ry, z: b.z },
      size: { x: b.body.length, y: b.body.width, z: b.body.height },
      yawRad: b.yaw - ego.yaw,
      velocity: { x: b.vx, y: b.vy, z: 0 },
      sirenOn,
      visibility: {
        camera: vis.camera.get(b.body.id) ?? 0,
        lidar: vis.lidar.get(b.body.id) ?? 0,
        radar: vis.radar.get(b.body.id) ?? 0,
        audio: level > noise ? 1 : 0,
      },
    });
  }
  return {
    kind: "groundTruth",
    topic: TOPICS.groundTruth,
    stamp,
    frameId: EGO_FRAME,
    objects,
    visibilityM: beta > 0 ? 3.912 / beta : Infinity,
    sirenActive,
    sirenBearingRad: sirenBearing,
    egoSpeedMps: ego.speed,
  };
}

/** Simulates a scenario into an MCAP file (zstd chunks, indexed) on `writable`. */
export async function simulateToMcap(
  scenario: Scenario,
  writable: IWritable,
  options: SimulateOptions & { sink?: McapSinkOptions } = {},
): Promise<SimulationStats> {
  const sink = await McapSink.open(writable, { library: "avfusion simulate", ...options.sink });
  await sink.writeMetadata("scenario", { name: scenario.name, seed: String(scenario.seed), json: JSON.stringify(scenario) });
  const stats = await runSimulation(scenario, (m) => sink.write(m.topic, m.typeName, m.logTime, m.publishTime, m.data), options);
  await sink.close();
  return stats;
}
