import type { SensorEvidence, SensorFrame } from "../../types";
import type { Encoder } from "./types";

/** The three steps of an encoder that runs its model once per batch of frames. */
export type BatchedSteps<F, P, O> = {
  /** One frame → the model's input rows (and whatever `finish` needs); throws for an unusable frame. */
  prepare(frame: F): P;
  /** All prepared frames through the model at once: one output per frame, and the time it took. */
  infer(prepared: P[]): { outputs: O[]; ms: number };
  /** One frame's model output → its evidence; `inferMs` is its share of the batch's inference. */
  finish(prepared: P, output: O, inferMs: number): SensorEvidence;
};

/**
 * `encode` and `encodeBatch` from the three steps: a single frame is a batch of one, and a
 * batch's inference time is shared out evenly among its frames. The steps run in order over the
 * whole batch (every frame prepared before the model runs), so a bad frame fails the batch before
 * any inference.
 */
export function batchedEncode<F extends SensorFrame, P, O>(steps: BatchedSteps<F, P, O>): Pick<Encoder<F>, "encode" | "encodeBatch"> {
  return {
    encode(frame) {
      const p = steps.prepare(frame);
      const { outputs, ms } = steps.infer([p]);
      return steps.finish(p, outputs[0]!, ms);
    },
    encodeBatch(frames) {
      if (frames.length === 0) return [];
      const ps = frames.map((f) => steps.prepare(f));
      const { outputs, ms } = steps.infer(ps);
      return ps.map((p, i) => steps.finish(p, outputs[i]!, ms / ps.length));
    },
  };
}
