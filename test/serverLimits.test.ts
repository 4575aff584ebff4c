/**
 * The Foxglove WebSocket server holds its ground, on real loopback sockets: foreign origins, a
 * wrong token and clients past the cap are refused during the upgrade; wss:// with a certificate;
 * oversized incoming frames close the client without growing the server's memory; a client that
 * stops reading, or floods requests without reading, is cut off while another keeps receiving;
 * loopback by default, serving beyond it needs a token and always warns.
 */
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { WebSocket } from "ws";
import { main } from "../src/cli/main";
import { serveOptions } from "../src/cli/serveFlags";
import { recordingChannels, serveRecording, createPlaybackStats } from "../src/play/serveRecording";
import { FoxgloveWsServer, type FoxgloveWsServerOptions, type PublishRecord } from "../src/sinks/foxglove/FoxgloveWsServer";
import { foxgloveWebSocketSource } from "../src/sources/bridge/foxgloveWebSocketSource";
import { FileReadable } from "../src/sources/mcap/FileReadable";
import { BadInputError } from "../src/types/errors";
import { DEFAULT_RECORDING, delay, exists, waitUntil } from "./bridgeHelpers";

const PROTOCOL = "foxglove.websocket.v1";
let servers: FoxgloveWsServer[] = [];
let cleanups: (() => void)[] = [];

afterEach(async () => {
  cleanups.forEach((c) => c());
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
  cleanups = [];
});

async function listen(options: FoxgloveWsServerOptions = {}): Promise<FoxgloveWsServer> {
  const server = await FoxgloveWsServer.listen(options);
  servers.push(server);
  return server;
}

type Outcome = { open: true; ws: WebSocket } | { open: false; status?: number; headers?: http.IncomingHttpHeaders; error?: string };

/** Opens a ws client; resolves once the server said hello (serverInfo) or the upgrade failed. */
function connect(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, [PROTOCOL], options);
    cleanups.push(() => ws.terminate());
    ws.on("unexpected-response", (_req, res) => {
      resolve({ open: false, status: res.statusCode, headers: res.headers });
      res.resume();
      ws.terminate();
    });
    ws.on("error", (err) => resolve({ open: false, error: err.message }));
    ws.once("message", (data) => {
      const op = (JSON.parse(String(data)) as { op: string }).op;
      resolve(op === "serverInfo" ? { open: true, ws } : { open: false, error: `first op ${op}` });
    });
  });
}

/** A raw TCP client that does the WebSocket upgrade by hand; resolves with the response head. */
async function rawUpgrade(port: number): Promise<{ socket: net.Socket; head: string }> {
  const socket = net.connect(port, "127.0.0.1");
  cleanups.push(() => socket.destroy());
  socket.on("error", () => undefined);
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  const key = crypto.randomBytes(16).toString("base64");
  socket.write(
    `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${PROTOCOL}\r\n\r\n`,
  );
  let got = "";
  await new Promise<void>((resolve) => {
    const onData = (chunk: Buffer): void => {
      got += chunk.toString("latin1");
      if (!got.includes("\r\n\r\n")) return;
      socket.off("data", onData);
      resolve();
    };
    socket.on("data", onData);
  });
  return { socket, head: got.slice(0, got.indexOf("\r\n\r\n")) };
}

/** A masked client frame header (FIN set) for a payload of `length` bytes. */
function frameHeader(opcode: number, length: number): Buffer {
  const ext = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const h = Buffer.from([0x80 | opcode, 0x80 | (ext === 0 ? length : ext === 2 ? 126 : 127), ...Array<number>(ext).fill(0), 1, 2, 3, 4]);
  if (ext === 2) h.writeUInt16BE(length, 2);
  if (ext === 8) h.writeBigUInt64BE(BigInt(length), 2);
  return h;
}

function maskedText(text: string): Buffer {
  const payload = Buffer.from(text, "utf8");
  const header = frameHeader(1, payload.length);
  const mask = header.subarray(header.length - 4);
  return Buffer.concat([header, payload.map((b, i) => b ^ mask[i % 4]!)]);
}

function record(topic: string, data: number[]): PublishRecord {
  return {
    topic,
    schemaName: "test.Msg",
    schemaEncoding: "jsonschema",
    schemaData: new TextEncoder().encode("{}"),
    messageEncoding: "json",
    data: new Uint8Array(data),
  };
}

/** Our own source, subscribed to everything: counts the first byte of each message it gets. */
function goodClient(server: FoxgloveWsServer, topic: string, url = server.url): { got: number[] } {
  const got: number[] = [];
  const sub = foxgloveWebSocketSource({ url, allTopics: true, buffer: { mode: "lossless" } }).subscribe((e) => {
    if (e.type === "message") got.push(e.message.data[0]!);
  });
  cleanups.push(() => sub.unsubscribe());
  server.advertise(record(topic, []));
  return { got };
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) } };
}
const argv = (...args: string[]): string[] => ["node", "avfusion", ...args];

/** A self-signed certificate for localhost / 127.0.0.1, or undefined when openssl is missing. */
function selfSigned(): { cert: string; key: string; dir: string } | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "avfusion-tls-"));
  const cert = path.join(dir, "cert.pem");
  const key = path.join(dir, "key.pem");
  try {
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"].concat([
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-keyout",
        key,
        "-out",
        cert,
      ]),
      { stdio: "ignore" },
    );
  } catch {
    return undefined;
  }
  return { cert, key, dir };
}

const tls = selfSigned();
if (!tls) console.warn("skipping the wss:// tests: openssl is not available to make a self-signed certificate");
const withTls = tls ? it : it.skip;
afterAll(() => tls && fs.rmSync(tls.dir, { recursive: true, force: true }));

const withRecording = exists(DEFAULT_RECORDING) ? it : it.skip;

describe("Foxglove WebSocket server limits", () => {
  it("Origin: missing and loopback origins let in, a foreign one and `null` refused with 403, the allow-list let in", async () => {
    const server = await listen({ allowOrigins: ["https://app.foxglove.dev"] });
    expect((await connect(server.url)).open).toBe(true);
    expect((await connect(server.url, { origin: "http://localhost:5173" })).open).toBe(true);
    expect((await connect(server.url, { origin: "http://127.0.0.1:8080" })).open).toBe(true);
    expect((await connect(server.url, { origin: "http://[::1]:3000" })).open).toBe(true);
    expect((await connect(server.url, { origin: "https://app.foxglove.dev" })).open).toBe(true);
    const foreign = await connect(server.url, { origin: "https://evil.example" });
    expect(foreign).toMatchObject({ open: false, status: 403 });
    // A page on a name that merely starts like localhost is foreign too.
    expect(await connect(server.url, { origin: "http://localhost.evil.example" })).toMatchObject({ open: false, status: 403 });
    expect(await connect(server.url, { origin: "null" })).toMatchObject({ open: false, status: 403 });
    expect(server.stats.refused).toEqual({ origin: 3, token: 0, full: 0 });
    expect(server.stats.connections).toBe(5);
    // A plain HTTP request is told to upgrade.
    const res = await fetch(`http://127.0.0.1:${server.port}/`);
    expect(res.status).toBe(426);
    // With no allow-list, even the Foxglove web app is foreign.
    expect(await connect((await listen()).url, { origin: "https://app.foxglove.dev" })).toMatchObject({ open: false, status: 403 });
  });

  it("token: missing or wrong refused with 401 during the upgrade; ?token= and Bearer let in; our own client connects", async () => {
    const token = "s3cret-t0ken";
    const server = await listen({ token });
    const missing = await connect(server.url);
    expect(missing).toMatchObject({ open: false, status: 401 });
    expect((missing as { headers: http.IncomingHttpHeaders }).headers["www-authenticate"]).toMatch(/^Bearer/);
    expect(await connect(`${server.url}/?token=wrong`)).toMatchObject({ open: false, status: 401 });
    expect(await connect(server.url, { headers: { Authorization: "Bearer wrong" } })).toMatchObject({ open: false, status: 401 });
    expect(server.stats.connections).toBe(0);
    expect((await connect(`${server.url}/?token=${token}`)).open).toBe(true);
    expect((await connect(server.url, { headers: { Authorization: `Bearer ${token}` } })).open).toBe(true);
    expect(server.stats.refused.token).toBe(3);

    // foxgloveWebSocketSource takes the token in its URL, unchanged.
    const { got } = goodClient(server, "/a", `${server.url}/?token=${token}`);
    await server.waitForSubscribers(["/a"]);
    server.publish(record("/a", [7]));
    expect(await waitUntil(() => got.length === 1)).toBe(true);
    expect(got).toEqual([7]);
    const refused = await new Promise<Error>((resolve) => {
      const s = foxgloveWebSocketSource({ url: `${server.url}/?token=nope`, reconnect: { maxAttempts: 1 } }).subscribe({ error: resolve });
      cleanups.push(() => s.unsubscribe());
    });
    expect(refused.message).toMatch(/cannot connect: Unexpected server response: 401; gave up after 1 attempt/);
  });

  withTls("TLS: wss:// with the certificate; a client that does not trust it cannot connect", async () => {
    const server = await listen({ tls: { cert: fs.readFileSync(tls!.cert), key: fs.readFileSync(tls!.key) } });
    expect(server.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
    const trusted = await connect(server.url, { ca: fs.readFileSync(tls!.cert) });
    expect(trusted.open).toBe(true);
    const untrusted = await connect(server.url);
    expect(untrusted.open).toBe(false);
    expect((untrusted as { error: string }).error).toMatch(/self[- ]signed/i);
    // Plain ws:// to a TLS port gets nowhere either.
    expect((await connect(`ws://127.0.0.1:${server.port}`)).open).toBe(false);
  });

  withTls("play --serve with --tls-cert / --tls-key and a token from AVFUSION_TOKEN: wss:// and the token required", async () => {
    process.env.AVFUSION_TOKEN = "env-token-123";
    cleanups.push(() => delete process.env.AVFUSION_TOKEN);
    const p = io();
    const args = ["play", DEFAULT_RECORDING, "--serve", "0", "--tls-cert", tls!.cert, "--tls-key", tls!.key, "--duration", "3"];
    // No client subscribes, so play waits for one until --duration ends it.
    const playing = main(argv(...args), p.io);
    expect(await waitUntil(() => /serving on wss:\/\/127\.0\.0\.1:\d+/.test(p.err.join("")))).toBe(true);
    const url = /serving on (wss:\/\/\S+)/.exec(p.err.join(""))![1]!;
    const ca = fs.readFileSync(tls!.cert);
    expect(await connect(url, { ca })).toMatchObject({ open: false, status: 401 });
    expect((await connect(`${url}/?token=env-token-123`, { ca })).open).toBe(true);
    cleanups.forEach((c) => c());
    expect(await playing).toBe(0);
    expect(p.err.join("")).toContain(
      "play: server: 0 slow client(s) cut off, 0 closed for a bad frame, 1 connection(s) refused (0 origin, 1 token, 0 full)",
    );
  });

  it("client cap: past maxClients refused with 503; a place freed is taken again", async () => {
    const server = await listen({ maxClients: 2 });
    const a = await connect(server.url);
    expect(a.open).toBe(true);
    expect((await connect(server.url)).open).toBe(true);
    expect(await connect(server.url)).toMatchObject({ open: false, status: 503 });
    expect(server.stats.refused.full).toBe(1);
    (a as { ws: WebSocket }).ws.close();
    expect(await waitUntil(() => server.stats.clients === 1)).toBe(true);
    expect((await connect(server.url)).open).toBe(true);
    expect(server.stats.clients).toBe(2);
  });

  it("8 clients each sending a 95 MiB frame: each closed at the frame header, server memory stays put, a good client unharmed", async () => {
    const server = await listen();
    const good = goodClient(server, "/a");
    await server.waitForSubscribers(["/a"]);
    const publishing = setInterval(() => server.publish(record("/a", [1])), 5);
    global.gc?.();
    const before = process.memoryUsage();
    let peakRss = before.rss;
    let peakBuffers = before.arrayBuffers;
    const sample = setInterval(() => {
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      peakBuffers = Math.max(peakBuffers, m.arrayBuffers);
    }, 5);
    const chunk = Buffer.alloc(256 * 1024, 0x5a);
    const FRAME = 95 * 1024 * 1024;
    const written = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const { socket, head } = await rawUpgrade(server.port);
        expect(head).toMatch(/^HTTP\/1\.1 101 /);
        let sent = 0;
        let closed = false;
        socket.on("close", () => (closed = true));
        socket.resume();
        socket.write(frameHeader(2, FRAME));
        // Keep streaming the payload (as a hostile client would) until the server hangs up.
        while (!closed && sent < FRAME) {
          sent += chunk.length;
          if (!socket.write(chunk)) await new Promise((r) => (socket.once("drain", r), socket.once("close", r)));
        }
        return sent;
      }),
    );
    clearInterval(sample);
    expect(await waitUntil(() => server.stats.closedBadFrame === 8 && server.stats.clients === 1)).toBe(true);
    // The good client is still connected and still receiving.
    const gotBefore = good.got.length;
    expect(await waitUntil(() => good.got.length > gotBefore + 5)).toBe(true);
    clearInterval(publishing);
    // Every client was cut off long before its 95 MiB were through.
    for (const n of written) expect(n).toBeLessThan(FRAME / 2);
    const grewMiB = (peakRss - before.rss) / 1048576;
    const buffersMiB = (peakBuffers - before.arrayBuffers) / 1048576;
    // Without the 1 MiB limit ws buffers every frame: 8 × 95 MiB ≈ 760 MiB.
    expect(grewMiB).toBeLessThan(120);
    expect(buffersMiB).toBeLessThan(64);
  });

  withRecording("a client that stops reading is cut off (1008); another keeps receiving all along, playback never freezes", async () => {
    const limit = 512 * 1024;
    const server = await listen({ maxBufferedBytes: limit, slowClientMs: 1000 });
    const file = await FileReadable.open(DEFAULT_RECORDING);
    cleanups.push(() => void file.close());
    const channels = await recordingChannels(file);
    const ids = channels.map((ch) => server.advertise(ch));
    // The good client: our own source, lossless.
    let good = 0;
    const sub = foxgloveWebSocketSource({ url: server.url, allTopics: true, buffer: { mode: "lossless" } }).subscribe((e) => {
      if (e.type === "message") good++;
    });
    cleanups.push(() => sub.unsubscribe());
    // The stuck one: subscribes to everything, then never reads again.
    const { socket } = await rawUpgrade(server.port);
    socket.write(maskedText(JSON.stringify({ op: "subscribe", subscriptions: ids.map((channelId, id) => ({ id, channelId })) })));
    socket.pause();
    let stuckClosed = false;
    socket.on("close", () => (stuckClosed = true));
    await server.waitForSubscribers(channels.map((c) => c.topic));
    expect(await waitUntil(() => server.stats.clients === 2)).toBe(true);
    await delay(100);

    const abort = new AbortController();
    const stats = createPlaybackStats();
    const playing = serveRecording(file, server, {
      rate: 4,
      loop: true,
      waitFor: "none",
      signal: abort.signal,
      stats,
      highWaterBytes: 128 * 1024,
      slowClientWaitMs: 300,
    });
    let maxQueued = 0;
    const sampler = setInterval(() => (maxQueued = Math.max(maxQueued, server.maxBufferedAmount)), 5);
    // Over its limit: the stuck client's messages are dropped from here on ...
    expect(await waitUntil(() => server.stats.droppedSlowClient > 0)).toBe(true);
    const goodAtOverLimit = good;
    const sentAtOverLimit = stats.sent;
    // ... and 1 s later it is cut off.
    expect(await waitUntil(() => server.stats.closedSlowClient === 1)).toBe(true);
    const goodWhileOver = good - goodAtOverLimit;
    const sentWhileOver = stats.sent - sentAtOverLimit;
    await delay(300);
    abort.abort();
    await playing;
    clearInterval(sampler);
    // While the stuck client was over its limit (≥ 1 s at ×4 ≈ 270 messages/s), playback went on
    // and the good client got those messages (an old server sent nothing at all in that time).
    expect(sentWhileOver).toBeGreaterThan(50);
    expect(goodWhileOver).toBeGreaterThan(50);
    // The good client lost nothing: every message played reached it.
    expect(await waitUntil(() => good === stats.sent)).toBe(true);
    expect(server.stats.clients).toBe(1);
    // What the stuck client held in the server was bounded by the limit (+ one message in flight).
    expect(maxQueued).toBeLessThan(limit + 1024 * 1024);
    // Once it reads again it finds the connection closed.
    socket.resume();
    expect(await waitUntil(() => stuckClosed)).toBe(true);
  });

  withRecording("a client that reads at about half the rate puts playback slowClientWaitMs behind at most, never further", async () => {
    const server = await listen({ maxBufferedBytes: 256 << 20, slowClientMs: 60_000 });
    const file = await FileReadable.open(DEFAULT_RECORDING);
    cleanups.push(() => void file.close());
    const ids = (await recordingChannels(file)).map((ch) => server.advertise(ch));
    const { socket } = await rawUpgrade(server.port);
    socket.write(maskedText(JSON.stringify({ op: "subscribe", subscriptions: ids.map((channelId, id) => ({ id, channelId })) })));
    socket.pause();
    // At most 8 × 16 KiB every 10 ms (~6 MB/s here) while playback at ×4 sends ~9.5 MB/s: each wait
    // for it is short, but they follow one another (an old server slipped ~0.3 s more every second).
    const reading = setInterval(() => {
      for (let k = 0; k < 8 && socket.readableLength > 0; k++) socket.read();
    }, 10);
    cleanups.push(() => clearInterval(reading));
    await waitUntil(() => server.topics.some((t) => server.isSubscribed(t)));
    const abort = new AbortController();
    const stats = createPlaybackStats();
    const options = { rate: 4, loop: true, waitFor: "none" as const, signal: abort.signal, stats, highWaterBytes: 128 * 1024 };
    const playing = serveRecording(file, server, { ...options, slowClientWaitMs: 300 });
    await delay(4000);
    abort.abort();
    await playing;
    // Playback did wait for it, by the budget and no more; nothing was dropped (under the queue limit).
    expect(stats.maxLagMs).toBeGreaterThan(100);
    expect(stats.maxLagMs).toBeLessThan(300 + 200);
    expect(server.stats.droppedSlowClient).toBe(0);
  });

  it("a client that keeps sending requests but never reads is cut at twice its queue limit, long before the lag bound", async () => {
    const limit = 256 * 1024;
    const server = await listen({ maxBufferedBytes: limit, slowClientMs: 60_000 });
    const good = goodClient(server, "/a");
    await server.waitForSubscribers(["/a"]);
    const { socket } = await rawUpgrade(server.port);
    socket.pause();
    let closed = false;
    socket.on("close", () => (closed = true));
    // Each unknown channel earns a ~100-byte status reply (a control message, never dropped): ×3.5.
    const subscriptions = Array.from({ length: 4000 }, (_, i) => ({ id: i, channelId: 10_000 + i }));
    const frame = maskedText(JSON.stringify({ op: "subscribe", subscriptions }));
    let maxQueued = 0;
    const started = performance.now();
    for (let i = 0; i < 2000 && !closed && server.stats.closedSlowClient === 0; i++) {
      if (!socket.write(frame)) await new Promise((r) => (socket.once("drain", r), socket.once("close", r)));
      server.publish(record("/a", [2]));
      maxQueued = Math.max(maxQueued, server.maxBufferedAmount);
      await delay(0);
    }
    expect(server.stats.closedSlowClient).toBe(1);
    expect(performance.now() - started).toBeLessThan(10_000);
    // Its queue stopped at twice the limit plus the replies to one request frame.
    expect(maxQueued).toBeLessThan(2 * limit + 1024 * 1024);
    expect(server.stats.clients).toBe(1);
    const gotBefore = good.got.length;
    server.publish(record("/a", [3]));
    expect(await waitUntil(() => good.got.length > gotBefore)).toBe(true);
  });

  it("loopback by default; beyond it: refused without a token, else always one warning (--insecure, no TLS, both)", async () => {
    await expect(FoxgloveWsServer.listen({ host: "0.0.0.0" })).rejects.toThrow(
      new BadInputError({
        where: "Foxglove WebSocket server --host 0.0.0.0",
        what: "not a loopback address and no token",
        expected: "--token T (or AVFUSION_TOKEN), or --insecure to let in anyone who can reach it",
      }),
    );
    const insecure = await listen({ host: "0.0.0.0", insecure: true });
    expect(insecure.warnings).toEqual([
      "serving on 0.0.0.0 with no token (--insecure): anyone who can reach this address can read the stream",
    ]);
    const tokened = await listen({ host: "0.0.0.0", token: "abcdefgh" });
    expect(tokened.warnings).toEqual([
      "serving on 0.0.0.0 without TLS: the token and the stream cross the network in clear text (--tls-cert, --tls-key)",
    ]);
    if (tls) {
      const both = await listen({
        host: "0.0.0.0",
        token: "abcdefgh",
        tls: { cert: fs.readFileSync(tls.cert), key: fs.readFileSync(tls.key) },
      });
      expect(both.warnings).toEqual(["serving on 0.0.0.0: reachable from the network, clients need the token (wss://)"]);
    }
    expect((await listen({ host: "localhost" })).warnings).toEqual([]);
    // Loopback by default: not reachable on this machine's other addresses.
    const dflt = await listen();
    expect([dflt.host, dflt.warnings]).toEqual(["127.0.0.1", []]);
    const lan = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
    if (lan) expect((await connect(`ws://${lan}:${dflt.port}`)).open).toBe(false);
    // The CLI prints the warning, one line.
    const r = io();
    const args = ["play", DEFAULT_RECORDING, "--serve", "0", "--no-wait", "--duration", "0.2", "--host", "0.0.0.0", "--insecure"];
    expect(await main(argv(...args, "--topics", "/none"), r.io)).toBe(0);
    expect(r.err.join("")).toMatch(/^avfusion: warning: serving on 0\.0\.0\.0 with no token \(--insecure\): anyone who can reach/);
  });

  it("CLI: the guard flags are checked at start, one line and exit 2", async () => {
    const cases: [string[], RegExp][] = [
      [
        ["--host", "0.0.0.0"],
        /^avfusion: Foxglove WebSocket server --host 0\.0\.0\.0: not a loopback address and no token, expected --token T/,
      ],
      [["--max-clients", "0"], /^avfusion: --max-clients 0: expected an integer 1\.\.1024\n$/],
      [["--tls-cert", "x.pem"], /^avfusion: --tls-cert \/ --tls-key: only one given, expected both/],
      [["--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.pem"], /^avfusion: --tls-cert \/nonexistent\.pem: ENOENT/],
      [["--allow-origin", "app.foxglove.dev"], /^avfusion: --allow-origin app\.foxglove\.dev: expected a browser origin/],
      [["--send-buffer-limit", "0.5"], /^avfusion: --send-buffer-limit 0\.5: expected a number 1\.\.1024\n$/],
      [["--slow-client-timeout", "soon"], /^avfusion: --slow-client-timeout soon: expected a number 0\.1\.\.3600\n$/],
      [["--token", "has space"], /^avfusion: --token: 9 character\(s\), expected 1 to 256 printable characters, no spaces\n$/],
    ];
    for (const [flags, expected] of cases) {
      const r = io();
      expect(await main(argv("play", DEFAULT_RECORDING, "--serve", "0", "--no-wait", ...flags), r.io)).toBe(2);
      expect(r.err.join("")).toMatch(expected);
      expect(r.err.join("").split("\n").length).toBe(2);
    }
    // The limits reach the server in its units; the token comes from the environment unless --token.
    const flags = { host: "127.0.0.1", allowOrigin: [], maxClients: "3", sendBufferLimit: "1.5", slowClientTimeout: "0.5" };
    expect(await serveOptions(flags, { AVFUSION_TOKEN: "from-env" })).toMatchObject({
      maxClients: 3,
      maxBufferedBytes: 1.5 * 1048576,
      slowClientMs: 500,
      token: "from-env",
    });
    expect(await serveOptions({ ...flags, token: "flag" }, { AVFUSION_TOKEN: "from-env" })).toMatchObject({ token: "flag" });
  });
});
