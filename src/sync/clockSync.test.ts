import { createClockSync, type ClockSyncEvent } from "./clockSync";

const MS = 1_000_000n;
const YEAR = 365n * 86_400_000n * MS;
const NOW = 1_750_000_000_000n * MS;

/** Frames at 10 Hz received `latency` after their stamp, stamped `behind` before the receive clock. */
function frames(count: number, behind: bigint, latencyMs: (i: number) => number, from = 0) {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    const receivedAt = NOW + BigInt(i) * 100n * MS;
    return { sensorId: "radar", stamp: receivedAt - BigInt(Math.round(latencyMs(i) * 1e6)) - behind, receivedAt };
  });
}

describe("createClockSync", () => {
  const sensors = [{ id: "radar", windowMs: 300 }];

  it("auto: stamps a year behind are moved onto the receive clock by the median disagreement; one event", () => {
    const events: ClockSyncEvent[] = [];
    const sync = createClockSync({ mode: "auto", sensors, onEvent: (e) => events.push(e) });
    // Latency 20 ms with one frame held up 900 ms: the median ignores it.
    const out = frames(20, YEAR, (i) => (i === 3 ? 900 : 20)).map((f) => sync.correct(f));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ sensorId: "radar", kind: "detected", mode: "auto", windowMs: 300 });
    expect(events[0]!.disagreementNs).toBe(YEAR + 20n * MS);
    expect(sync.offsetMs("radar")).toBe(-Number((YEAR + 20n * MS) / MS));
    // Every corrected stamp after the estimate settled lies 0 ms (latency 20 − estimate 20) before its receive time.
    for (const f of out.slice(9)) expect(f.receivedAt - f.stamp).toBe(0n);
    // Provisional estimates meanwhile: the first frame already lands within the window.
    expect(out[0]!.receivedAt - out[0]!.stamp).toBe(0n);
  });

  it("auto: latency within the window leaves the stamps alone (no event, offset 0); a configured offset is kept", () => {
    const events: ClockSyncEvent[] = [];
    const sync = createClockSync({
      mode: "auto",
      sensors: [{ id: "radar", windowMs: 300, clockOffsetMs: 12 }],
      onEvent: (e) => events.push(e),
    });
    const input = frames(20, 0n, () => 120);
    const out = input.map((f) => sync.correct(f));
    expect(out).toEqual(input);
    expect(events).toEqual([]);
    expect(sync.offsetMs("radar")).toBe(12);
  });

  it("auto: a drift beyond the window for 5 frames is re-estimated, and the change reported once", () => {
    const events: ClockSyncEvent[] = [];
    const sync = createClockSync({ mode: "auto", sensors, onEvent: (e) => events.push(e) });
    for (const f of frames(20, YEAR, () => 10)) sync.correct(f);
    // The bag looped: stamps jump back another 60 s.
    const after = frames(20, YEAR + 60_000n * MS, () => 10, 20).map((f) => sync.correct(f));
    expect(events.map((e) => e.kind)).toEqual(["detected", "changed"]);
    expect(events[1]!.previousMs).toBe(-Number((YEAR + 10n * MS) / MS));
    expect(events[1]!.offsetMs).toBe(-Number((YEAR + 60_010n * MS) / MS));
    expect(after[after.length - 1]!.receivedAt - after[after.length - 1]!.stamp).toBe(0n);
  });

  it("stamp: stamps kept as they are, one `kept` event; receive: each frame on its own receive time", () => {
    const events: ClockSyncEvent[] = [];
    const stamp = createClockSync({ mode: "stamp", sensors, onEvent: (e) => events.push(e) });
    const input = frames(30, YEAR, () => 10);
    expect(input.map((f) => stamp.correct(f))).toEqual(input);
    expect(events.map((e) => e.kind)).toEqual(["kept"]);
    expect(stamp.offsetMs("radar")).toBe(0);

    const receive = createClockSync({ mode: "receive", sensors, onEvent: (e) => events.push(e) });
    const out = frames(12, 0n, (i) => 10 + i).map((f) => receive.correct(f));
    for (const f of out) expect(f.stamp).toBe(f.receivedAt);
    expect(events.map((e) => e.kind)).toEqual(["kept", "detected"]);
    expect(receive.offsetMs("unknown")).toBeUndefined();
  });
});
