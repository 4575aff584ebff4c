import { lastValueFrom, toArray, type Subscription } from "rxjs";
import { FoxgloveWsServer, protobufRecord, type PublishRecord } from "../src/sinks/foxglove/FoxgloveWsServer";
import { decodeProto, fileDescriptorSet } from "../src/schemas/protoRegistry";
import { serveRecording } from "../src/play/serveRecording";
import {
  createBridgeStats,
  foxgloveWebSocketSource,
  type BridgeEvent,
  type ConnectionStatus,
} from "../src/sources/bridge/foxgloveWebSocketSource";
import { FileReadable } from "../src/sources/mcap/FileReadable";
import { readRecording } from "../src/sources/mcap/readRecording";
import type { SensorMessage } from "../src/types";
import path from "node:path";
import { createDecoder } from "../src/decode/createDecoder";
import { VENDOR_DECODERS } from "../src/decode/vendorDecoders";
import type { RadarFrame } from "../src/types";
import { DEFAULT_RECORDING, delay, exists, NEBULA_DIR, waitUntil } from "./bridgeHelpers";

const ARS548 = path.join(NEBULA_DIR, "continental-ars548-radar.mcap");

const haveRecording = exists(DEFAULT_RECORDING);
if (!haveRecording) console.warn(`skipping recording tests: ${DEFAULT_RECORDING} is absent`);
const withRecording = haveRecording ? it : it.skip;

let servers: FoxgloveWsServer[] = [];
let subs: Subscription[] = [];
let readables: FileReadable[] = [];

afterEach(async () => {
  subs.forEach((s) => s.unsubscribe());
  await Promise.all(servers.map((s) => s.close()));
  await Promise.all(readables.map((r) => r.close()));
  servers = [];
  subs = [];
  readables = [];
});

async function listen(port = 0): Promise<FoxgloveWsServer> {
  const server = await FoxgloveWsServer.listen({ host: "127.0.0.1", port });
  servers.push(server);
  return server;
}

async function open(file: string): Promise<FileReadable> {
  const r = await FileReadable.open(file);
  readables.push(r);
  return r;
}

function collect(url: string, options: Partial<Parameters<typeof foxgloveWebSocketSource>[0]> = {}) {
  const events: BridgeEvent[] = [];
  const stats = options.stats ?? createBridgeStats();
  const sub = foxgloveWebSocketSource({ url, stats, ...options }).subscribe({ next: (e) => events.push(e) });
  subs.push(sub);
  const messages = (): SensorMessage[] => events.flatMap((e) => (e.type === "message" ? [e.message] : []));
  const statuses = (): ConnectionStatus[] => events.flatMap((e) => (e.type === "status" ? [e.status] : []));
  return { events, stats, sub, messages, statuses };
}

function record(topic: string, data: number[], schemaName = "test.Msg"): PublishRecord {
  return {
    topic,
    schemaName,
    schemaEncoding: "jsonschema",
    schemaData: new TextEncoder().encode("{}"),
    messageEncoding: "json",
    data: new Uint8Array(data),
  };
}

describe("Foxglove WebSocket bridge", () => {
  withRecording("play → client source: exactly the recording's messages, same bytes per topic, in order", async () => {
    const expected = await lastValueFrom(readRecording(await open(DEFAULT_RECORDING)).pipe(toArray()));
    expect(expected.length).toBe(402);
    const server = await listen();
    const client = collect(server.url, { allTopics: true, buffer: { mode: "lossless" } });
    const stats = await serveRecording(await open(DEFAULT_RECORDING), server, { rate: 1000, waitFor: "all" });
    expect(stats.sent).toBe(402);
    expect(await waitUntil(() => client.messages().length >= expected.length)).toBe(true);
    await delay(50);
    const got = client.messages();
    expect(got.length).toBe(expected.length);
    got.forEach((m, i) => {
      const want = expected[i]!;
      expect(m.topic).toBe(want.topic);
      expect(m.schemaName).toBe(want.schemaName);
      expect(m.schemaEncoding).toBe(want.schemaEncoding);
      expect(m.messageEncoding).toBe(want.messageEncoding);
      // The protocol timestamp is the recording's log time.
      expect(m.publishTime).toBe(want.logTime);
      expect(Buffer.from(m.data).equals(Buffer.from(want.data))).toBe(true);
    });
    // Schema bytes survive the base64 round trip (FileDescriptorSet).
    expect(Buffer.from(got[0]!.schemaData).equals(Buffer.from(expected[0]!.schemaData))).toBe(true);
    // Per-topic sequence numbers count from 0 without gaps.
    const lidar = got.filter((m) => m.topic === "/sensors/lidar_top/points").map((m) => m.sequence);
    expect(lidar).toEqual(lidar.map((_, i) => i));
    expect(client.stats.dropped).toBe(0);
    expect(client.stats.malformed).toBe(0);
    expect(server.stats.droppedSlowClient).toBe(0);
  });

  withRecording("server stops mid-stream and comes back: the client reconnects, resubscribes, continues and reports the gap", async () => {
    const first = await listen();
    const port = first.port;
    const client = collect(first.url, {
      allTopics: true,
      buffer: { mode: "lossless" },
      reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    });
    const abort = new AbortController();
    const playing = serveRecording(await open(DEFAULT_RECORDING), first, { rate: 5, waitFor: "all", signal: abort.signal });
    expect(await waitUntil(() => client.messages().length >= 40)).toBe(true);
    abort.abort();
    await playing;
    await first.close();
    expect(await waitUntil(() => client.statuses().some((s) => s.state === "disconnected"))).toBe(true);
    // Nothing arrives on a closed connection: count what came before the drop.
    const before = client.messages().length;
    expect(before).toBeLessThan(402);
    await delay(100);
    // Back on the same port.
    const second = await listen(port);
    const stats = await serveRecording(await open(DEFAULT_RECORDING), second, { rate: 1000, waitFor: "all" });
    expect(await waitUntil(() => client.messages().length >= before + stats.sent)).toBe(true);
    expect(client.messages().length).toBe(before + stats.sent);
    const states = client.statuses().map((s) => s.state);
    expect(states[0]).toBe("connecting");
    expect(states).toContain("disconnected");
    const connected = client.statuses().filter((s): s is Extract<ConnectionStatus, { state: "connected" }> => s.state === "connected");
    expect(connected.length).toBe(2);
    expect(connected[0]!.downtimeNs).toBeUndefined();
    // The gap covers at least the 100 ms the server was down.
    expect(connected[1]!.downtimeNs!).toBeGreaterThanOrEqual(100_000_000n);
    expect(client.stats.connects).toBe(2);
    expect(client.stats.disconnects).toBe(1);
    // Channels of the dead connection were reported gone; the new ones advertised.
    const changes = client.events.flatMap((e) => (e.type === "channel" ? [e.channel.change] : []));
    expect(changes.filter((c) => c === "unadvertised").length).toBe(7);
    expect(changes.filter((c) => c === "advertised").length).toBe(14);
    // After the reconnect the recording arrives again from the start, in order.
    const after = client.messages().slice(before);
    expect(after[0]!.publishTime).toBe(client.messages()[0]!.publishTime);
  });

  it("a channel unadvertised: its topic stops without error, others continue; a schema change re-advertises", async () => {
    const server = await listen();
    const client = collect(server.url, { allTopics: true, buffer: { mode: "lossless" } });
    server.advertise(record("/a", []));
    server.advertise(record("/b", []));
    await server.waitForSubscribers(["/a", "/b"]);
    server.publish(record("/a", [1]));
    server.publish(record("/b", [2]));
    expect(await waitUntil(() => client.messages().length === 2)).toBe(true);
    server.unadvertise("/b");
    server.publish(record("/a", [3]));
    server.publish(record("/b", [4], "test.Other")); // re-advertised with another schema
    await server.waitForSubscribers(["/b"]);
    server.publish(record("/b", [5], "test.Other"));
    expect(await waitUntil(() => client.messages().length === 4)).toBe(true);
    await delay(30);
    const got = client.messages().map((m) => `${m.topic}:${m.schemaName}:${[...m.data].join(",")}`);
    // [4] went out before the client had subscribed to the new channel: not delivered.
    expect(got).toEqual(["/a:test.Msg:1", "/b:test.Msg:2", "/a:test.Msg:3", "/b:test.Other:5"]);
    const changes = client.events.flatMap((e) => (e.type === "channel" ? [`${e.channel.change} ${e.channel.topic}`] : []));
    expect(changes).toEqual(["advertised /a", "advertised /b", "unadvertised /b", "advertised /b"]);
    expect(client.stats.malformed).toBe(0);
    expect(client.statuses().map((s) => s.state)).toEqual(["connecting", "connected"]);
  });

  (exists(ARS548) ? it : it.skip)(
    "ros2msg + cdr channels: raw ARS548 packets served over WebSocket decode to 308 detections / 50 objects",
    async () => {
      const server = await listen();
      const client = collect(server.url, { buffer: { mode: "lossless" } });
      const stats = await serveRecording(await open(ARS548), server, { rate: 100, waitFor: "all" });
      expect(stats.sent).toBe(2);
      expect(await waitUntil(() => client.messages().length === 2)).toBe(true);
      const got = client.messages();
      expect(got[0]!.schemaName).toBe("nebula_msgs/msg/NebulaPackets");
      expect(got[0]!.schemaEncoding).toBe("ros2msg");
      expect(got[0]!.messageEncoding).toBe("cdr");
      const decoder = createDecoder({ vendor: VENDOR_DECODERS });
      const frames = got.flatMap((m) => {
        const r = decoder.decode(m);
        return "messages" in r ? (r.messages as RadarFrame[]) : [];
      });
      expect(frames.reduce((n, f) => n + f.detections.length, 0)).toBe(308);
      expect(frames.reduce((n, f) => n + f.objects.length, 0)).toBe(50);
    },
  );

  it("topic filter: only the listed topics are subscribed; the mapping's ignored topics never", async () => {
    const server = await listen();
    const ignoring = collect(server.url, { allTopics: true, mapping: { "/a": "ignore" }, buffer: { mode: "lossless" } });
    const client = collect(server.url, { topics: ["/a"], buffer: { mode: "lossless" } });
    server.advertise(record("/a", []));
    server.advertise(record("/b", []));
    await server.waitForSubscribers(["/a", "/b"]);
    await delay(30);
    server.publish(record("/a", [1]));
    server.publish(record("/b", [2]));
    expect(await waitUntil(() => client.messages().length === 1)).toBe(true);
    expect(client.messages()[0]!.topic).toBe("/a");
    expect(await waitUntil(() => ignoring.messages().length === 1)).toBe(true);
    expect(ignoring.messages()[0]!.topic).toBe("/b");
    expect(ignoring.events.flatMap((e) => (e.type === "channel" ? [`${e.channel.topic} ${e.channel.subscribed}`] : []))).toEqual([
      "/a false",
      "/b true",
    ]);
  });

  it("latest mode: a slow consumer gets the newest message per topic, the rest dropped and counted", async () => {
    const server = await listen();
    const stats = createBridgeStats();
    const got: number[] = [];
    const sub = foxgloveWebSocketSource({ url: server.url, allTopics: true, stats, buffer: { mode: "latest", perTopic: 1 } }).subscribe(
      (e) => {
        if (e.type !== "message") return;
        got.push(e.message.data[0]!);
        const until = performance.now() + 30; // a consumer slower than the burst
        while (performance.now() < until);
      },
    );
    subs.push(sub);
    server.advertise(record("/a", []));
    await server.waitForSubscribers(["/a"]);
    for (let i = 0; i < 100; i++) server.publish(record("/a", [i]));
    expect(await waitUntil(() => stats.received === 100 && got.includes(99))).toBe(true);
    expect(stats.dropped).toBeGreaterThan(0);
    expect(stats.delivered + stats.dropped).toBe(100);
    expect(got.length).toBe(stats.delivered);
    // Order kept, the newest always delivered.
    expect([...got].sort((a, b) => a - b)).toEqual(got);
    expect(got[got.length - 1]).toBe(99);
    expect(stats.byTopic.get("/a")!.dropped).toBe(stats.dropped);
  });

  it("scene state as protobuf: the viewer gets the FileDescriptorSet and the bytes decode back", async () => {
    const server = await listen();
    const client = collect(server.url, { allTopics: true, buffer: { mode: "lossless" } });
    const rec = protobufRecord("/avfusion/scene", "avfusion.SceneState", { frame_id: "base_link", tick: 7 }, 123n);
    server.advertise(rec);
    await server.waitForSubscribers(["/avfusion/scene"]);
    server.publish(rec);
    expect(await waitUntil(() => client.messages().length === 1)).toBe(true);
    const m = client.messages()[0]!;
    expect(m.schemaName).toBe("avfusion.SceneState");
    expect(m.schemaEncoding).toBe("protobuf");
    expect(m.publishTime).toBe(123n);
    expect(Buffer.from(m.schemaData).equals(Buffer.from(fileDescriptorSet("avfusion.SceneState")))).toBe(true);
    expect(decodeProto<{ frame_id: string; tick: number }>("avfusion.SceneState", m.data)).toMatchObject({
      frame_id: "base_link",
      tick: 7,
    });
  });

  it("server refuses: bounded retries, then a one-line error", async () => {
    const server = await listen();
    const url = server.url;
    await server.close();
    servers = [];
    const statuses: ConnectionStatus[] = [];
    const error = await new Promise<Error>((resolve) => {
      subs.push(
        foxgloveWebSocketSource({ url, reconnect: { initialDelayMs: 5, maxDelayMs: 20, maxAttempts: 3 } }).subscribe({
          next: (e) => {
            if (e.type === "status") statuses.push(e.status);
          },
          error: resolve,
        }),
      );
    });
    expect(error.message).toMatch(new RegExp(`^Foxglove WebSocket ${url}: cannot connect: .*; gave up after 3 attempt\\(s\\)$`));
    expect(statuses.map((s) => s.state)).toEqual(["connecting", "disconnected", "connecting", "disconnected", "connecting", "failed"]);
    const delays = statuses.flatMap((s) => (s.state === "disconnected" ? [s.retryInMs] : []));
    expect(delays).toEqual([5, 10]);
  });

  it("server sink: several clients, each gets what it subscribed to; a slow client is cut off, not buffered", async () => {
    const server = await FoxgloveWsServer.listen({ maxBufferedBytes: 64 * 1024 });
    servers.push(server);
    const c1 = collect(server.url, { allTopics: true, buffer: { mode: "lossless" } });
    const c2 = collect(server.url, { topics: ["/b"], buffer: { mode: "lossless" } });
    server.advertise(record("/a", []));
    server.advertise(record("/b", []));
    await server.waitForSubscribers(["/a", "/b"]);
    expect(await waitUntil(() => server.stats.clients === 2)).toBe(true);
    await delay(30);
    server.publish(record("/a", [1]));
    server.publish(record("/b", [2]));
    expect(await waitUntil(() => c1.messages().length === 2 && c2.messages().length === 1)).toBe(true);
    expect(server.stats.sent).toBe(3);
    // 200 × 64 KiB in one go: more than the socket takes, so most are dropped for both clients.
    const big = new Uint8Array(64 * 1024);
    for (let i = 0; i < 200; i++) server.publish({ ...record("/b", []), data: big });
    expect(server.stats.droppedSlowClient).toBeGreaterThan(0);
    expect(server.maxBufferedAmount).toBeLessThan(64 * 1024 + 2 * (big.byteLength + 64));
    const sentBig = server.stats.sent - 3;
    expect(sentBig + server.stats.droppedSlowClient).toBe(400);
    expect(await waitUntil(() => c1.messages().length + c2.messages().length === 3 + sentBig)).toBe(true);
    // Clients leaving: the channel stays subscribed while one client remains, then not.
    c2.sub.unsubscribe();
    expect(await waitUntil(() => server.stats.clients === 1)).toBe(true);
    expect(server.isSubscribed("/b")).toBe(true);
    c1.sub.unsubscribe();
    expect(await waitUntil(() => server.stats.clients === 0 && !server.isSubscribed("/b") && !server.isSubscribed("/a"))).toBe(true);
    const before = server.stats.unsubscribed;
    server.publish(record("/a", [9]));
    expect(server.stats.unsubscribed).toBe(before + 1);
  });
});
