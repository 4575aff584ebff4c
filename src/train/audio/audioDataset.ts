import type { Scenario } from "../../sim/scenario";
import { AudioHistory, windowFeatures, type AudioWindowOptions } from "../../encoders/audio/features";
import { AUDIO_CLASSES, audioLabel } from "./audioLabels";
import { simulateAudioFrames } from "../simStreams";

/** One audio window with its label (ambiguous windows are dropped) and the GCC-PHAT bearing. */
export type AudioExample = {
  input: Float32Array;
  label: number;
  /** Ground-truth bearing of the loudest audible siren from the array (rad), else null. */
  sirenBearingRad: number | null;
  estimatedBearingRad: number | null;
  scenario: string;
  egoSpeedMps: number;
};

export type AudioExampleSet = { examples: AudioExample[]; ambiguous: number };

/** Every chunk of a scenario through the encoder's own windowing (history, log-mel, GCC-PHAT). */
export function audioExamples(scenario: Scenario, o: AudioWindowOptions, withBearing = true): AudioExampleSet {
  const history = new AudioHistory(o.bearingMs);
  const examples: AudioExample[] = [];
  let ambiguous = 0;
  for (const s of simulateAudioFrames(scenario)) {
    const lab = audioLabel(s.snapshot);
    // GCC-PHAT is the costly part and only siren windows are scored on bearing.
    const f = windowFeatures(s.frame, history, o, withBearing && lab.label === "siren");
    if (lab.label === "ambiguous") {
      ambiguous++;
      continue;
    }
    examples.push({
      input: f.input,
      label: AUDIO_CLASSES.indexOf(lab.label),
      sirenBearingRad: lab.sirenBearingRad,
      estimatedBearingRad: f.bearing?.bearingRad ?? null,
      scenario: scenario.name,
      egoSpeedMps: s.snapshot.ego.speed,
    });
  }
  return { examples, ambiguous };
}
