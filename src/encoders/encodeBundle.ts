import type {
  EgoMotion,
  EvidenceBundle,
  EvidenceSyncInfo,
  SensorEvidence,
  SensorFrame,
  SensorKind,
  SyncedBundle,
} from "../types";
import { decodeCameraFrame } from "./camera/decodeImage";
import type { SensorEncoders } from "./sensorEncoders";

/** Per-tick result of the encoder stage: the evidence, and what went wrong per sensor. */
export type EncodedTick = {
  synced: SyncedBundle;
  evidence: EvidenceBundle;
  /** Wall time spent decompressing and encoding this tick's frames (ms). */
  encodeMs: number;
  /** Sensor id → one-line reason its included frame gave no evidence (bad frame, no encoder). */
  failures: Map<string, string>;
};

/**
 * The encoder stage for one tick: every included frame through its modality's encoder. Camera
 * frames are decompressed first (sharp, asynchronous); a frame an encoder rejects is reported in
 * `failures` and leaves that sensor without evidence this tick — never fatal to the stream.
 * Ego motion comes from the radar's reported ego speed (no yaw rate: treated as straight).
 */
export function createBundleEncoder(encoders: SensorEncoders, sensorKinds: ReadonlyMap<string, SensorKind>) {
  const known = new Map(sensorKinds);
  return async (synced: SyncedBundle): Promise<EncodedTick> => {
    let encodeMs = 0; // decode + encode only: a model's one-off load on a sensor's first frame is left out
    const evidence: SensorEvidence[] = [];
    const failures = new Map<string, string>();
    let ego: EgoMotion | undefined;
    for (const s of synced.sensors) {
      const frame: SensorFrame | undefined = s.frame;
      if (s.status !== "included" || frame === undefined) continue;
      known.set(s.sensorId, frame.kind);
      if (frame.kind === "radar" && frame.egoSpeedMps !== undefined && Number.isFinite(frame.egoSpeedMps)) {
        ego = { speedMps: frame.egoSpeedMps, yawRateRadps: 0 };
      }
      try {
        const encoder = await encoders.forFrame(frame);
        const started = performance.now();
        try {
          const input = frame.kind === "camera" ? await decodeCameraFrame(frame) : frame;
          evidence.push(encoder.encode(input));
        } finally {
          encodeMs += performance.now() - started;
        }
      } catch (err) {
        failures.set(s.sensorId, (err instanceof Error ? err.message : String(err)).split("\n")[0]);
      }
    }
    const sync: EvidenceSyncInfo[] = synced.sensors.map((s) => ({
      sensorId: s.sensorId,
      // Every aligned sensor comes from the plan, so its kind is known; "radar" only guards the type.
      kind: known.get(s.sensorId) ?? "radar",
      status: s.status,
      skew: s.skew ?? 0n,
    }));
    const bundle: EvidenceBundle = { stamp: synced.tick, tick: synced.seq, evidence, sync, ...(ego ? { ego } : {}) };
    return { synced, evidence: bundle, encodeMs, failures };
  };
}
