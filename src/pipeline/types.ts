import type { Observable } from "rxjs";
import type { AvfusionConfig } from "../config/configSchema";
import type { DecodeFramesOperator, DecodeFramesOptions } from "../decode/decodeFrames";
import type { FusionHead } from "../fusion/fusionHead";
import type { TrackerConfigInput } from "../fusion/trackerConfig";
import type { ModelFiles } from "../runtime/modelFiles";
import type { SceneConfigInput } from "../scene/sceneConfig";
import type { ReadDiagnostics, ReadRecordingOptions } from "../sources/mcap/readRecording";
import type { AlignByDeadlineOptions, AlignByDeadlinePlan } from "../sync/alignByDeadlineSchema";
import type {
  CalibrationUpdate,
  StampedHistory,
  ClockTick,
  DecodedMessage,
  EvidenceBundle,
  GroundTruthFrame,
  SceneState,
  SensorFrame,
  SensorKind,
  SensorMessage,
  SyncedBundle,
  TopicRole,
  TrackedObjects,
} from "../types";

/**
 * One topic as the pipeline plans over it: the neutral catalogue that a recording's inspection
 * (`inspectRecording`) and a live bridge's advertisements (`catalogueFromTopics`) both give.
 */
export type CatalogueTopic = {
  topic: string;
  /** The role the topic maps to; null when its schema is not one we know. */
  sensor: TopicRole | null;
  sensorId: string;
  /** Whether the decode stage can decode it. */
  supported: boolean;
  /** Why not, when it cannot. */
  reason?: string | undefined;
  /** Measured message rate (Hz), when known. */
  rateHz: number | null;
};

/** The topics a plan is made from, and what they came from (named in errors). A `RecordingInspection` is one. */
export type TopicCatalogue = { file?: string; topics: readonly CatalogueTopic[] };

/** One sensor the pipeline aligns, found from the catalogue's topics. */
export type PipelineSensor = {
  sensorId: string;
  kind: SensorKind;
  topics: string[];
  /** Measured message rate of its busiest topic (Hz), when the catalogue says. */
  rateHz: number | null;
};

/** What the pipeline will run: its sensors, the aligner's settings, and the topics it leaves out. */
export type PipelinePlan = {
  sensors: PipelineSensor[];
  /** The aligner's settings as planned (readable, in ms). */
  sync: AlignByDeadlineOptions;
  /** The same, validated once at planning (cross-field checks included) and in ns: what the aligner runs on. */
  aligner: AlignByDeadlinePlan;
  /** Topics the pipeline will not use, with why (unsupported schema, encoding, ...). */
  unused: { topic: string; reason: string }[];
  /** The config file's tracker settings, validated at planning; the fusion stage's default. */
  tracker?: TrackerConfigInput;
};

export type PlanOptions = {
  /** Fusion tick rate (Hz); default 10. */
  tickHz?: number;
  /** How long a tick may wait for late frames, on the recording clock (ms); default 150. */
  deadlineMs?: number;
  /** The config file's pipeline settings and per-sensor overrides (they win over the above). */
  config?: AvfusionConfig;
};

/**
 * Calibration seen on the recording, by frame (transforms) and camera frame (intrinsics): the
 * latest read, and (`at`) the one in force at a stamp, which the encoders use.
 */
export type CalibrationStore = {
  transforms: Map<string, Extract<CalibrationUpdate, { kind: "transform" }>>;
  cameras: Map<string, Extract<CalibrationUpdate, { kind: "cameraCalibration" }>>;
  at: {
    transforms: StampedHistory<Extract<CalibrationUpdate, { kind: "transform" }>>;
    cameras: StampedHistory<Extract<CalibrationUpdate, { kind: "cameraCalibration" }>>;
  };
};

export type PipelineOptions = {
  read?: Omit<ReadRecordingOptions, "diagnostics">;
  decode?: DecodeFramesOptions;
  /** Called with each ground-truth message (evaluation reads it; the pipeline does not). */
  onGroundTruth?: (gt: GroundTruthFrame) => void;
  /** Called synchronously as the aligner emits each bundle (instrumentation: benchmarks stamp wall time here). */
  onAligned?: (bundle: SyncedBundle) => void;
  /**
   * Applied to every sensor frame between the decode stage (and the typed entry) and the aligner:
   * live inputs move stamps that are on another clock onto the receive clock here (`createClockSync`).
   */
  restamp?: (frame: SensorFrame) => SensorFrame;
};

/** A running pipeline: its output and the live counters of each stage. */
export type PipelineRun = {
  /** One bundle per fusion tick, in tick order. Subscribe once. */
  bundles: Observable<SyncedBundle>;
  readDiagnostics: ReadDiagnostics;
  decodeStats: DecodeFramesOperator["stats"];
  calibration: CalibrationStore;
};

/** Tracker, fusion head and scene settings: everything after the encoders. */
export type FusionStageOptions = {
  tracker?: TrackerConfigInput;
  /** A late-fusion head that refines each track's existence and class (e.g. the shipped learned head). */
  fusionHead?: FusionHead;
  /** Scene assembly settings; `health.sensors` is filled from the plan unless given. */
  scene?: Partial<SceneConfigInput>;
};

/** Settings of the whole scene pipeline: reading and decoding, models, tracker, fusion head, scene, pacing. */
export type ScenePipelineOptions = PipelineOptions &
  FusionStageOptions & {
    /** Where the shipped models are read from (models/<kind>/...). */
    models: { files: ModelFiles; dir?: string; kinds?: readonly SensorKind[]; byKind?: Partial<Record<SensorKind, string>> };
    /** Ticks that may wait for the encoders at once; the reader pauses beyond it (lossless). Default 4. */
    maxTicksInFlight?: number;
    /** One-line notices (e.g. a sensor without a mounting in the recording). */
    onWarning?: (line: string) => void;
  };

/**
 * `performance.now()` readings (ms) for one tick: when the aligner emitted its bundle, when the
 * encoders started and finished it, and when fusion + scene assembly finished. `encodeStartMs −
 * alignedMs` is the time the tick queued behind earlier ticks.
 */
export type TickTiming = { alignedMs: number; encodeStartMs: number; encodeEndMs: number; sceneMs: number };

/** Everything the pipeline knows about one tick. `scene` is the output; the rest is for tools. */
export type SceneTick = {
  scene: SceneState;
  synced: SyncedBundle;
  evidence: EvidenceBundle;
  tracked: TrackedObjects;
  /** Sensor id → why its included frame gave no evidence this tick. */
  failures: Map<string, string>;
  /** Wall-clock stamps of this tick's way through the stages (set by the scene pipeline, not by `createFusionStage`). */
  timing?: TickTiming;
};

/** A running scene pipeline: its ticks and the live counters of its stages. */
export type ScenePipelineRun = Omit<PipelineRun, "bundles"> & {
  /** One scene per fusion tick, in tick order. Subscribe once. */
  ticks: Observable<SceneTick>;
  /** Ticks dropped because the encoders were busy (real-time pacing only). */
  droppedTicks: () => number;
  /** Frees the encoders' models. */
  dispose: () => Promise<void>;
};

/**
 * What a source that decodes for itself hands the pipeline, after the decode stage: frames and
 * calibration (UDP drivers, mountings given on the command line) and clock readings (a live
 * session's heartbeat), which move the aligner's clock without carrying data.
 */
export type FrameEntry = DecodedMessage | ClockTick;

/** Where the scene pipeline's input comes from, and how it paces it. */
export type MessageFeed = {
  /**
   * `lossless`: the feed pauses while more than `maxTicksInFlight` ticks wait for the encoders
   * (it calls `waitForRoom` between batches). `latest`: it never waits; while the encoders are busy
   * only the newest tick is kept and the others are counted as dropped (real time, live sensors).
   */
  mode: "lossless" | "latest";
  /** Raw messages for the decode stage, given a function that resolves once the pipeline has room (use it in lossless mode). */
  messages: (waitForRoom: () => Promise<void>) => Observable<SensorMessage>;
  /** The typed entry: already decoded frames and clock readings, merged in after the decode stage. */
  frames?: Observable<FrameEntry>;
  readDiagnostics: ReadDiagnostics;
};
