import type { Prng } from "./Prng";
import { MIC_ARRAY_MOUNT, MIC_POSITIONS, SPEED_OF_SOUND } from "./rig";
import { bodyAt, egoAt, windowActive, type Body, type World } from "./world";

// Globals are looked up through a slow path inside Jest's sandbox; module constants are not.
const M = Math;

export const AUDIO_SAMPLE_RATE = 16_000;
/** Pressure units (1 = a siren's fundamental at 1 m) → s16 counts. */
export const AUDIO_COUNTS_PER_UNIT = 6000;
export const SIREN_AMPLITUDE = 1.0;
export const HORN_AMPLITUDE = 0.6;
const SIREN_CENTRE_HZ = 1000;
const SIREN_DEVIATION_HZ = 400;
const WAIL_PERIOD_S = 4;
const YELP_PERIOD_S = 0.33;
const HORN_HZ = [420, 510];
/** Step of the retarded-time grid; delays are interpolated linearly between grid points. */
const GRID = 32;

/** Siren instantaneous frequency (Hz) at emission time t: a raised-cosine sweep 600–1400 Hz. */
export function sirenFrequency(mode: "wail" | "yelp", t: number): number {
  const T = mode === "wail" ? WAIL_PERIOD_S : YELP_PERIOD_S;
  return SIREN_CENTRE_HZ - SIREN_DEVIATION_HZ * M.cos((2 * M.PI * t) / T);
}

/** Phase (rad) of the siren fundamental: the closed-form integral of `sirenFrequency`. */
function sirenPhase(mode: "wail" | "yelp", t: number): number {
  const T = mode === "wail" ? WAIL_PERIOD_S : YELP_PERIOD_S;
  return 2 * M.PI * (SIREN_CENTRE_HZ * t - ((SIREN_DEVIATION_HZ * T) / (2 * M.PI)) * M.sin((2 * M.PI * t) / T));
}

/** Road and wind noise RMS (pressure units) at the microphones for an ego speed. */
export function roadNoiseRms(speedMps: number): number {
  return 0.004 + 0.0008 * speedMps;
}

export type AudioChunk = {
  /** Interleaved s16, channel 0 = left microphone (+y), channel 1 = right (−y). */
  samples: Int16Array;
  frames: number;
};

/**
 * Two-microphone audio. Each source (siren, horn) is evaluated at its retarded emission time for
 * each microphone separately (solving |mic(t) − src(t_e)| = c·(t − t_e)), so distance attenuation
 * (1/R), Doppler and the inter-microphone delay all follow from geometry. Road noise is low-passed
 * white noise, independent per microphone. State (noise filters) carries across chunks.
 */
export class AudioSynth {
  private readonly lp = [0, 0];
  private readonly sources: Body[];

  constructor(
    private readonly world: World,
    private readonly rng: Prng,
  ) {
    this.sources = world.bodies.filter((b) => b.siren || b.horn);
  }

  /** `frames` samples per channel starting at `t0` seconds. */
  chunk(t0: number, frames: number): AudioChunk {
    const sr = AUDIO_SAMPLE_RATE;
    const out = new Float64Array(frames * 2);
    // Road noise: one-pole low-pass (a = 0.85) of white noise scaled to the target RMS.
    const a = 0.85;
    const gain = M.sqrt((1 + a) / (1 - a));
    const rms = roadNoiseRms(egoAt(this.world, t0 + frames / sr / 2).speed);
    for (let i = 0; i < frames; i++) {
      for (let ch = 0; ch < 2; ch++) {
        this.lp[ch] = a * this.lp[ch]! + (1 - a) * this.rng.normal(0, rms * gain);
        out[i * 2 + ch] = this.lp[ch]! + this.rng.normal(0, rms * 0.1);
      }
    }
    const tEnd = t0 + frames / sr;
    for (const body of this.sources) {
      // Sound emitted up to ~1.5 s earlier may still be arriving (500 m of travel).
      const maybe = (w: { fromS: number; toS?: number | undefined }[] | undefined): boolean =>
        !!w && w.some((x) => x.fromS <= tEnd && (x.toS === undefined || x.toS >= t0 - 1.5));
      if (!maybe(body.siren?.on) && !maybe(body.horn)) continue;
      for (let ch = 0; ch < 2; ch++) {
        const mic = MIC_POSITIONS[ch]!;
        const nGrid = M.ceil(frames / GRID) + 1;
        const te = new Float64Array(nGrid);
        const rr = new Float64Array(nGrid);
        for (let g = 0; g < nGrid; g++) {
          const t = t0 + (g * GRID) / sr;
          const ego = egoAt(this.world, t);
          const mx = ego.x + MIC_ARRAY_MOUNT.x + mic.x;
          const my = ego.y + MIC_ARRAY_MOUNT.y + mic.y;
          const mz = MIC_ARRAY_MOUNT.z + mic.z;
          let e = t;
          let R = 1;
          for (let it = 0; it < 6; it++) {
            const s = bodyAt(this.world, body, e);
            R = M.max(0.5, M.hypot(s.x - mx, s.y - my, body.height * 0.9 - mz));
            e = t - R / SPEED_OF_SOUND;
          }
          te[g] = e;
          rr[g] = R;
        }
        for (let i = 0; i < frames; i++) {
          const g = M.floor(i / GRID);
          const f = (i - g * GRID) / GRID;
          const e = te[g]! + (te[g + 1]! - te[g]!) * f;
          const R = rr[g]! + (rr[g + 1]! - rr[g]!) * f;
          let p = 0;
          if (body.siren && windowActive(body.siren.on, e)) {
            const ph = sirenPhase(body.siren.mode, e);
            p += SIREN_AMPLITUDE * (M.sin(ph) + 0.4 * M.sin(2 * ph) + 0.2 * M.sin(3 * ph));
          }
          if (body.horn && windowActive(body.horn, e)) {
            for (const hz of HORN_HZ) {
              const ph = 2 * M.PI * hz * e;
              p += HORN_AMPLITUDE * (M.sin(ph) + 0.5 * M.sin(2 * ph) + 0.33 * M.sin(3 * ph));
            }
          }
          out[i * 2 + ch] = out[i * 2 + ch]! + p / R;
        }
      }
    }
    const samples = new Int16Array(frames * 2);
    for (let i = 0; i < out.length; i++) {
      const q = M.round(out[i]! * AUDIO_COUNTS_PER_UNIT);
      samples[i] = q > 32767 ? 32767 : q < -32768 ? -32768 : q;
    }
    return { samples, frames };
  }
}
