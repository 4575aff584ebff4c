import { AUDIO_SAMPLE_RATE, AudioSynth, sirenFrequency } from "../src/sim/AudioSynth";
import { Prng } from "../src/sim/Prng";
import { MIC_ARRAY_MOUNT, MIC_SPACING_M, SPEED_OF_SOUND, TOPICS } from "../src/sim/rig";
import { buildWorld } from "../src/sim/world";
import { decode, readMessages, scenario, simulateBytes, stampNs, type Stamp } from "./simHelpers";

/**
 * Bearing from a stereo pair by plain cross-correlation: the lag (with parabolic refinement)
 * maximising Σ left[i]·right[i+lag]; sin(bearing) = c·lag / (spacing · fs). Channel 0 is the left
 * microphone, so a source on the left reaches it first and the right channel lags (lag > 0).
 */
function bearingByCrossCorrelation(samples: Int16Array): number {
  const n = samples.length / 2;
  const maxLag = Math.ceil((MIC_SPACING_M / SPEED_OF_SOUND) * AUDIO_SAMPLE_RATE) + 2;
  const score = (lag: number): number => {
    let s = 0;
    for (let i = maxLag; i < n - maxLag; i++) s += samples[i * 2]! * samples[(i + lag) * 2 + 1]!;
    return s;
  };
  let best = 0;
  let bestScore = -Infinity;
  const scores = new Map<number, number>();
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    const s = score(lag);
    scores.set(lag, s);
    if (s > bestScore) {
      bestScore = s;
      best = lag;
    }
  }
  const a = scores.get(best - 1) ?? bestScore;
  const c = scores.get(best + 1) ?? bestScore;
  const denom = a - 2 * bestScore + c;
  const frac = denom !== 0 ? (0.5 * (a - c)) / denom : 0;
  const lag = best + frac;
  const sin = Math.max(-1, Math.min(1, (lag / AUDIO_SAMPLE_RATE) * (SPEED_OF_SOUND / MIC_SPACING_M)));
  return Math.asin(sin);
}

function staticSiren(bearingDeg: number, dist: number, mode: "wail" | "yelp") {
  const b = (bearingDeg * Math.PI) / 180;
  return scenario({
    durationS: 2,
    ego: { speedMps: 0 },
    clutter: { poleSpacingM: 0, guardRails: false, parkedCars: 0 },
    actors: [
      {
        class: "emergency_vehicle",
        motion: { type: "static", x: MIC_ARRAY_MOUNT.x + dist * Math.cos(b), y: dist * Math.sin(b), yawDeg: 0 },
        siren: { mode, on: [{ fromS: 0 }] },
      },
    ],
  });
}

describe("audio: siren bearing, attenuation, Doppler", () => {
  it.each([
    [30, 40, "wail"],
    [-55, 25, "yelp"],
    [10, 60, "yelp"],
    [-20, 35, "wail"],
  ] as const)("recovers a siren's bearing of %d° at %d m (%s) from the inter-mic delay", (deg, dist, mode) => {
    const world = buildWorld(staticSiren(deg, dist, mode));
    const synth = new AudioSynth(world, new Prng(1));
    const chunk = synth.chunk(0.5, 8000); // 0.5 s of audio, after the first wavefront arrived
    const est = (bearingByCrossCorrelation(chunk.samples) * 180) / Math.PI;
    expect(Math.abs(est - deg)).toBeLessThan(4);
  });

  it("falls off as 1/R", () => {
    const rms = (dist: number): number => {
      const synth = new AudioSynth(buildWorld(staticSiren(0, dist, "wail")), new Prng(2));
      const c = synth.chunk(0.5, 8000);
      let s = 0;
      for (let i = 0; i < c.samples.length; i++) s += c.samples[i]! * c.samples[i]!;
      return Math.sqrt(s / c.samples.length);
    };
    const r10 = rms(10);
    const r20 = rms(20);
    // Road noise at standstill is small next to a siren at 10–20 m.
    expect(r10 / r20).toBeGreaterThan(1.85);
    expect(r10 / r20).toBeLessThan(2.1);
  });

  it("sounds a horn (420 + 510 Hz) only inside its windows", () => {
    const s = scenario({
      durationS: 3,
      ego: { speedMps: 0 },
      clutter: { poleSpacingM: 0, guardRails: false, parkedCars: 0 },
      actors: [{ class: "car", motion: { type: "static", x: 20, y: 3.5, yawDeg: 0 }, horn: [{ fromS: 1, toS: 1.5 }] }],
    });
    const synth = new AudioSynth(buildWorld(s), new Prng(4));
    // Goertzel power at a frequency over one channel.
    const power = (t0: number, hz: number): number => {
      const c = synth.chunk(t0, 1600);
      const w = (2 * Math.PI * hz) / AUDIO_SAMPLE_RATE;
      let s1 = 0;
      let s2 = 0;
      for (let i = 0; i < c.frames; i++) {
        const s0 = c.samples[i * 2]! + 2 * Math.cos(w) * s1 - s2;
        s2 = s1;
        s1 = s0;
      }
      return s1 * s1 + s2 * s2 - 2 * Math.cos(w) * s1 * s2;
    };
    // Sound needs ~60 ms to travel 20 m: sample well inside and well outside the window.
    const during = power(1.2, 420);
    const before = power(0.5, 420);
    const after = power(2.2, 420);
    expect(during).toBeGreaterThan(100 * before);
    expect(during).toBeGreaterThan(100 * after);
    expect(power(1.2, 510)).toBeGreaterThan(100 * power(0.5, 510));
  });

  it("shifts a passing siren's pitch up while it approaches and down after (Doppler)", () => {
    // Ego at rest; an ambulance passes at 30 m/s in the next lane. Compare the observed
    // fundamental (zero-crossing rate of a band around it) against the emitted one.
    const s = scenario({
      durationS: 6,
      ego: { speedMps: 0 },
      clutter: { poleSpacingM: 0, guardRails: false, parkedCars: 0 },
      actors: [
        {
          class: "emergency_vehicle",
          motion: { type: "lane", lane: 1, startX: -90, speedMps: 30 },
          siren: { mode: "wail", on: [{ fromS: 0 }] },
        },
      ],
    });
    const world = buildWorld(s);
    const synth = new AudioSynth(world, new Prng(3));
    // Measure the instantaneous frequency from the phase advance of the analytic fundamental:
    // count zero crossings over 20 ms windows (harmonics are weaker and do not add crossings
    // near the fundamental's zero crossings at these amplitudes).
    const observedAt = (t: number): number => {
      const c = synth.chunk(t, 320);
      let crossings = 0;
      for (let i = 1; i < c.frames; i++) if (c.samples[(i - 1) * 2]! < 0 !== c.samples[i * 2]! < 0) crossings++;
      return (crossings / 2) * (AUDIO_SAMPLE_RATE / 320);
    };
    // At t = 1 s the ambulance is ~60 m behind, closing at 30 m/s: emitted ~R/c earlier.
    const approachRatio = observedAt(1.0) / sirenFrequency("wail", 1.0 - 60 / SPEED_OF_SOUND);
    // At t = 5.5 s it is ~75 m ahead, receding.
    const recedeRatio = observedAt(5.5) / sirenFrequency("wail", 5.5 - 75 / SPEED_OF_SOUND);
    const up = SPEED_OF_SOUND / (SPEED_OF_SOUND - 30);
    const down = SPEED_OF_SOUND / (SPEED_OF_SOUND + 30);
    expect(approachRatio).toBeGreaterThan(1.04);
    expect(Math.abs(approachRatio - up)).toBeLessThan(0.05);
    expect(recedeRatio).toBeLessThan(0.96);
    expect(Math.abs(recedeRatio - down)).toBeLessThan(0.05);
  });
});

describe("audio in a recording matches the ground-truth siren bearing", () => {
  it("cross-correlation bearing tracks the ground truth while the siren passes", async () => {
    const s = scenario({
      name: "siren-pass",
      durationS: 4,
      seed: 11,
      ego: { speedMps: 10 },
      clutter: { poleSpacingM: 0, guardRails: false, parkedCars: 0 },
      actors: [
        {
          class: "emergency_vehicle",
          motion: { type: "lane", lane: 1, startX: -30, speedMps: 22 },
          siren: { mode: "yelp", on: [{ fromS: 0 }] },
        },
      ],
      // Only audio matters here: keep the other sensors cheap.
      sensors: { camera: { width: 64, height: 48, rateHz: 1 }, lidar: { azimuthResolutionDeg: 4, rateHz: 1 } },
    });
    const { bytes } = await simulateBytes(s);
    const { messages } = await readMessages(bytes);
    type Audio = { timestamp: Stamp; data: Uint8Array; sample_rate: number; number_of_channels: number };
    type Gt = { timestamp: Stamp; siren_active: boolean; siren_bearing_rad: number };
    const audio = messages.filter((m) => m.topic === TOPICS.audio).map((m) => decode<Audio>(m));
    const gts = messages.filter((m) => m.topic === TOPICS.groundTruth).map((m) => decode<Gt>(m));
    expect(audio[0]!.sample_rate).toBe(16000);
    expect(audio[0]!.number_of_channels).toBe(2);
    let compared = 0;
    for (const a of audio) {
      const t = stampNs(a.timestamp);
      // Ground truth at the chunk's middle (chunks are 100 ms, ground truth 10 Hz on the same grid).
      const gt = gts.find((g) => stampNs(g.timestamp) === t + 50_000_000n) ?? gts.find((g) => stampNs(g.timestamp) === t);
      if (!gt || !gt.siren_active) continue;
      const truth = gt.siren_bearing_rad;
      if (Math.abs(truth) > (75 * Math.PI) / 180) continue; // near ±90° asin is ill-conditioned; front/back is ambiguous
      const pcm = new Int16Array(a.data.byteLength / 2);
      const view = new DataView(a.data.buffer, a.data.byteOffset, a.data.byteLength);
      for (let i = 0; i < pcm.length; i++) pcm[i] = view.getInt16(i * 2, true);
      const est = bearingByCrossCorrelation(pcm);
      // A two-mic array cannot tell front from back: compare the lateral component.
      expect(Math.abs(Math.sin(est) - Math.sin(truth))).toBeLessThan(0.12);
      compared++;
    }
    expect(compared).toBeGreaterThan(10);
  });
});
