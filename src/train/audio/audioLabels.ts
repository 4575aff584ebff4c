import { HORN_AMPLITUDE, SIREN_AMPLITUDE, roadNoiseRms } from "../../sim/AudioSynth";
import { MIC_ARRAY_MOUNT, SPEED_OF_SOUND } from "../../sim/rig";
import { windowActive, type WorldSnapshot } from "../../sim/world";
import { AUDIO_CLASSES } from "../../encoders/audio/model";

export { AUDIO_CLASSES };

/*
 * Audio labels from the simulator's world: a siren or horn counts when it was sounding at its
 * emission time (t − R/c) and its level at the microphones (amplitude / R) is at least the road
 * noise RMS — the simulator's own audibility rule. Between a quarter of that and it, the chunk is
 * `ambiguous` and left out of training and evaluation (neither a miss nor a false alarm).
 */

export type AudioClass = (typeof AUDIO_CLASSES)[number];

/** Below this fraction of the road-noise RMS a source counts as inaudible. */
export const INAUDIBLE_RATIO = 0.25;

export type AudioLabel = {
  label: AudioClass | "ambiguous";
  /** Bearing of the loudest audible siren from the microphone array (rad, ego frame), else null. */
  sirenBearingRad: number | null;
  /** Level of the loudest siren over the road-noise RMS (0 when none sounds). */
  sirenRatio: number;
};

export function audioLabel(snap: WorldSnapshot): AudioLabel {
  const mx = snap.ego.x + MIC_ARRAY_MOUNT.x;
  const my = snap.ego.y + MIC_ARRAY_MOUNT.y;
  const noise = roadNoiseRms(snap.ego.speed);
  let siren = 0;
  let bearing: number | null = null;
  let horn = 0;
  for (const b of snap.bodies) {
    if (!b.body.siren && !b.body.horn) continue;
    const R = Math.max(0.5, Math.hypot(b.x - mx, b.y - my, b.body.height * 0.9 - MIC_ARRAY_MOUNT.z));
    const te = snap.t - R / SPEED_OF_SOUND;
    if (b.body.siren && windowActive(b.body.siren.on, te)) {
      const r = SIREN_AMPLITUDE / R / noise;
      if (r > siren) {
        siren = r;
        bearing = Math.atan2(b.y - my, b.x - mx) - snap.ego.yaw;
      }
    }
    if (b.body.horn && windowActive(b.body.horn, te)) horn = Math.max(horn, HORN_AMPLITUDE / R / noise);
  }
  let label: AudioLabel["label"];
  if (siren >= 1) label = "siren";
  else if (siren >= INAUDIBLE_RATIO) label = "ambiguous";
  else if (horn >= 1) label = "horn";
  else if (horn >= INAUDIBLE_RATIO) label = "ambiguous";
  else label = "none";
  return { label, sirenBearingRad: siren >= 1 ? bearing : null, sirenRatio: siren };
}

/** Folds a bearing onto the front half-plane [−π/2, π/2]: what a two-microphone array can tell. */
export function foldFrontBack(theta: number): number {
  let t = Math.atan2(Math.sin(theta), Math.cos(theta));
  if (t > Math.PI / 2) t = Math.PI - t;
  else if (t < -Math.PI / 2) t = -Math.PI - t;
  return t;
}
