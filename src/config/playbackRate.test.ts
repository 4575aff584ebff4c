import { parsePlaybackRate, PLAYBACK_RATE } from "./playbackRate";

describe("parsePlaybackRate", () => {
  it.each([
    ["1", 1],
    ["0.5", 0.5],
    ["0.001", PLAYBACK_RATE.min],
    ["1000", PLAYBACK_RATE.max],
  ])("%s → %d", (text, rate) => {
    expect(parsePlaybackRate(text)).toBe(rate);
  });
  it.each(["1e-9", "0", "-1", "1001", "Infinity", "NaN", "abc", ""])("rejects %s as a usage error naming the flag", (text) => {
    expect(() => parsePlaybackRate(text)).toThrow(`--rate ${text}: expected a real-time factor from 0.001 to 1000`);
    try {
      parsePlaybackRate(text);
    } catch (err) {
      expect((err as { code: string }).code).toBe("usage");
    }
  });
});
