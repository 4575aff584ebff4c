/**
 * The Foxglove WebSocket server's capabilities, seen by @foxglove/ws-protocol's own FoxgloveClient
 * on loopback, as a Foxglove app or a foxglove_bridge tool would see them: serverInfo lists
 * `time`, `parameters`, `parametersSubscribe` and `connectionGraph`; `play --serve` broadcasts
 * its playback clock, offers its playback parameters (a set on `/play/rate` changes the pace; a
 * bad value, a read-only or unknown parameter is refused with the current value and a status line
 * saying why), and at the end holds the connections open with a status (Ctrl-C: exit 130, close
 * 1001) or, with `--exit-at-end`, closes them with 1000. A tiny MCAP made here: one topic, a
 * message every 100 ms.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  FoxgloveClient,
  StatusLevel,
  type ConnectionGraphUpdate,
  type Parameter,
  type ServerInfo,
  type StatusMessage,
} from "@foxglove/ws-protocol";
import { WebSocket } from "ws";
import { main } from "../src/cli/main";
import { liveParameters } from "../src/live/liveOutputs";
import type { PipelinePlan } from "../src/pipeline/types";
import { FoxgloveWsServer } from "../src/sinks/foxglove/FoxgloveWsServer";
import { buildRecording } from "../src/sources/mcap/buildRecording";
import { waitUntil } from "./bridgeHelpers";

const STEP_NS = 100_000_000n;
const START_NS = 1_700_000_000_000_000_000n;
const COUNT = 40;
let dir: string;
let recording: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "avfusion-caps-"));
  recording = path.join(dir, "ticks.mcap");
  const messages = Array.from({ length: COUNT }, (_, i) => ({
    topic: "/ticks",
    logTime: START_NS + BigInt(i) * STEP_NS,
    data: new TextEncoder().encode(JSON.stringify({ i })),
  }));
  fs.writeFileSync(recording, await buildRecording(messages));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) } };
}

/** A FoxgloveClient over `ws`, recording everything the server says, with arrival times. */
function connect(url: string) {
  const ws = new WebSocket(url, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]);
  const client = new FoxgloveClient({ ws });
  const seen = {
    info: undefined as ServerInfo | undefined,
    channels: new Map<string, number>(),
    messages: [] as { logTime: bigint; at: number }[],
    times: [] as bigint[],
    statuses: [] as StatusMessage[],
    removedStatus: [] as string[],
    values: [] as { id?: string; parameters: Parameter[] }[],
    graph: [] as ConnectionGraphUpdate[],
    close: undefined as { code: number; reason: string } | undefined,
  };
  client.on("serverInfo", (i) => (seen.info = i));
  client.on("advertise", (chs) => chs.forEach((c) => seen.channels.set(c.topic, c.id)));
  client.on("message", (m) => seen.messages.push({ logTime: m.timestamp, at: performance.now() }));
  client.on("time", (t) => seen.times.push(t.timestamp));
  client.on("status", (s) => seen.statuses.push(s));
  client.on("removeStatus", (r) => seen.removedStatus.push(...r.statusIds));
  client.on("parameterValues", (v) => seen.values.push({ ...(v.id === undefined ? {} : { id: v.id }), parameters: v.parameters }));
  client.on("connectionGraphUpdate", (g) => seen.graph.push(g));
  client.on("error", () => undefined);
  ws.on("close", (code, reason) => (seen.close = { code, reason: reason.toString() }));
  /** The parameterValues answering request `id`. */
  const reply = async (id: string): Promise<Parameter[]> => {
    expect(await waitUntil(() => seen.values.some((v) => v.id === id))).toBe(true);
    return seen.values.find((v) => v.id === id)!.parameters;
  };
  const byName = (params: Parameter[]): Record<string, unknown> => Object.fromEntries(params.map((p) => [p.name, p.value]));
  return { ws, client, seen, reply, byName };
}

/** `play FILE --serve 0 ...` in this process; resolves with the exit code, and the URL it serves on. */
async function play(...flags: string[]) {
  const p = io();
  const exit = main(["node", "avfusion", "play", recording, "--serve", "0", ...flags], p.io);
  expect(await waitUntil(() => /serving on ws:\/\/127\.0\.0\.1:\d+/.test(p.err.join("")))).toBe(true);
  const url = /serving on (ws:\/\/\S+)/.exec(p.err.join(""))![1]!;
  return { exit, url, p };
}

/** Log-time seconds per wall second over the messages received in [from, to) of log time. */
function pace(messages: { logTime: bigint; at: number }[], from: bigint, to: bigint): number {
  const span = messages.filter((m) => m.logTime >= from && m.logTime < to);
  const first = span[0]!;
  const last = span[span.length - 1]!;
  return Number(last.logTime - first.logTime) / 1e6 / (last.at - first.at);
}

describe("Foxglove server capabilities, seen by @foxglove/ws-protocol's FoxgloveClient", () => {
  it("play --serve: capabilities, connection graph, parameters read / set / refused, the clock, held open at the end, Ctrl-C → 130", async () => {
    const { exit, url } = await play();
    const c = connect(url);
    expect(await waitUntil(() => c.seen.info !== undefined && c.seen.channels.has("/ticks"))).toBe(true);
    expect(c.seen.info!.capabilities).toEqual(["time", "parameters", "parametersSubscribe", "connectionGraph"]);
    expect(c.seen.info!.metadata).toEqual({ recording });

    // The connection graph: the server, one node, publishing each advertised topic.
    c.client.subscribeConnectionGraph();
    expect(await waitUntil(() => c.seen.graph.length > 0)).toBe(true);
    expect(c.seen.graph[0]!.publishedTopics).toEqual([{ name: "/ticks", publisherIds: ["avfusion"] }]);

    // Every parameter (an empty list asks for all), as play starts.
    c.client.getParameters([], "all");
    const all = await c.reply("all");
    expect(c.byName(all)).toEqual({
      "/play/rate": 1,
      "/play/paused": false,
      "/play/loop": false,
      "/play/recording": recording,
      "/play/state": "waiting",
      "/play/pass": 0,
    });
    expect(all.find((p) => p.name === "/play/rate")!.type).toBe("float64");
    c.client.subscribeParameterUpdates(["/play/state", "/play/rate"]);

    // Refused sets: the current value comes back, and a warning says why, one line each.
    c.client.setParameters([{ name: "/play/rate", value: 0 }], "bad-rate");
    expect(c.byName(await c.reply("bad-rate"))).toEqual({ "/play/rate": 1 });
    c.client.setParameters([{ name: "/play/rate", value: 5000 }], "big-rate");
    expect(c.byName(await c.reply("big-rate"))).toEqual({ "/play/rate": 1 });
    c.client.setParameters([{ name: "/play/recording", value: "/etc/passwd" }], "read-only");
    expect(c.byName(await c.reply("read-only"))).toEqual({ "/play/recording": recording });
    c.client.setParameters([{ name: "/play/nope", value: 1 }], "unknown");
    expect(await c.reply("unknown")).toEqual([]);
    c.client.setParameters([{ name: "/play/paused", value: "yes" }], "bad-bool");
    expect(c.byName(await c.reply("bad-bool"))).toEqual({ "/play/paused": false });
    expect(await waitUntil(() => c.seen.statuses.length >= 5)).toBe(true);
    expect(c.seen.statuses.map((s) => [s.level, s.message])).toEqual([
      [StatusLevel.WARNING, "parameter /play/rate: 0, expected a real-time factor from 0.001 to 1000"],
      [StatusLevel.WARNING, "parameter /play/rate: 5000, expected a real-time factor from 0.001 to 1000"],
      [StatusLevel.WARNING, "parameter /play/recording: read-only"],
      [StatusLevel.WARNING, "parameter /play/nope: no such parameter"],
      [StatusLevel.WARNING, 'parameter /play/paused: "yes", expected true or false'],
    ]);

    // Subscribing starts playback (after 200 ms for other subscriptions), at real time.
    c.client.subscribe(c.seen.channels.get("/ticks")!);
    expect(await waitUntil(() => c.seen.messages.some((m) => m.logTime >= START_NS + 10n * STEP_NS), 3000)).toBe(true);
    // Then four times as fast: the reply carries the value in force.
    c.client.setParameters([{ name: "/play/rate", value: 4 }], "rate-4");
    expect(c.byName(await c.reply("rate-4"))).toEqual({ "/play/rate": 4 });
    const setAt = c.seen.messages[c.seen.messages.length - 1]!.logTime;
    expect(await waitUntil(() => c.seen.messages.length >= COUNT, 3000)).toBe(true);
    const before = pace(c.seen.messages, START_NS, START_NS + 9n * STEP_NS);
    const after = pace(c.seen.messages, setAt + 2n * STEP_NS, START_NS + BigInt(COUNT) * STEP_NS);
    console.log(`pace at rate 1: x${before.toFixed(2)}, after /play/rate 4: x${after.toFixed(2)}`);
    expect(before).toBeGreaterThan(0.7);
    expect(before).toBeLessThan(1.6);
    expect(after).toBeGreaterThan(2.5);
    expect(after).toBeLessThan(6);

    // The clock: time messages that never go back, from the first message to the last.
    const last = START_NS + BigInt(COUNT - 1) * STEP_NS;
    expect(await waitUntil(() => c.seen.times.includes(last))).toBe(true);
    expect(c.seen.times.length).toBeGreaterThanOrEqual(10);
    expect(c.seen.times[0]).toBe(START_NS);
    for (let i = 1; i < c.seen.times.length; i++) expect(c.seen.times[i]! > c.seen.times[i - 1]!).toBe(true);

    // At the end: a status says so, `/play/state` reads `ended` (subscribers told), and the connection stays open.
    expect(await waitUntil(() => c.seen.statuses.some((s) => s.level === StatusLevel.INFO))).toBe(true);
    expect(c.seen.statuses.find((s) => s.level === StatusLevel.INFO)!.message).toBe(
      `end of recording: ${COUNT} messages in 1 pass(es); set /play/loop to play on; Ctrl-C to stop`,
    );
    expect(
      await waitUntil(() => c.seen.values.some((v) => v.parameters.some((p) => p.name === "/play/state" && p.value === "ended"))),
    ).toBe(true);
    await new Promise((r) => setTimeout(r, 700));
    expect(c.seen.close).toBeUndefined();
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    c.client.getParameters(["/play/state", "/play/pass"], "after");
    expect(c.byName(await c.reply("after"))).toEqual({ "/play/state": "ended", "/play/pass": 1 });

    // Ctrl-C ends it: the client is told (1001, going away), and the exit code says so.
    process.emit("SIGINT");
    expect(await exit).toBe(130);
    expect(c.seen.close).toEqual({ code: 1001, reason: "play stopped" });
  });

  it("play --serve --exit-at-end: the connection ends with 1000 and a reason at the end of the recording, exit 0", async () => {
    const { exit, url, p } = await play("--rate", "10", "--exit-at-end");
    const c = connect(url);
    expect(await waitUntil(() => c.seen.channels.has("/ticks"))).toBe(true);
    c.client.subscribe(c.seen.channels.get("/ticks")!);
    expect(await exit).toBe(0);
    expect(await waitUntil(() => c.seen.close !== undefined)).toBe(true);
    expect(c.seen.close).toEqual({ code: 1000, reason: "end of recording" });
    expect(c.seen.messages.length).toBe(COUNT);
    // Ending at the end, it says no "end of recording" status: the close reason says it.
    expect(c.seen.statuses).toEqual([]);
    expect(p.out.join("")).toMatch(new RegExp(`^play: ${COUNT} messages sent in 1 pass\\(es\\)`));
  });

  it("play --serve: /play/paused stops the clock; /play/loop turned on at the end plays on with time going on; SIGTERM → 143", async () => {
    const { exit, url } = await play("--rate", "4");
    const c = connect(url);
    expect(await waitUntil(() => c.seen.channels.has("/ticks"))).toBe(true);
    c.client.subscribe(c.seen.channels.get("/ticks")!);
    expect(await waitUntil(() => c.seen.messages.length >= 5, 3000)).toBe(true);
    c.client.setParameters([{ name: "/play/paused", value: true }], "pause");
    expect(c.byName(await c.reply("pause"))).toEqual({ "/play/paused": true });
    await new Promise((r) => setTimeout(r, 100));
    const held = c.seen.messages.length;
    const heldTimes = c.seen.times.length;
    await new Promise((r) => setTimeout(r, 500));
    // 500 ms at ×4 would have been 20 messages.
    expect(c.seen.messages.length).toBe(held);
    expect(c.seen.times.length).toBe(heldTimes);
    c.client.getParameters(["/play/state"], "paused-state");
    expect(c.byName(await c.reply("paused-state"))).toEqual({ "/play/state": "paused" });
    c.client.setParameters([{ name: "/play/paused", value: false }], "resume");
    await c.reply("resume");
    expect(await waitUntil(() => c.seen.statuses.some((s) => s.level === StatusLevel.INFO), 3000)).toBe(true);
    expect(c.seen.messages.length).toBe(COUNT);

    // Held at the end; loop on: a second pass, its times after the first's, the end status withdrawn.
    c.client.setParameters([{ name: "/play/loop", value: true }], "loop");
    expect(c.byName(await c.reply("loop"))).toEqual({ "/play/loop": true });
    expect(await waitUntil(() => c.seen.messages.length >= COUNT + 5, 3000)).toBe(true);
    expect(c.seen.removedStatus).toContain("avfusion.play.end");
    const firstPassEnd = START_NS + BigInt(COUNT - 1) * STEP_NS;
    expect(c.seen.messages[COUNT]!.logTime).toBe(firstPassEnd + 1_000_000n);
    for (let i = 1; i < c.seen.times.length; i++) expect(c.seen.times[i]! > c.seen.times[i - 1]!).toBe(true);
    // Loop off again: it ends after this pass, held again, saying so.
    c.client.setParameters([{ name: "/play/loop", value: false }], "unloop");
    await c.reply("unloop");
    expect(await waitUntil(() => c.seen.statuses.filter((s) => s.level === StatusLevel.INFO).length >= 2, 3000)).toBe(true);
    expect(c.seen.statuses.filter((s) => s.level === StatusLevel.INFO)[1]!.message).toMatch(
      new RegExp(`^end of recording: ${2 * COUNT} messages in 2 pass\\(es\\);`),
    );
    process.emit("SIGTERM");
    expect(await exit).toBe(143);
    expect(c.seen.close?.code).toBe(1001);
  });

  it("live --serve's parameters: the run and its plan, read-only; the connection graph follows advertise / unadvertise", async () => {
    const params = liveParameters({
      input: "ws://127.0.0.1:8765",
      clock: "auto",
      warmupS: 1,
      queue: 16,
      fusionHead: "none",
      config: { pipeline: { tickHz: 10 } },
      configFile: "rig.yaml",
    });
    const server = await FoxgloveWsServer.listen({ name: "avfusion live", time: true, parameters: params.store });
    try {
      const c = connect(server.url);
      expect(await waitUntil(() => c.seen.info !== undefined)).toBe(true);
      expect(c.seen.info!.capabilities).toEqual(["time", "parameters", "parametersSubscribe", "connectionGraph"]);
      c.client.subscribeParameterUpdates(["/live/plan/state"]);
      c.client.getParameters([], "before-plan");
      expect(c.byName(await c.reply("before-plan"))).toMatchObject({
        "/live/input": "ws://127.0.0.1:8765",
        "/live/config": { pipeline: { tickHz: 10 } },
        "/live/plan/state": "warming up",
      });
      const plan = {
        sensors: [{ sensorId: "lidar_top", kind: "lidar", topics: ["/sensors/lidar_top/points"], rateHz: 10 }],
        aligner: {
          period: 100_000_000n,
          deadline: 150_000_000n,
          sensors: [{ id: "lidar_top", offset: 0n, tolerance: 60_000_000n, clockOffset: 0n, maxQueue: 8 }],
        },
        unused: [{ topic: "/x", reason: "unsupported schema foo/Bar" }],
      } as unknown as PipelinePlan;
      params.onPlan(plan);
      expect(await waitUntil(() => c.seen.values.some((v) => v.parameters.some((p) => p.value === "planned")))).toBe(true);
      c.client.getParameters([], "plan");
      expect(c.byName(await c.reply("plan"))).toMatchObject({
        "/live/plan/tick_hz": 10,
        "/live/plan/deadline_ms": 150,
        "/live/plan/sensors": ["lidar_top"],
        "/live/plan/lidar_top/topics": ["/sensors/lidar_top/points"],
        "/live/plan/lidar_top/window_ms": 60,
        "/live/plan/lidar_top/max_queue": 8,
        "/live/plan/unused": ["/x (unsupported schema foo/Bar)"],
      });
      // Nothing of the plan is settable at run time.
      c.client.setParameters([{ name: "/live/plan/tick_hz", value: 20 }], "set-tick");
      expect(c.byName(await c.reply("set-tick"))).toEqual({ "/live/plan/tick_hz": 10 });
      expect(await waitUntil(() => c.seen.statuses.length > 0)).toBe(true);
      expect(c.seen.statuses[0]!.message).toBe("parameter /live/plan/tick_hz: read-only");

      // The clock: broadcast as given.
      server.broadcastTime(42n);
      expect(await waitUntil(() => c.seen.times.includes(42n))).toBe(true);

      // The graph: the current topics on subscribing, then each advertise and unadvertise.
      const rec = { schemaName: "t.M", schemaEncoding: "jsonschema", schemaData: new Uint8Array(0), messageEncoding: "json" };
      server.advertise({ ...rec, topic: "/a" });
      c.client.subscribeConnectionGraph();
      expect(await waitUntil(() => c.seen.graph.length === 1)).toBe(true);
      expect(c.seen.graph[0]!.publishedTopics).toEqual([{ name: "/a", publisherIds: ["avfusion live"] }]);
      server.advertise({ ...rec, topic: "/b" });
      server.unadvertise("/a");
      expect(await waitUntil(() => c.seen.graph.length === 3)).toBe(true);
      expect(c.seen.graph[1]!.publishedTopics).toEqual([{ name: "/b", publisherIds: ["avfusion live"] }]);
      expect(c.seen.graph[2]!.removedTopics).toEqual(["/a"]);
      c.client.unsubscribeConnectionGraph();
      await new Promise((r) => setTimeout(r, 50));
      server.advertise({ ...rec, topic: "/c" });
      await new Promise((r) => setTimeout(r, 100));
      expect(c.seen.graph.length).toBe(3);
      c.ws.close();
    } finally {
      await server.close();
    }
  });
});
