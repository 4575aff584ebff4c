import { msToNs, type AcousticHazard, type Nanos } from "../types";
import { parseHazardConfig, type HazardConfig, type HazardConfigInput } from "./sceneConfig";
import type { HazardKind, SceneHazard } from "./types";

const KINDS: readonly HazardKind[] = ["siren", "horn"];

/**
 * Follows acoustic hazards over ticks. Per kind, a tick's hazards from all audio sensors merge into
 * one: the highest probability, and the bearing of the most confident direction estimate. An
 * episode starts (`firstHeard`) when a kind is heard after more than `holdMs` of silence; it is
 * reported, with its last values, until it has not been heard for more than `holdMs` (sirens wail,
 * audio frames need not land in every tick). Output is sorted by kind.
 */
export class HazardTracker {
  readonly config: HazardConfig;
  private readonly episodes = new Map<HazardKind, SceneHazard>();
  private readonly hold: Nanos;

  constructor(config: HazardConfigInput | HazardConfig = {}) {
    this.config = parseHazardConfig(config);
    this.hold = msToNs(this.config.holdMs);
  }

  update(tick: Nanos, heard: readonly AcousticHazard[]): SceneHazard[] {
    for (const kind of KINDS) {
      const now = heard.filter((h) => h.kind === kind && h.probability >= this.config.minProbability && Number.isFinite(h.probability));
      let episode = this.episodes.get(kind);
      if (episode && tick - episode.lastHeard > this.hold) {
        this.episodes.delete(kind);
        episode = undefined;
      }
      if (now.length === 0) continue;
      const probability = Math.max(...now.map((h) => h.probability));
      const located = now.filter((h) => h.bearingRad !== null && Number.isFinite(h.bearingRad));
      const best = located.length > 0 ? located.reduce((a, b) => (b.bearingConfidence > a.bearingConfidence ? b : a)) : undefined;
      this.episodes.set(kind, {
        kind,
        probability,
        bearingRad: best ? best.bearingRad : null,
        mirroredBearingRad: best ? best.mirroredBearingRad : null,
        bearingConfidence: best ? best.bearingConfidence : 0,
        firstHeard: episode ? episode.firstHeard : tick,
        lastHeard: tick,
      });
    }
    return KINDS.flatMap((k) => {
      const e = this.episodes.get(k);
      return e ? [{ ...e }] : [];
    });
  }
}
