import type { LiveInput } from "../live/liveInputs";
import type { LiveSession, LiveTick } from "../live/liveSession";
import type { SensorHealthStatus, SensorKind } from "../types";

/** One sensor in a per-interval summary. */
export type LiveSensorLine = {
  sensorId: string;
  kind: SensorKind;
  /** Frames decoded in this interval. */
  frames: number;
  /** Frames per second over the interval. */
  rate: number;
  /** No frame this interval, or the connection is down. */
  missing: boolean;
  /** The scene's health status of the sensor at the last tick of the interval (absent before the first tick). */
  status?: SensorHealthStatus;
};

/** What `live` prints each interval (one JSON line with --json). */
export type LiveSummary = {
  /** Seconds since start. */
  t: number;
  /** `connected`, `connecting`, `disconnected`, `failed` (WebSocket) or `listening` (UDP). */
  state: string;
  sensors: LiveSensorLine[];
  /** Bridge counters since start: dropped (slow consumer / flood), malformed (skipped); decode errors of the decode stage. */
  dropped: number;
  malformed: number;
  decodeErrors: number;
  /** Scene figures (absent when no tick came yet): scene ticks in the interval, ticks dropped while busy (since start), objects and degradation at the last tick. */
  ticks?: number;
  droppedTicks?: number;
  objects?: number;
  degradation?: string;
  reconnects?: number;
};

export function formatLiveSummary(s: LiveSummary): string {
  const sensors = s.sensors.length
    ? s.sensors
        .map(
          (x) =>
            `${x.sensorId} ${x.kind} ${x.missing ? (x.status === "STALE" ? "STALE" : "MISSING") : `${x.rate.toFixed(1)}/s${x.status !== undefined && x.status !== "OK" ? ` ${x.status}` : ""}`}`,
        )
        .join(", ")
    : "no sensors yet";
  const scene =
    s.ticks === undefined
      ? ""
      : ` | scene ${s.ticks} ticks, ${s.objects ?? 0} objects, ${s.degradation ?? "?"}, ${s.droppedTicks ?? 0} ticks dropped`;
  const reconnects = s.reconnects ? `, reconnects ${s.reconnects}` : "";
  return `[${s.t.toFixed(0).padStart(4)} s] ${s.state.padEnd(12)} ${sensors}${scene} | dropped ${s.dropped}, malformed ${s.malformed}, decode errors ${s.decodeErrors}${reconnects}`;
}

type Counter = { kind: SensorKind; seen: number; interval: number };

/** Frames per sensor since the last report, from the session's cumulative counts. */
function sensorLines(
  session: LiveSession,
  counters: Map<string, Counter>,
  lastTick: LiveTick | undefined,
  spanSec: number,
): LiveSensorLine[] {
  const st = session.stats();
  for (const s of session.plan()?.sensors ?? [])
    if (!counters.has(s.sensorId)) counters.set(s.sensorId, { kind: s.kind, seen: 0, interval: 0 });
  for (const [id, n] of st.decodedBySensor) {
    const c = counters.get(id);
    if (!c) continue;
    c.interval = n - c.seen;
    c.seen = n;
  }
  const health = new Map(lastTick?.scene.health.sensors.map((h) => [h.sensorId, h.status]) ?? []);
  const down = st.connection !== "connected" && st.connection !== "listening";
  return [...counters.entries()].map(([sensorId, c]) => ({
    sensorId,
    kind: c.kind,
    frames: c.interval,
    rate: c.interval / spanSec,
    missing: c.interval === 0 || down,
    ...(health.has(sensorId) ? { status: health.get(sensorId)! } : {}),
  }));
}

/**
 * The per-interval summaries of `live`: count the ticks as they come (`onTick`), then `report()`
 * prints one line (text or JSON) covering the interval since the last one.
 */
export function createLiveReporter(session: LiveSession, input: LiveInput, print: (line: string) => void, json: boolean) {
  const counters = new Map<string, Counter>();
  const started = performance.now();
  let lastReport = started;
  let intervalTicks = 0;
  let lastTick: LiveTick | undefined;
  const report = (): LiveSummary => {
    const now = performance.now();
    const spanSec = Math.max(1e-3, (now - lastReport) / 1000);
    lastReport = now;
    const st = session.stats();
    const bridge = input.counters();
    const summary: LiveSummary = {
      t: Math.round(((now - started) / 1000) * 10) / 10,
      state: st.connection,
      sensors: sensorLines(session, counters, lastTick, spanSec),
      dropped: bridge.dropped,
      malformed: bridge.malformed,
      decodeErrors: st.decodeErrors,
      ...(lastTick
        ? {
            ticks: intervalTicks,
            droppedTicks: st.droppedTicks,
            objects: lastTick.scene.objects.length,
            degradation: lastTick.scene.health.degradation,
            reconnects: bridge.reconnects,
          }
        : {}),
    };
    intervalTicks = 0;
    for (const c of counters.values()) c.interval = 0;
    print(`${json ? JSON.stringify(summary) : formatLiveSummary(summary)}\n`);
    return summary;
  };
  return {
    onTick(tick: LiveTick): void {
      intervalTicks++;
      lastTick = tick;
    },
    report,
    /** The totals line at the end of a run. */
    totals(): string {
      const st = session.stats();
      const totals = [...st.decodedBySensor.entries()].map(([id, n]) => `${id} ${n}`).join(", ");
      const b = input.counters();
      return (
        `live: frames per sensor: ${totals || "none"}; scene ticks ${st.ticks}, ${st.droppedTicks} dropped while busy; ` +
        `bridge dropped ${b.dropped}, malformed ${b.malformed}, reconnects ${b.reconnects}; decode errors ${st.decodeErrors}\n`
      );
    },
  };
}
