import { lineProgress, NO_PROGRESS, progressFor } from "./progress";

describe("progress off a terminal", () => {
  it("writes one line every interval, with the share done and the time left", () => {
    let now = 0;
    const lines: string[] = [];
    const p = lineProgress({ label: "replay", unit: "ticks", write: (t) => lines.push(t), intervalMs: 5000, now: () => now });
    p.start(100);
    for (let done = 1; done <= 100; done++) {
      now += 200; // 20 s in all: lines at 5, 10, 15 and 20 s
      p.update(done);
    }
    p.stop();
    expect(lines).toEqual([
      "replay: 25/100 ticks (25%), 5 s, about 15 s left\n",
      "replay: 50/100 ticks (50%), 10 s, about 10 s left\n",
      "replay: 75/100 ticks (75%), 15 s, about 5 s left\n",
      "replay: 100/100 ticks (100%), 20 s\n",
    ]);
  });

  it("writes nothing for a run shorter than the interval", () => {
    const lines: string[] = [];
    let now = 0;
    const p = lineProgress({ label: "x", unit: "s", write: (t) => lines.push(t), now: () => now });
    p.start(10);
    now = 4999;
    p.update(10);
    expect(lines).toEqual([]);
  });

  it("is off with --no-progress and with --quiet", () => {
    const options = { label: "x", unit: "s", write: () => {}, isTTY: false };
    expect(progressFor({ progress: false }, options)).toBe(NO_PROGRESS);
    expect(progressFor({ progress: true, quiet: true }, options)).toBe(NO_PROGRESS);
    expect(progressFor({ progress: true }, options)).not.toBe(NO_PROGRESS);
  });
});
