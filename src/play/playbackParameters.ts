import { PLAYBACK_RATE } from "../config/playbackRate";
import { booleanParameter, numberParameter, ParameterStore } from "../sinks/foxglove/ParameterStore";
import type { PlaybackClock, PlaybackState } from "./PlaybackClock";
import type { ServePhase } from "./serveRecording";

/** The playback parameters `play --serve` offers, by name. */
export const PLAY_PARAMETERS = {
  rate: "/play/rate",
  paused: "/play/paused",
  loop: "/play/loop",
  recording: "/play/recording",
  state: "/play/state",
  pass: "/play/pass",
} as const;

/**
 * The parameters of a served playback, over its clock: `/play/rate` (float64, settable within
 * the bounds of `--rate`), `/play/paused` and `/play/loop` (booleans, settable; turning `loop` on
 * at the end plays on), and read-only `/play/recording` (the file), `/play/state` (`waiting`,
 * `playing`, `paused`, `ended`) and `/play/pass` (passes completed). A change made through the
 * clock (by a client or by the program) shows in the parameters, and subscribers are told.
 */
export function playbackParameters(
  clock: PlaybackClock,
  recording: string,
): { store: ParameterStore; onPhase: (phase: ServePhase) => void; onPass: (pass: number) => void } {
  const store = new ParameterStore();
  const p = PLAY_PARAMETERS;
  let phase: ServePhase = "waiting";
  const state = (): PlaybackState => (phase === "playing" && clock.paused ? "paused" : phase);
  store.define({
    name: p.rate,
    value: clock.rate,
    type: "float64",
    set: (v) => {
      const expected = `a real-time factor from ${PLAYBACK_RATE.min} to ${PLAYBACK_RATE.max}`;
      clock.setRate(numberParameter(p.rate, v, PLAYBACK_RATE.min, PLAYBACK_RATE.max, expected), p.rate);
      return clock.rate;
    },
  });
  store.define({ name: p.paused, value: clock.paused, set: (v) => (clock.setPaused(booleanParameter(p.paused, v)), clock.paused) });
  store.define({ name: p.loop, value: clock.loop, set: (v) => (clock.setLoop(booleanParameter(p.loop, v)), clock.loop) });
  store.define({ name: p.recording, value: recording });
  store.define({ name: p.state, value: state() });
  store.define({ name: p.pass, value: 0 });
  // The clock may change without a client (the program, another client): the store follows it.
  clock.onChange(() => {
    store.update(p.rate, clock.rate);
    store.update(p.paused, clock.paused);
    store.update(p.loop, clock.loop);
    store.update(p.state, state());
  });
  return {
    store,
    onPhase: (next) => {
      phase = next;
      store.update(p.state, state());
    },
    onPass: (pass) => store.update(p.pass, pass),
  };
}
