import { EMPTY, filter, map, merge, type Observable, type OperatorFunction, tap } from "rxjs";
import { decodeFrames } from "../decode/decodeFrames";
import { VENDOR_DECODERS } from "../decode/vendorDecoders";
import { alignByDeadline } from "../sync/alignByDeadline";
import {
  isClockTick,
  StampedHistory,
  type ClockTick,
  type DecodedMessage,
  type GroundTruthFrame,
  type SensorFrame,
  type SensorMessage,
  type SyncedBundle,
} from "../types";
import type { CalibrationStore, FrameEntry, PipelineOptions, PipelinePlan } from "./types";
import { groundTruthInEgo } from "./groundTruthInEgo";

/**
 * Ground truth to its listener in the ego frame: frames in another frame (annotations in `map`)
 * wait, at most 64 of them, until /tf joins their frame to the ego frame, then go out in order.
 */
function groundTruthRelay(calibration: CalibrationStore, emit: (g: GroundTruthFrame) => void) {
  const pending: GroundTruthFrame[] = [];
  const flush = (): void => {
    while (pending.length > 0) {
      const moved = groundTruthInEgo(pending[0]!, calibration.at.transforms);
      if (!moved) return;
      pending.shift();
      emit(moved);
    }
  };
  return {
    add(g: GroundTruthFrame): void {
      if (!g.inFrame && pending.length === 0) return emit(g);
      pending.push(g);
      if (pending.length > 64) pending.shift();
      flush();
    },
    retry: flush,
  };
}

/** The simulator's ground-truth schema (proto/avfusion). */
const GROUND_TRUTH_SCHEMA = "avfusion.GroundTruth";

function isSensorFrame(m: DecodedMessage): m is SensorFrame {
  return m.kind === "camera" || m.kind === "lidar" || m.kind === "radar" || m.kind === "audio";
}

/** What the aligner takes: sensor frames and clock readings. */
const isAlignable = (m: FrameEntry): m is SensorFrame | ClockTick => isClockTick(m) || isSensorFrame(m);

/**
 * decode → side channels → time alignment, shared by every pipeline: calibration is kept in the
 * returned store and ground truth goes to `onGroundTruth`; only sensor frames (and clock
 * readings) are aligned. `frames`, when given, is merged in after the decode stage: the typed
 * entry for sources that decode for themselves. Exported for tools that drive the stages
 * themselves (bench/pipelineOverhead.ts).
 */
export function decodeAndAlign(plan: PipelinePlan, options: PipelineOptions) {
  const decode = decodeFrames({ vendor: VENDOR_DECODERS, ...options.decode });
  const calibration: CalibrationStore = {
    transforms: new Map(),
    cameras: new Map(),
    at: { transforms: new StampedHistory(), cameras: new StampedHistory() },
  };
  const restamp = options.restamp;
  // Ground truth is decoded only for a listener: it costs as much to decode as a radar scan
  // (bench/pipelineOverhead.ts), and nothing downstream of the aligner reads it.
  const wanted = options.onGroundTruth ? () => true : (m: SensorMessage) => m.schemaName !== GROUND_TRUTH_SCHEMA;
  const truth = groundTruthRelay(calibration, (g) => options.onGroundTruth?.(g));
  const keepSideChannels = (m: FrameEntry): void => {
    if (m.kind === "transform") {
      calibration.transforms.set(m.childFrameId, m);
      calibration.at.transforms.add(m.childFrameId, m);
      truth.retry();
    } else if (m.kind === "cameraCalibration") {
      calibration.cameras.set(m.frameId, m);
      calibration.at.cameras.add(m.frameId, m);
    } else if (m.kind === "groundTruth" && options.onGroundTruth) truth.add(m);
  };
  const align = (entries: Observable<FrameEntry>): Observable<SyncedBundle> =>
    entries.pipe(
      tap(keepSideChannels),
      filter(isAlignable),
      map((m) => (restamp === undefined || isClockTick(m) ? m : restamp(m))),
      alignByDeadline(plan.aligner),
      tap((b) => options.onAligned?.(b)),
    );
  const operator: OperatorFunction<SensorMessage, SyncedBundle> = (messages) => align(messages.pipe(filter(wanted), decode));
  /** Raw messages through the decode stage, plus the typed entry, into one aligner. */
  const withFrames = (messages: Observable<SensorMessage>, frames: Observable<FrameEntry> = EMPTY): Observable<SyncedBundle> =>
    align(merge(messages.pipe(filter(wanted), decode), frames));
  return { operator, withFrames, decodeStats: decode.stats, calibration };
}
