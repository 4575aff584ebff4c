/**
 * Live bridge latency on loopback (127.0.0.1), p50 / p99 / max with hdr-histogram-js.
 *
 *   node --require ./bench/register.js bench/bridge.ts [--rate R] [--passes N]
 *
 * WebSocket: recordings/default.mcap published by our FoxgloveWsServer at real time × R (stamped
 * with the wall clock at publish), received by foxgloveWebSocketSource (lossless), decoded with
 * createDecoder. Reported: publish → arrival (transport), arrival → decoded frame, publish → frame.
 * UDP: the VLP-16 and ARS548 nebula recordings sent as datagrams at real time × R by
 * playRecordingUdp (N passes), received and decoded by udpSource. Reported: arrival of the
 * frame's last datagram → frame emitted (queue wait + decode; a Velodyne frame is a full rotation).
 * Sender and receiver share one Node process, as in the tests.
 */
import os from "node:os";
import path from "node:path";
import * as hdr from "hdr-histogram-js";
import { lastValueFrom, toArray } from "rxjs";
import { createDecoder } from "../src/decode/createDecoder";
import { VENDOR_DECODERS } from "../src/decode/vendorDecoders";
import { FoxgloveWsServer } from "../src/sinks/foxglove/FoxgloveWsServer";
import { wallClockNs } from "../src/sources/bridge/clock";
import { createBridgeStats, foxgloveWebSocketSource } from "../src/sources/bridge/foxgloveWebSocketSource";
import { playRecordingUdp } from "../src/play/udpPlayback";
import { createUdpStats, udpSource } from "../src/sources/bridge/udpSource";
import { createVendorDatagramDecoder } from "../src/decode/vendor/rawPacketDecoders";
import { FileReadable } from "../src/sources/mcap/FileReadable";
import { readRecording } from "../src/sources/mcap/readRecording";

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const RATE = arg("--rate", 1);
const PASSES = arg("--passes", 5);
const ROOT = path.resolve(__dirname, "..");
const NEBULA = path.resolve(ROOT, "../shared/data/recordings-external/nebula-mcap");

const histogram = (): hdr.Histogram =>
  hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
const us = (ns: bigint): number => Math.max(1, Number(ns / 1000n));
function row(name: string, h: hdr.Histogram): string {
  const ms = (v: number): string => (v / 1000).toFixed(2).padStart(8);
  return `${name.padEnd(34)} n=${String(h.totalCount).padStart(5)}  p50 ${ms(h.getValueAtPercentile(50))} ms  p99 ${ms(h.getValueAtPercentile(99))} ms  max ${ms(h.maxValue)} ms`;
}

async function benchWs(): Promise<void> {
  const source = await FileReadable.open(path.join(ROOT, "recordings/default.mcap"));
  const messages = await lastValueFrom(readRecording(source).pipe(toArray()));
  await source.close();
  const server = await FoxgloveWsServer.listen();
  const transport = histogram();
  const decodeH = histogram();
  const total = histogram();
  const byKind = new Map<string, hdr.Histogram>();
  const decoder = createDecoder({ vendor: VENDOR_DECODERS });
  const stats = createBridgeStats();
  let frames = 0;
  const sub = foxgloveWebSocketSource({ url: server.url, allTopics: true, stats, buffer: { mode: "lossless" } }).subscribe((e) => {
    if (e.type !== "message") return;
    const m = e.message;
    const result = decoder.decode(m);
    const done = wallClockNs();
    transport.recordValue(us(m.logTime - m.publishTime));
    if (!("messages" in result) || result.messages.length === 0) return;
    frames++;
    decodeH.recordValue(us(done - m.logTime));
    total.recordValue(us(done - m.publishTime));
    const kind = result.messages[0]!.kind;
    if (!byKind.has(kind)) byKind.set(kind, histogram());
    byKind.get(kind)!.recordValue(us(done - m.logTime));
  });
  const topics = [...new Set(messages.map((m) => m.topic))];
  for (const m of messages) server.advertise(m);
  await server.waitForSubscribers(topics);
  const t0 = performance.now();
  const log0 = messages[0]!.logTime;
  for (const m of messages) {
    const due = t0 + Number(m.logTime - log0) / 1e6 / RATE;
    const wait = due - performance.now();
    if (wait >= 1) await new Promise((r) => setTimeout(r, wait));
    server.publish({ ...m, logTime: wallClockNs() });
  }
  for (let i = 0; i < 500 && stats.received < messages.length; i++) await new Promise((r) => setTimeout(r, 10));
  sub.unsubscribe();
  await server.close();
  console.log(
    `WebSocket: ${messages.length} messages of recordings/default.mcap at x${RATE}, ${stats.received} received, ${frames} decoded`,
  );
  console.log(row("  publish -> arrival", transport));
  console.log(row("  arrival -> decoded frame", decodeH));
  for (const [k, h] of byKind) console.log(row(`    ${k}`, h));
  console.log(row("  publish -> decoded frame", total));
}

async function benchUdp(file: string, driver: "velodyne" | "ars548", passes: number): Promise<void> {
  const h = histogram();
  const stats = createUdpStats();
  let port = 0;
  const sub = udpSource({
    sensors: [{ driver, port: 0, host: "127.0.0.1" }],
    stats,
    createDecoder: createVendorDatagramDecoder,
    onListening: (_s, a) => (port = a.port),
  }).subscribe((f) => {
    h.recordValue(us(wallClockNs() - f.receivedAt));
  });
  for (let i = 0; i < 100 && port === 0; i++) await new Promise((r) => setTimeout(r, 10));
  const readable = await FileReadable.open(file);
  const abort = new AbortController();
  const played = await playRecordingUdp(readable, {
    targets: { [driver]: { host: "127.0.0.1", port } },
    rate: RATE,
    loop: true,
    signal: abort.signal,
    onPass: (n) => n >= passes && abort.abort(),
  });
  await readable.close();
  await new Promise((r) => setTimeout(r, 200));
  sub.unsubscribe();
  const s = [...stats.sensors.values()][0]!;
  console.log(
    `UDP ${driver}: ${path.basename(file)} x${passes} passes at x${RATE}: ${played.sent} sent, ${s.datagrams} received, ${s.frames} frames, ` +
      `${s.malformed} malformed, ${s.droppedRate + s.droppedQueue} dropped, max queue ${stats.maxQueued}`,
  );
  console.log(row("  last datagram arrival -> frame", h));
}

(async () => {
  console.log(
    `node ${process.version}, ${os.cpus()[0]?.model ?? "?"} x${os.cpus().length}, load ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  await benchWs();
  await benchUdp(path.join(NEBULA, "velodyne-vlp16.mcap"), "velodyne", PASSES);
  // One pass is 2 lists in 38 ms: many more passes for a meaningful p99.
  await benchUdp(path.join(NEBULA, "continental-ars548-radar.mcap"), "ars548", PASSES * 40);
  console.log(
    `load after: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
})().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
