import type { DeadlineMisses, IntervalSummary, LatencySummary } from "./histogram";

/** The machine a benchmark ran on: figures are only comparable on the same one. */
export type MachineInfo = {
  cpuModel: string;
  cores: number;
  /** 1, 5 and 15 minute load averages when the run started (os.loadavg()). */
  loadAvg: [number, number, number];
  platform: string;
  arch: string;
  node: string;
  totalMemGb: number;
};

/** p50 / p99 of a stage (what the issue asks for) plus the rest of its distribution. */
export type StageSummary = LatencySummary;

export type E2eSummary = LatencySummary & DeadlineMisses;

/** One scenario's measurements. */
export type ScenarioResult = {
  scenario: string;
  description: string;
  /** `lossless`: as fast as the pipeline goes; `realtime`: paced at ×1, ticks dropped to the newest while busy. */
  mode: "lossless" | "realtime";
  /** How e2e was measured in this mode (one line). */
  e2eDefinition: string;
  recording: { file: string; durationS: number; messages: number; sensors: string[] };
  ticks: number;
  /**
   * Ticks left out of every statistic as warm-up: a tick holding a sensor's first frame (its
   * encoder and model are made then) and, in real time, ticks with frames played before that tick was encoded.
   */
  warmupTicks: number;
  /** Time the encoders spent beyond their own timing on those ticks: making encoders, loading models (ms). */
  coldStartMs: number;
  /** Why the aligner emitted each tick: every sensor past its window (`complete`), the deadline, overflow, end of input (`flush`). */
  triggers: Record<string, number>;
  /** Ticks the pipeline dropped to the newest while busy (real time only). */
  droppedTicks: number;
  /** Messages the real-time reader dropped because they were over 100 ms late. */
  droppedMessages: number;
  wallS: number;
  /** Recording time / wall time. */
  realtimeFactor: number;
  /** CPU time of this process during the run (user + system, all threads; s). */
  cpuS: number;
  /**
   * Recording time / CPU time: the real-time factor the run would reach if it had one core to
   * itself and did not overlap threads — less sensitive to other load on the machine than `realtimeFactor`.
   */
  cpuRealtimeFactor: number;
  /** One sample per (tick, included frame): from the frame's sensor stamp to its scene state written by the sink. */
  e2e: E2eSummary;
  /** The same, measured from the frame's arrival (log time) instead of its sensor stamp: the pipeline's own share. */
  e2eFromArrival: E2eSummary;
  /**
   * The same, measured from the end of the frame's capture: its stamp for a camera image or a radar
   * scan, stamp + one period for a LiDAR sweep or an audio chunk (stamped at their start, they
   * cover a period). No pipeline can answer before the capture ends; this is the latency it adds to that.
   */
  e2eFromCaptureEnd: E2eSummary;
  /**
   * One sample per tick: from the aligner's emission of the bundle (recording clock, played in real
   * time) to its scene written — what the pipeline adds after time alignment (decode share, queue, encoders, fusion, scene, sink).
   */
  afterSync: E2eSummary;
  e2eBySensor: Record<string, { p50Ms: number; p99Ms: number; maxMs: number; count: number }>;
  /** Per tick, ms: decode, syncWait, queue (real time only), encode, encode.<sensor>, fusion, scene, sink, overhead. */
  stages: Record<string, StageSummary>;
  /** Spacing of scene emissions (wall clock). */
  tickInterval: IntervalSummary;
  /** Highest resident set size sampled during the scenario (MB). */
  peakRssMb: number;
  loadAvgStart: [number, number, number];
  loadAvgEnd: [number, number, number];
  decodeErrors: number;
};

/** What `avfusion bench --json` prints and `--save-baseline` writes. */
export type BenchReport = {
  tool: "avfusion bench";
  version: 1;
  createdAt: string;
  backend: string;
  /** The late-fusion head that ran (`none` = the tracker's own Bayesian existence and class). */
  fusionHead: string;
  machine: MachineInfo;
  durationS: number;
  /** The scenario the top-level figures come from (nominal when it ran). */
  mainScenario: string;
  e2e: E2eSummary;
  stages: Record<string, StageSummary>;
  realtimeFactor: number;
  peakRssMb: number;
  scenarios: Record<string, ScenarioResult>;
};
