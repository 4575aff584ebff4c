import { filter, Observable, share, tap } from "rxjs";
import { decodeFrames, type DecodeFramesOperator, type DecodeFramesOptions } from "./decode/decodeFrames";
import { VENDOR_DECODERS } from "./decode/vendorDecoders";
import type { AvfusionConfig } from "./config/configSchema";
import type { RecordingInspection } from "./sources/mcap/inspectRecording";
import { createDiagnostics, readRecording, type ReadDiagnostics, type ReadRecordingOptions } from "./sources/mcap/readRecording";
import type { RecordingReadable } from "./sources/mcap/types";
import { alignByDeadline } from "./sync/alignByDeadline";
import { planAlignByDeadline, type AlignByDeadlineOptions } from "./sync/alignByDeadlineSchema";
import type {
  CalibrationUpdate,
  DecodedMessage,
  GroundTruthFrame,
  SensorFrame,
  SensorKind,
  SyncedBundle,
} from "./types";
import { SENSOR_KINDS } from "./types";

/** One sensor the pipeline aligns, found from the recording's topics. */
export type PipelineSensor = {
  sensorId: string;
  kind: SensorKind;
  topics: string[];
  /** Measured message rate of its busiest topic (Hz), when the recording says. */
  rateHz: number | null;
};

export type PipelinePlan = {
  sensors: PipelineSensor[];
  sync: AlignByDeadlineOptions;
  /** Topics the pipeline will not use, with why (unsupported schema, encoding, ...). */
  unused: { topic: string; reason: string }[];
};

export type PlanOptions = {
  /** Fusion tick rate (Hz); default 10. */
  tickHz?: number;
  /** How long a tick may wait for late frames, on the recording clock (ms); default 150. */
  deadlineMs?: number;
  /** The config file's pipeline settings and per-sensor overrides (they win over the above). */
  config?: AvfusionConfig;
};

/** Nominal rates per kind, used when the recording has too few messages to measure one. */
const NOMINAL_RATE_HZ: Record<SensorKind, number> = { camera: 15, lidar: 10, radar: 20, audio: 12.5 };

/**
 * Builds the aligner configuration from a recording's inspection: every supported camera, LiDAR,
 * radar and audio topic becomes a sensor; each sensor's window is half its period (so a tick
 * takes the nearest frame and never one that belongs to the neighbouring tick), at least 20 ms.
 */
export function planPipeline(inspection: RecordingInspection, options: PlanOptions = {}): PipelinePlan {
  const bySensor = new Map<string, PipelineSensor>();
  const unused: PipelinePlan["unused"] = [];
  for (const t of inspection.topics) {
    const kind = t.sensor;
    if (!t.supported || kind === null || !(SENSOR_KINDS as readonly string[]).includes(kind)) {
      if (!t.supported) unused.push({ topic: t.topic, reason: t.reason ?? "unsupported" });
      continue;
    }
    const sensorKind = kind as SensorKind;
    const existing = bySensor.get(t.sensorId);
    if (existing) {
      existing.topics.push(t.topic);
      existing.rateHz = Math.max(existing.rateHz ?? 0, t.rateHz ?? 0) || null;
    } else {
      bySensor.set(t.sensorId, { sensorId: t.sensorId, kind: sensorKind, topics: [t.topic], rateHz: t.rateHz });
    }
  }
  const sensors = [...bySensor.values()].sort((a, b) => a.sensorId.localeCompare(b.sensorId));
  const fromFile = options.config?.pipeline ?? {};
  const tickHz = fromFile.tickHz ?? options.tickHz ?? 10;
  const sync: AlignByDeadlineOptions = {
    sensors: sensors.map((s) => {
      const rate = s.rateHz !== null && s.rateHz > 0.5 ? s.rateHz : NOMINAL_RATE_HZ[s.kind];
      // A sweep (LiDAR) or a chunk (audio) is stamped at its start and covers one period, so its
      // centre, the moment it best describes, lies half a period after the stamp.
      const offsetMs = s.kind === "lidar" || s.kind === "audio" ? -500 / rate : 0;
      const planned = { id: s.sensorId, offsetMs, toleranceMs: Math.max(20, 500 / rate), maxQueue: 64 };
      return { ...planned, ...options.config?.sensors?.[s.sensorId] };
    }),
    tick: { mode: "fixed", rateHz: tickHz },
    deadlineMs: fromFile.deadlineMs ?? options.deadlineMs ?? 150,
    latenessBoundMs: 200,
    staleAfterMs: fromFile.staleAfterMs ?? 1000,
    clock: "recording",
  };
  const unknown = Object.keys(options.config?.sensors ?? {}).filter((id) => !bySensor.has(id));
  if (unknown.length > 0) {
    throw new RangeError(`config sensors: ${unknown.join(", ")} not in the recording, expected one of ${[...bySensor.keys()].join(", ") || "(none)"}`);
  }
  return { sensors, sync, unused };
}

/** Latest calibration seen on the recording, by frame (transforms) and camera frame (intrinsics). */
export type CalibrationStore = {
  transforms: Map<string, Extract<CalibrationUpdate, { kind: "transform" }>>;
  cameras: Map<string, Extract<CalibrationUpdate, { kind: "cameraCalibration" }>>;
};

export type PipelineOptions = {
  read?: Omit<ReadRecordingOptions, "diagnostics">;
  decode?: DecodeFramesOptions;
  /** Called with each ground-truth message (evaluation reads it; the pipeline does not). */
  onGroundTruth?: (gt: GroundTruthFrame) => void;
};

/** A running pipeline: its output and the live counters of each stage. */
export type PipelineRun = {
  /** One bundle per fusion tick, in tick order. Subscribe once. */
  bundles: Observable<SyncedBundle>;
  readDiagnostics: ReadDiagnostics;
  decodeStats: DecodeFramesOperator["stats"];
  calibration: CalibrationStore;
};

function isSensorFrame(m: DecodedMessage): m is SensorFrame {
  return m.kind === "camera" || m.kind === "lidar" || m.kind === "radar" || m.kind === "audio";
}

/**
 * The pipeline as one pipe: recording → decode → time alignment. Calibration and ground truth
 * are side channels: kept in `calibration` / passed to `onGroundTruth`, not aligned.
 * Encoders, fusion and scene assembly join this pipe as their stages land (see README).
 */
export function createPipeline(source: RecordingReadable, plan: PipelinePlan, options: PipelineOptions = {}): PipelineRun {
  planAlignByDeadline(plan.sync); // fail at start-up, not mid-run
  const readDiagnostics = createDiagnostics(source.name);
  const decode = decodeFrames({ vendor: VENDOR_DECODERS, ...options.decode });
  const calibration: CalibrationStore = { transforms: new Map(), cameras: new Map() };
  const bundles = readRecording(source, { ...options.read, diagnostics: readDiagnostics }).pipe(
    decode,
    tap((m) => {
      if (m.kind === "transform") calibration.transforms.set(m.childFrameId, m);
      else if (m.kind === "cameraCalibration") calibration.cameras.set(m.frameId, m);
      else if (m.kind === "groundTruth") options.onGroundTruth?.(m);
    }),
    filter(isSensorFrame),
    alignByDeadline(plan.sync),
    share(),
  );
  return { bundles, readDiagnostics, decodeStats: decode.stats, calibration };
}
