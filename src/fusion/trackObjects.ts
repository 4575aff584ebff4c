import { defer, map, type OperatorFunction } from "rxjs";
import type { EvidenceBundle } from "../types";
import { MultiSensorTracker } from "./MultiSensorTracker";
import { parseTrackerConfig, type TrackerConfig, type TrackerConfigInput } from "./trackerConfig";
import type { TrackedObjects } from "../types/tracked";

/**
 * The tracking stage: one `TrackedObjects` per `EvidenceBundle`, synchronously, in order.
 * The config is validated here, when the pipeline is built, not on the first tick. Each
 * subscription gets its own tracker, so a replay started twice starts from the same state.
 * It takes no scheduler: it never waits, buffers or times anything.
 */
export function trackObjects(config: TrackerConfigInput | TrackerConfig = {}): OperatorFunction<EvidenceBundle, TrackedObjects> {
  const parsed = parseTrackerConfig(config);
  return (source) =>
    defer(() => {
      const tracker = new MultiSensorTracker(parsed);
      return source.pipe(map((bundle) => tracker.step(bundle)));
    });
}
