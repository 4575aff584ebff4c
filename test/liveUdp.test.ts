/**
 * End to end on loopback over UDP: `play --udp` of the nebula Velodyne VLP-16 and Continental
 * ARS548 recordings → live UDP input → the whole pipeline → scenes with LiDAR and radar evidence;
 * and the UDP faults: garbage / truncated datagrams, a 10× flood against the rate limit.
 */
import dgram from "node:dgram";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { createDecoder } from "../src/decode/createDecoder";
import { VENDOR_DECODERS } from "../src/decode/vendorDecoders";
import { tap } from "rxjs";
import { startLive, udpInput, type LiveTick } from "../src/live";
import { nodeModelFiles } from "../src/runtime/nodeModelFiles";
import { selectBackend } from "../src/runtime/selectBackend";
import { createUdpStats } from "../src/sources/bridge/udpSource";
import type { PointCloudFrame, RadarFrame, SensorMessage } from "../src/types";
import { delay, exists, NEBULA_DIR, REPO_ROOT, waitUntil } from "./bridgeHelpers";
import { readAllMessages } from "./readAllMessages";

const VLP16 = path.join(NEBULA_DIR, "velodyne-vlp16.mcap");
const ARS548 = path.join(NEBULA_DIR, "continental-ars548-radar.mcap");
const haveData = exists(VLP16) && exists(ARS548);
if (!haveData) console.warn(`skipping live UDP tests: ${NEBULA_DIR} is absent`);
const withData = haveData ? it : it.skip;

/**
 * `avfusion play ...` in its own process, as on a real rig (in this process the encoders would
 * hold up the sender's event loop). Resolves with its exit code and stdout.
 */
function play(...args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--require", "./bench/register.js", "src/cli/run.ts", "play", ...args], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out }));
  });
}

/** What replay's decode stage makes of a recording: its frames. */
async function replayFrames(file: string): Promise<(PointCloudFrame | RadarFrame)[]> {
  const decoder = createDecoder({ vendor: VENDOR_DECODERS });
  const out: (PointCloudFrame | RadarFrame)[] = [];
  for (const m of await readAllMessages(file, "indexed")) {
    const r = decoder.decode(m);
    if ("messages" in r) for (const f of r.messages) if (f.kind === "lidar" || f.kind === "radar") out.push(f);
  }
  return out;
}

function startUdpSession(opts: { maxVelodyne?: number } = {}) {
  const ports = new Map<string, number>();
  const stats = createUdpStats();
  const input = udpInput({
    sensors: [
      {
        driver: "velodyne",
        port: 0,
        host: "127.0.0.1",
        sensorId: "vlp16",
        ...(opts.maxVelodyne !== undefined ? { maxDatagramsPerSec: opts.maxVelodyne } : {}),
      },
      { driver: "ars548", port: 0, host: "127.0.0.1", sensorId: "ars548" },
    ],
    stats,
    maxQueuedDatagrams: 256,
    mountings: new Map([["ars548", { x: 3.7, y: 0, z: 0.5, yawRad: 0 }]]),
    onListening: (s, a) => void ports.set(s.sensorId, a.port),
  });
  const messages: SensorMessage[] = [];
  const frames: (PointCloudFrame | RadarFrame)[] = [];
  const notices: string[] = [];
  const ticks: LiveTick[] = [];
  // The frames the input hands the pipeline's typed frame entry, as they go in.
  const fed = input.events.pipe(
    tap((e) => {
      if (e.type === "frame" && (e.frame.kind === "lidar" || e.frame.kind === "radar")) frames.push(e.frame);
    }),
  );
  const session = startLive({
    input: { ...input, events: fed },
    models: { files: nodeModelFiles() },
    onMessage: (m) => void messages.push(m),
    onNotice: (l) => void notices.push(l),
  });
  const sub = session.ticks.subscribe((t) => void ticks.push(t));
  return { ports, stats, messages, frames, notices, ticks, session, stop: () => sub.unsubscribe() };
}

beforeAll(async () => {
  await selectBackend({ backend: "wasm", log: () => undefined });
});

describe("live on loopback: UDP", () => {
  withData(
    "play --udp (VLP-16 and ARS548, looped) → live UDP input: scenes with LiDAR and radar evidence; point and detection counts as replay decodes them",
    async () => {
      const s = startUdpSession();
      expect(await waitUntil(() => s.ports.size === 2)).toBe(true);
      const velodyne = play(VLP16, "--udp", `velodyne:127.0.0.1:${s.ports.get("vlp16")}`, "--loop", "--duration", "3");
      const radar = play(ARS548, "--udp", `ars548:127.0.0.1:${s.ports.get("ars548")}`, "--loop", "--duration", "3");
      expect((await velodyne).code).toBe(0);
      expect((await radar).code).toBe(0);
      expect(await waitUntil(() => s.ticks.some((t) => t.scene.health.sensors.every((h) => h.status === "MISSING")), 1500)).toBe(true);
      s.stop();

      // What the pipeline was fed: the frames the UDP drivers decoded (its typed frame entry); and
      // the frames the aligner put into ticks.
      const liveFrames = s.frames;
      const replay = await replayFrames(VLP16);
      const replayCounts = new Set(replay.filter((f): f is PointCloudFrame => f.kind === "lidar").map((f) => f.count));
      const lidarCounts = liveFrames.filter((f): f is PointCloudFrame => f.kind === "lidar").map((f) => f.count);
      const included = s.ticks.flatMap((t) =>
        t.synced.sensors.flatMap((x) => (x.status === "included" && x.frame?.kind === "lidar" ? [x.frame.count] : [])),
      );
      console.log(
        `VLP-16 rotations: replay ${[...replayCounts].join(", ")}; live ${lidarCounts.length} rotations, ${lidarCounts.filter((n) => replayCounts.has(n)).length} with a replay count; ` +
          `${included.length} used in ticks (load ${os.loadavg()[0]!.toFixed(1)})`,
      );
      // Every pass of the loop gives the recording's full rotations again (the rotation that spans
      // the loop's seam is cut differently).
      expect(lidarCounts.length).toBeGreaterThanOrEqual(6);
      expect(lidarCounts.filter((n) => replayCounts.has(n)).length / lidarCounts.length).toBeGreaterThanOrEqual(0.5);
      expect(included.length).toBeGreaterThan(0);
      for (const n of included) expect(lidarCounts).toContain(n);
      const ars = await replayFrames(ARS548);
      expect(ars.reduce((n, f) => n + (f.kind === "radar" ? f.detections.length : 0), 0)).toBe(308);
      const radarFrames = liveFrames.filter((f): f is RadarFrame => f.kind === "radar");
      expect(radarFrames.some((f) => f.detections.length === 308)).toBe(true);
      expect(radarFrames.some((f) => f.objects.length === 50)).toBe(true);
      expect(s.session.stats().decodeErrors).toBe(0);
      expect(s.stats.sensors.get("ars548")!.malformed).toBe(0);
      expect(s.session.stats().decodedBySensor.get("ars548")).toBeGreaterThan(0);

      // Scenes with evidence from both.
      const kinds = new Set(s.ticks.flatMap((t) => t.evidence.evidence.map((e) => e.kind)));
      expect(kinds).toContain("lidar");
      expect(kinds).toContain("radar");
      const reasons = new Map<string, number>();
      for (const t of s.ticks)
        for (const h of t.scene.health.sensors)
          reasons.set(
            `${h.sensorId} ${h.status} ${h.reason.replace(/[\d.]+/g, "N")}`,
            (reasons.get(`${h.sensorId} ${h.status} ${h.reason.replace(/[\d.]+/g, "N")}`) ?? 0) + 1,
          );
      console.log([...reasons].map(([r, n]) => `${n}× ${r}`).join("\n"));
      // Each sensor was healthy at some tick (the real VLP-16 reads DEGRADED: the LiDAR encoder,
      // trained on simulated sweeps, rates its quality low on it with the default mounting).
      const everUp = new Set(
        s.ticks.flatMap((t) => t.scene.health.sensors.filter((h) => h.status === "OK" || h.status === "DEGRADED").map((h) => h.sensorId)),
      );
      expect([...everUp].sort()).toEqual(["ars548", "vlp16"]);
      // The radar's mounting went in as /tf; the LiDAR's did not (one-line warning, default mounting).
      // Viewers get the input topics too: the rotations as point clouds, the radar lists as scans, the mounting.
      expect(s.messages.some((m) => m.topic === "/tf")).toBe(true);
      expect(new Set(s.messages.map((m) => `${m.topic} ${m.schemaName}`))).toEqual(
        new Set(["/tf foxglove.FrameTransforms", "udp:velodyne:0 foxglove.PointCloud", "udp:ars548:0 avfusion.RadarScan"]),
      );
      expect(s.notices.filter((n) => n.includes("no transform for frame")).map((n) => n.split(":")[1]!.trim())).toEqual(["vlp16"]);
    },
  );

  withData(
    "garbage and truncated datagrams are counted (bridge and scene health) and skipped; a 10× flood is cut by the rate limit, counted, memory bounded",
    async () => {
      const s = startUdpSession({ maxVelodyne: 500 });
      expect(await waitUntil(() => s.ports.size === 2)).toBe(true);
      const sock = dgram.createSocket("udp4");
      const send = (buf: Uint8Array, port: number) => new Promise<void>((resolve) => sock.send(buf, port, "127.0.0.1", () => resolve()));
      const radarPort = s.ports.get("ars548")!;
      const velodynePort = s.ports.get("vlp16")!;
      // Valid traffic first (so both sensors are planned), then garbage in between, then a flood.
      const radar = play(ARS548, "--udp", `ars548:127.0.0.1:${radarPort}`, "--loop", "--duration", "6");
      const normal = play(VLP16, "--udp", `velodyne:127.0.0.1:${velodynePort}`, "--loop", "--duration", "2");
      expect(await waitUntil(() => s.stats.sensors.get("ars548")!.datagrams > 0 && s.stats.sensors.get("vlp16")!.frames > 0, 3000)).toBe(
        true,
      );
      for (const g of [new Uint8Array(0), new Uint8Array([1, 2, 3]), new Uint8Array(500).fill(0xab), new Uint8Array(40)])
        await send(g, radarPort);
      for (const g of [new Uint8Array(7), new Uint8Array(1206).fill(0x55)]) await send(g, velodynePort);
      expect((await normal).code).toBe(0);
      const flood = play(VLP16, "--udp", `velodyne:127.0.0.1:${velodynePort}`, "--loop", "--rate", "10", "--duration", "2");
      const flooded = await flood;
      expect(flooded.code).toBe(0);
      console.log(`flood: ${flooded.out.trim()}`);
      expect((await radar).code).toBe(0);
      await delay(300);
      s.stop();
      sock.close();
      const v = s.stats.sensors.get("vlp16")!;
      const r = s.stats.sensors.get("ars548")!;
      const last = s.ticks[s.ticks.length - 1]!;
      const h = new Map(last.scene.health.sensors.map((x) => [x.sensorId, x]));
      console.log(
        `UDP faults: vlp16 ${JSON.stringify({ ...v, lastDatagramAt: undefined })}, max queued ${s.stats.maxQueued}; ` +
          `health malformed ars548 ${h.get("ars548")!.malformed}, vlp16 ${h.get("vlp16")!.malformed}; bridge malformed ars548 ${r.malformed}, vlp16 ${v.malformed}; decode errors ${s.session.stats().decodeErrors} (load ${os.loadavg()[0]!.toFixed(1)})`,
      );
      // Garbage: 4 datagrams to the radar (empty, 3 bytes, 500 bytes of 0xab, 40 zero bytes), 2 to the LiDAR.
      // The UDP drivers' datagram decoders count them (bridge counters), not the pipeline's decode stage.
      expect(h.get("ars548")!.malformed).toBeGreaterThanOrEqual(3);
      expect(r.malformed).toBeGreaterThanOrEqual(3);
      expect(last.bridge.byTopic.get("udp:ars548:0")!.malformed).toBe(r.malformed);
      expect(v.droppedRate).toBeGreaterThan(0);
      expect(s.stats.maxQueued).toBeLessThanOrEqual(256);
      expect(v.decoded + v.droppedRate + v.droppedQueue).toBe(v.datagrams);
      // The flood's drops reach the scene's health output and the bridge counters.
      expect(h.get("vlp16")!.dropped).toBeGreaterThanOrEqual(v.droppedRate + v.droppedQueue);
      expect(last.bridge.dropped).toBe(v.droppedRate + v.droppedQueue + r.droppedRate + r.droppedQueue);
      // Ticks kept coming through it all.
      expect(s.ticks.length).toBeGreaterThanOrEqual(20);
    },
  );
});
