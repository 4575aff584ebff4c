/**
 * Soak of the Foxglove WebSocket server: live-paced replay with churning clients, the server's
 * RSS and the lag of the clients that keep up, one row per interval, then a verdict.
 *
 *   node --require ./bench/register.js bench/soak.ts [--minutes 10] [--interval-s 30] [--rate 1]
 *        [--churners 6] [--seed 1] [--max-rss-growth-mib 32] [--max-lag-ms 2500] [-- extra play flags]
 *
 * The server is `avfusion play recordings/default.mcap --serve 0 --loop --no-wait` in its own
 * process, as on a rig, so the RSS (VmRSS from /proc) is the server's alone. Here: 2 steady
 * readers that never leave (their lag is the figure: a slow client must never stall them) and N
 * churning clients, each in a loop of connect → one behaviour → pause → reconnect (seeded):
 *   read   subscribe to everything, read 3–20 s, close cleanly;
 *   stall  subscribe, read 2 s, stop reading (socket paused) 20–45 s, resume: the server should
 *          have cut it off (close 1008) and never held the others back for more than about 1 s;
 *   vanish subscribe, read 0.5–3 s, then drop the TCP connection without a close handshake;
 *   idle   connect, never subscribe, leave after 1–5 s.
 * Lag: a message's protocol timestamp is its log time (play shifts each pass so it keeps rising),
 * so arrival − logTime / rate is the schedule's start plus the delay; a reader's lag is that minus
 * its smallest value in the whole run. Exit code 1 when the verdict fails.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import * as hdr from "hdr-histogram-js";
import { WebSocket } from "ws";

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const MINUTES = arg("--minutes", 10);
const INTERVAL_S = arg("--interval-s", Math.min(30, Math.max(5, (MINUTES * 60) / 12)));
const RATE = arg("--rate", 1);
const CHURNERS = arg("--churners", 6);
const SEED = arg("--seed", 1);
const MAX_GROWTH_MIB = arg("--max-rss-growth-mib", 32);
const MAX_LAG_MS = arg("--max-lag-ms", 2500);
const EXTRA = process.argv.includes("--") ? process.argv.slice(process.argv.indexOf("--") + 1) : [];
const ROOT = path.resolve(__dirname, "..");
const PROTOCOL = "foxglove.websocket.v1";
const STEADY = 2;

/** mulberry32: the churn is the same for the same seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const nowMs = (): number => performance.timeOrigin + performance.now();
const histogram = (): hdr.Histogram =>
  hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000, numberOfSignificantValueDigits: 3 });

/** Figures shared by all clients; the interval ones are reset after each row. */
const figures = {
  steadyLag: histogram(),
  steadyMessages: 0,
  steadyDisconnects: 0,
  minOffset: Infinity,
  connects: 0,
  refused: 0,
  behaviours: { read: 0, stall: 0, vanish: 0, idle: 0 },
  stallOutcome: { cut: 0, saw1008: 0, notCut: 0 },
  openNow: 0,
};

type Client = { ws: WebSocket; closed: Promise<number> };

/**
 * Connects and, with `subscribe`, subscribes to every channel advertised; `onData` gets each
 * message's log time (ms). Resolves once the server said hello, or undefined when refused.
 */
function openClient(url: string, subscribe: boolean, onData?: (logMs: number) => void): Promise<Client | undefined> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, [PROTOCOL]);
    let nextSub = 0;
    const closed = new Promise<number>((r) => ws.on("close", (code) => r(code)));
    ws.on("unexpected-response", (_req, res) => {
      figures.refused++;
      res.resume();
      ws.terminate();
      resolve(undefined);
    });
    ws.on("error", () => resolve(undefined));
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        if (data[0] === 1 && onData) onData(Number(data.readBigUInt64LE(5) / 1000n) / 1000);
        return;
      }
      const msg = JSON.parse(data.toString("utf8")) as { op: string; channels?: { id: number }[] };
      if (msg.op === "serverInfo") {
        figures.connects++;
        figures.openNow++;
        void closed.then(() => figures.openNow--);
        resolve({ ws, closed });
      }
      if (msg.op === "advertise" && subscribe && msg.channels)
        ws.send(JSON.stringify({ op: "subscribe", subscriptions: msg.channels.map((c) => ({ id: nextSub++, channelId: c.id })) }));
    });
  });
}

/** A reader that never leaves (reconnecting if it is dropped, which counts against the verdict). */
async function steadyReader(url: string, stop: AbortSignal): Promise<void> {
  const onData = (logMs: number): void => {
    const offset = nowMs() - logMs / RATE;
    figures.minOffset = Math.min(figures.minOffset, offset);
    figures.steadyLag.recordValue(Math.max(1, Math.round(offset - figures.minOffset)));
    figures.steadyMessages++;
  };
  while (!stop.aborted) {
    const c = await openClient(url, true, onData);
    if (!c) {
      await sleep(500);
      continue;
    }
    const stopped = new Promise<void>((r) => stop.addEventListener("abort", () => r(), { once: true }));
    await Promise.race([c.closed, stopped]);
    if (stop.aborted) c.ws.close();
    else figures.steadyDisconnects++;
  }
}

const between = (rng: () => number, lo: number, hi: number): number => lo + (hi - lo) * rng();

async function stall(c: Client, rng: () => number, stop: AbortSignal): Promise<void> {
  await sleep(2000);
  c.ws.pause();
  const until = nowMs() + between(rng, 20_000, 45_000);
  while (!stop.aborted && nowMs() < until) await sleep(250);
  c.ws.resume();
  // Cut short by the end of the run: not long enough stalled to count either way.
  if (stop.aborted) return c.ws.terminate();
  const code = await Promise.race([c.closed, sleep(3000).then(() => -1)]);
  // Cut off: the 1008 close frame reaches it only when it was not stuck behind the queued data
  // (the server destroys the socket 1 s later), else it finds the connection gone (1006).
  if (code === -1) {
    figures.stallOutcome.notCut++;
    c.ws.close();
  } else {
    figures.stallOutcome.cut++;
    if (code === 1008) figures.stallOutcome.saw1008++;
  }
}

/** One churning slot: connect → a behaviour → a pause, until stopped. */
async function churner(url: string, rng: () => number, stop: AbortSignal): Promise<void> {
  while (!stop.aborted) {
    const r = rng();
    const kind = r < 0.4 ? "read" : r < 0.65 ? "stall" : r < 0.85 ? "vanish" : "idle";
    const c = await openClient(url, kind !== "idle");
    if (c) {
      figures.behaviours[kind]++;
      if (kind === "stall") await stall(c, rng, stop);
      else {
        const [lo, hi] = kind === "read" ? [3000, 20_000] : kind === "vanish" ? [500, 3000] : [1000, 5000];
        await Promise.race([sleep(between(rng, lo, hi)), c.closed]);
        if (kind === "vanish") c.ws.terminate();
        else c.ws.close();
      }
    }
    await sleep(between(rng, 200, 2000));
  }
}

/** The server's resident set (MiB), from /proc; NaN where there is none. */
function rssMiB(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb === undefined ? NaN : Number(kb) / 1024;
  } catch {
    return NaN;
  }
}

/** Starts the server; resolves with its URL (from its "serving on" line). */
function startServer(): Promise<{ child: ChildProcess; url: string; out: string[]; err: string[] }> {
  const args = ["play", "recordings/default.mcap", "--serve", "0", "--loop", "--no-wait", "--rate", String(RATE)];
  args.push("--max-clients", String(STEADY + CHURNERS + 2), ...EXTRA);
  const child = spawn(process.execPath, ["--require", "./bench/register.js", "src/cli/run.ts", ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out: string[] = [];
  const err: string[] = [];
  child.stdout!.on("data", (d: Buffer) => out.push(d.toString()));
  return new Promise((resolve, reject) => {
    child.stderr!.on("data", (d: Buffer) => {
      err.push(d.toString());
      const url = /serving on (wss?:\/\/\S+)/.exec(err.join(""))?.[1];
      if (url) resolve({ child, url, out, err });
    });
    child.on("exit", (code) => reject(new Error(`play exited ${code}: ${err.join("").trim()}`)));
  });
}

type Row = { t: number; rss: number; lagMax: number; messages: number };

function printRow(row: Row, lag: hdr.Histogram): void {
  const f = figures;
  const cols = [
    row.t.toFixed(0).padStart(6),
    row.rss.toFixed(1).padStart(8),
    String(f.openNow).padStart(5),
    String(row.messages).padStart(7),
    (row.messages ? lag.getValueAtPercentile(50) : 0).toFixed(0).padStart(6),
    (row.messages ? lag.getValueAtPercentile(99) : 0).toFixed(0).padStart(6),
    row.lagMax.toFixed(0).padStart(6),
    String(f.connects).padStart(6),
    String(f.stallOutcome.cut).padStart(5),
    String(f.refused).padStart(4),
  ];
  console.log(cols.join("  "));
}

async function main(): Promise<void> {
  const server = await startServer();
  console.log(`soak: ${server.url}, ${MINUTES} min, rate ${RATE}, ${STEADY} steady readers + ${CHURNERS} churners, seed ${SEED}`);
  console.log(`    t s   RSS MiB  open  msgs/iv  p50 ms  p99 ms  max ms  conns   cut  503`);
  const stop = new AbortController();
  const rng = prng(SEED);
  const clients = [
    ...Array.from({ length: STEADY }, () => steadyReader(server.url, stop.signal)),
    ...Array.from({ length: CHURNERS }, (_, i) => churner(server.url, prng(SEED * 1000 + i + Math.floor(rng() * 1e6)), stop.signal)),
  ];
  const rows: Row[] = [];
  const t0 = performance.now();
  const end = t0 + MINUTES * 60_000;
  // Timers may wake a little before `end` by performance.now(): under a second left is the end, not a row.
  while (end - performance.now() > 1000) {
    // The last interval takes in what is left (no short row at the end).
    const left = end - performance.now();
    await sleep(left < 1.5 * INTERVAL_S * 1000 ? left : INTERVAL_S * 1000);
    const lag = figures.steadyLag;
    const row: Row = {
      t: (performance.now() - t0) / 1000,
      rss: rssMiB(server.child.pid!),
      lagMax: lag.maxValue,
      messages: figures.steadyMessages,
    };
    rows.push(row);
    printRow(row, lag);
    figures.steadyLag = histogram();
    figures.steadyMessages = 0;
  }
  stop.abort();
  await Promise.all(clients);
  server.child.kill("SIGINT");
  await new Promise((r) => server.child.once("exit", r));
  for (const line of [...server.out, ...server.err].join("").split("\n")) if (/^play: /.test(line)) console.log(`server ${line}`);
  verdict(rows);
}

function verdict(rows: Row[]): void {
  const f = figures;
  console.log(
    `churn: ${f.connects} connections (${Object.entries(f.behaviours)
      .map(([k, n]) => `${n} ${k}`)
      .join(", ")}), stalled clients: ` +
      `${f.stallOutcome.cut} found cut off (${f.stallOutcome.saw1008} read the 1008 close), ${f.stallOutcome.notCut} not cut; ${f.refused} refused`,
  );
  // Growth from the end of the first interval (start-up: module loading, the recording's index,
  // the first clients' buffers) to the end.
  const base = rows[0]?.rss ?? NaN;
  const last = rows.at(-1)?.rss ?? NaN;
  const peak = Math.max(...rows.map((r) => r.rss));
  const maxLag = Math.max(...rows.map((r) => r.lagMax));
  const starved = rows.filter((r) => r.messages === 0).length;
  const ok =
    last - base <= MAX_GROWTH_MIB && maxLag <= MAX_LAG_MS && starved === 0 && f.steadyDisconnects === 0 && f.stallOutcome.notCut === 0;
  console.log(
    `verdict: ${ok ? "PASS" : "FAIL"}: RSS ${base.toFixed(1)} → ${last.toFixed(1)} MiB (${last - base >= 0 ? "+" : ""}${(last - base).toFixed(1)} MiB after ` +
      `the first interval, peak ${peak.toFixed(1)}, limit +${MAX_GROWTH_MIB}), max lag ${maxLag.toFixed(0)} ms (limit ${MAX_LAG_MS}), ` +
      `${starved} interval(s) without messages, ${f.steadyDisconnects} steady reader disconnect(s), ${f.stallOutcome.notCut} stalled client(s) not cut`,
  );
  if (!ok) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(`soak: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
