/**
 * Live pipeline latency on loopback: arrival of a message (WebSocket) or of a datagram (UDP) →
 * the scene state that used it is ready (decode, wait for the tick's deadline, encoders, fusion,
 * scene), p50 / p99 / max per sensor with hdr-histogram-js, plus the ticks dropped while busy.
 *
 *   node --require ./bench/register.js bench/liveLatency.ts [--ws-passes N] [--udp-seconds S] [--skip-s 2] [--only ws|udp]
 *
 * The sender runs in its own process (`avfusion play`, as on a rig); the live pipeline
 * (`startLive`: decode → sync → encoders → fusion → scene, drop-to-latest) runs here on the
 * tfjs backend `selectBackend` picks. WebSocket: recordings/default.mcap at real time, N passes
 * (one fresh session each). UDP: the nebula VLP-16 and ARS548 recordings looped for S seconds. For UDP, "arrival" is
 * the frame's `receivedAt`: the arrival of the datagram that completed it (an ARS548 list's own
 * datagram; a Velodyne rotation's last packet, so the ~100 ms sweep is not included).
 */
import { spawn } from "node:child_process";
import dgram from "node:dgram";
import os from "node:os";
import path from "node:path";
import * as hdr from "hdr-histogram-js";
import { startLive, udpInput, wsInput, type LiveInput, type LiveTick } from "../src/live";
import { nodeModelFiles } from "../src/runtime/nodeModelFiles";
import { selectBackend } from "../src/runtime/selectBackend";

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const WS_PASSES = Number(arg("--ws-passes", "3"));
const UDP_SECONDS = Number(arg("--udp-seconds", "10"));
const ONLY = arg("--only", "");
const SKIP_S = Number(arg("--skip-s", "2"));
const ROOT = path.resolve(__dirname, "..");
const NEBULA = path.resolve(ROOT, "../shared/data/recordings-external/nebula-mcap");

const histogram = (): hdr.Histogram =>
  hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3 });
function row(name: string, h: hdr.Histogram): string {
  const ms = (v: number): string => (v / 1000).toFixed(1).padStart(8);
  return `${name.padEnd(28)} n=${String(h.totalCount).padStart(5)}  p50 ${ms(h.getValueAtPercentile(50))} ms  p99 ${ms(h.getValueAtPercentile(99))} ms  max ${ms(h.maxValue)} ms`;
}
const load = (): string =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");

function play(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--require", "./bench/register.js", "src/cli/run.ts", "play", ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`play exited ${code}: ${err.trim()}`))));
  });
}

type Histograms = {
  all: hdr.Histogram;
  bySensor: Map<string, hdr.Histogram>;
  ticks: number;
  dropped: number;
  skipped: number;
  decodeErrors: number;
};
const histograms = (): Histograms => ({ all: histogram(), bySensor: new Map(), ticks: 0, dropped: 0, skipped: 0, decodeErrors: 0 });

/**
 * One live session on `input` while `run` plays; samples go into `h`. Ticks within SKIP_S of the
 * session's first tick are left out (counted): they measure start-up (the warm-up's messages fed at
 * once, the first inference of each encoder), not steady state.
 */
async function measure(h: Histograms, input: LiveInput, run: () => Promise<string>): Promise<string> {
  let first: bigint | undefined;
  const session = startLive({ input, models: { files: nodeModelFiles() } });
  const sub = session.ticks.subscribe((t: LiveTick) => {
    h.ticks++;
    first ??= t.readyAt;
    if (t.readyAt - first < BigInt(Math.round(SKIP_S * 1e9))) {
      h.skipped++;
      return;
    }
    for (const [id, ms] of Object.entries(t.arrivalToSceneMs)) {
      let s = h.bySensor.get(id);
      if (!s) h.bySensor.set(id, (s = histogram()));
      const us = Math.max(1, Math.round(ms * 1000));
      s.recordValue(us);
      h.all.recordValue(us);
    }
  });
  const played = await run();
  await new Promise((r) => setTimeout(r, 1500));
  sub.unsubscribe();
  const st = session.stats();
  h.dropped += st.droppedTicks;
  h.decodeErrors += st.decodeErrors;
  return played;
}

function report(label: string, h: Histograms, loadBefore: string, played: string[]): void {
  console.log(`\n${label}: ${played.join(" | ")}`);
  console.log(
    `load average before ${loadBefore}, after ${load()}; ${h.ticks} scene ticks (${h.skipped} start-up ticks left out), ${h.dropped} dropped while busy; decode errors ${h.decodeErrors}`,
  );
  console.log(row("arrival → scene (all)", h.all));
  for (const [id, x] of [...h.bySensor].sort()) console.log(row(`  ${id}`, x));
}

async function freePort(): Promise<number> {
  const s = dgram.createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function main(): Promise<void> {
  const backend = await selectBackend({ log: (line) => console.log(line) });
  void backend;
  console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? "?"} × ${os.cpus().length}`);
  if (ONLY !== "udp") {
    // One fresh session per pass: `play --loop` shifts log times but not the stamps inside the
    // messages, so a looped WebSocket recording's frames would go back in time every pass.
    const h = histograms();
    const loadBefore = load();
    const played: string[] = [];
    for (let pass = 0; pass < WS_PASSES; pass++) {
      const port = await freePort();
      const url = `ws://127.0.0.1:${port}`;
      const playing = play(["recordings/default.mcap", "--serve", String(port)]);
      played.push(await measure(h, wsInput({ url, perTopic: 16 }), () => playing));
    }
    report(`WebSocket: play recordings/default.mcap --serve, ${WS_PASSES} × (6 s, fresh live session)`, h, loadBefore, played);
  }
  if (ONLY !== "ws") {
    const vp = await freePort();
    const rp = await freePort();
    const input = udpInput({
      sensors: [
        { driver: "velodyne", port: vp, host: "127.0.0.1" },
        { driver: "ars548", port: rp, host: "127.0.0.1" },
      ],
    });
    const h = histograms();
    const loadBefore = load();
    const played = await measure(h, input, async () => {
      const [a, b] = await Promise.all([
        play([path.join(NEBULA, "velodyne-vlp16.mcap"), "--udp", `velodyne:127.0.0.1:${vp}`, "--loop", "--duration", String(UDP_SECONDS)]),
        play([
          path.join(NEBULA, "continental-ars548-radar.mcap"),
          "--udp",
          `ars548:127.0.0.1:${rp}`,
          "--loop",
          "--duration",
          String(UDP_SECONDS),
        ]),
      ]);
      return `${a} | ${b}`;
    });
    report(`UDP: play velodyne-vlp16 + continental-ars548 --udp --loop (${UDP_SECONDS} s)`, h, loadBefore, [played]);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
